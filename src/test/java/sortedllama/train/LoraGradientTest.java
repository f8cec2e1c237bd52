package sortedllama.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static sortedllama.train.FiniteDifferences.check;
import static sortedllama.train.FiniteDifferences.project;
import static sortedllama.train.FiniteDifferences.random;

import java.lang.foreign.Arena;
import java.util.Random;
import java.util.function.DoubleSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import sortedllama.model.LlamaConfig;
import sortedllama.model.RopeLayout;
import sortedllama.tensor.DType;
import sortedllama.tensor.Quantize;

/**
 * LoRA's backward against central finite differences of its float32 forward, as {@link OpGradientTest}
 * and {@link ModelGradientTest} do: step 1e-2, error relative to the largest gradient component.
 * A wrong term (a missing scale, a transposed product) gives errors of order 1e-1 and more.
 */
class LoraGradientTest {
    static final double H = 1e-2, OP_TOL = 5e-4, MODEL_TOL = 2e-3;

    /** One projection y = x W^T + s (x A^T) B^T, W float32 (trainable too) or stored as F16, BF16 or Q8_0 (frozen). */
    @ParameterizedTest
    @ValueSource(strings = {"F32", "F16", "BF16", "Q8_0"})
    void loraLinear(String baseType) {
        Random rnd = new Random(7);
        int in = 32, out = 10, rank = 3, tokens = 5; // in: one Q8_0 block
        float[] w = random(rnd, out * in, 0.3);
        Param base = baseType.equals("F32") ? new Param("blk.0.attn_q.weight", Param.Kind.MATRIX, new long[] {out, in}, w)
                : Param.stored("blk.0.attn_q.weight", Quantize.tensor("blk.0.attn_q.weight", DType.valueOf(baseType), new long[] {out, in}, w,
                        Arena.ofAuto()));
        LoraAdapter adapter = LoraAdapter.init(base, rank, 5.0, 3);
        base.setAdapter(adapter);
        float[] b = adapter.b().value();
        for (int i = 0; i < b.length; i++) b[i] = (float) rnd.nextGaussian(); // as after training: not zero
        float[] x = random(rnd, tokens * in, 1), r = random(rnd, tokens * out, 1), y = new float[tokens * out];
        DoubleSupplier f = () -> {
            Linear.forward(y, x, base, tokens);
            return project(y, r);
        };
        float[] dx = random(rnd, x.length, 1); // garbage: accumulate=false must overwrite it
        Linear.backward(dx, false, r, x, base, tokens);
        OpGradientTest.report("lora dx (" + baseType + ")", check("lora dx", x, dx, null, H, OP_TOL, f));
        OpGradientTest.report("lora dA (" + baseType + ")", check("lora dA", adapter.a().value(), adapter.a().grad(), null, H, OP_TOL, f));
        OpGradientTest.report("lora dB (" + baseType + ")", check("lora dB", b, adapter.b().grad(), null, H, OP_TOL, f));
        if (base.storedTensor() == null) {
            OpGradientTest.report("lora dW (F32)", check("lora dW", base.value(), base.grad(), null, H, OP_TOL, f));
        } else {
            assertNull(base.grad(), "a stored base has no gradient buffer");
        }
    }

    static Stream<Arguments> objectives() {
        return Stream.of(
                Arguments.of("all exits (SoFT)", new int[] {1, 2, 3}, new double[] {1, 1, 1}),
                Arguments.of("exits 1,2 weighted, top layer unused", new int[] {1, 2}, new double[] {3, 1}));
    }

    /** The whole model on a BF16 base: gradients of A and B of every projection, a few coordinates each. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("objectives")
    void wholeModel(String name, int[] exits, double[] weights) {
        LlamaConfig c = Models.tiny(3, 20, RopeLayout.INTERLEAVED);
        try (Arena arena = Arena.ofShared()) {
            TrainableModel m = LoraModels.lora(LoraModels.base(c, 3, DType.BF16, arena), LoraModels.allTargets(4), true);
            Random rnd = new Random(5);
            Batch batch = ModelGradientTest.randomBatch(rnd, true);
            ExitObjective objective = new ExitObjective(exits, weights);
            TrainingPass pass = new TrainingPass(m, false);
            m.zeroGrads();
            pass.forwardBackward(batch, objective, 1f);
            double worst = 0;
            for (Param p : m.adapterParams()) {
                int[] coords = rnd.ints(4, 0, p.size()).toArray();
                if (objective.deepest() < 3 && p.name().startsWith("blk.2.")) { // above the deepest exit: no part in the loss
                    assertArrayEquals(new float[p.size()], p.grad(), p.name());
                    continue;
                }
                worst = Math.max(worst, check(name + ": " + p.name(), p.value(), p.grad().clone(), coords, H, MODEL_TOL,
                        () -> pass.evaluate(batch, objective).loss()));
            }
            for (Param p : m.params()) {
                if (p.grad() != null) assertArrayEquals(new float[p.size()], p.grad(), p.name() + " is frozen");
            }
            System.out.printf("LoRA model FD %s: worst %.2e%n", name, worst);
        }
    }
}
