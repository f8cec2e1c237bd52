package sortedllama.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import sortedllama.BadInputException;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaConfig;
import sortedllama.model.LlamaWeights;
import sortedllama.model.RopeLayout;
import sortedllama.tensor.Bf16Gemm;
import sortedllama.tensor.DType;
import sortedllama.tensor.Dequantize;
import sortedllama.tensor.Quantize;
import sortedllama.tensor.Tensor;

/** A LoRA model: its base stays as stored and untouched, its adapters train, and merging changes nothing. */
class LoraModelTest {
    static final LlamaConfig C = Models.tiny(3, 24, RopeLayout.HALF_SPLIT);

    @Test
    void baseProjectionsStayInTheirStoredTypeWithoutFloatCopies() {
        try (Arena arena = Arena.ofShared()) {
            LlamaWeights base = LoraModels.base(C, 1, DType.BF16, arena);
            TrainableModel m = LoraModels.lora(base, LoraModels.allTargets(2), false);
            for (int l = 0; l < C.nLayers(); l++) {
                LlamaWeights.Layer loaded = base.layers[l];
                Tensor[] tensors = {loaded.wq(), loaded.wk(), loaded.wv(), loaded.wo(), loaded.gate(), loaded.up(), loaded.down()};
                for (LoraConfig.Target t : LoraConfig.Target.values()) {
                    Param p = t.of(m.layers[l]);
                    assertSame(tensors[t.ordinal()], p.storedTensor(), p.name() + ": the loaded tensor itself");
                    assertEquals(DType.BF16, p.storedTensor().type(), p.name());
                    assertThrows(IllegalStateException.class, p::value, p.name() + " has no float32 values");
                    assertNull(p.grad(), p.name() + " has no gradient buffer");
                    assertFalse(p.trainable(), p.name());
                    assertThrows(IllegalStateException.class, () -> p.setTrainable(true));
                }
            }
            // what trains is the adapters alone: 2 x rank x (in + out) per projection
            long expected = 0;
            for (TrainableModel.Layer layer : m.layers) for (LoraConfig.Target t : LoraConfig.Target.values()) {
                Param p = t.of(layer);
                expected += 2L * (p.rows() + p.cols());
            }
            assertEquals(expected, m.trainingParams().stream().mapToLong(Param::size).sum());
            for (Param p : m.params()) assertFalse(p.trainable(), p.name() + " is frozen under LoRA");
        }
    }

    /** Products over a stored matrix large enough to be cut in blocks ({@link StoredMatrix#BLOCK_FLOATS}) equal one float32 product. */
    @Test
    void storedProductsMatchFloat32AcrossBlocks() {
        int out = 3000, in = 2000, tokens = 3; // 6M values: a full block of 2097 rows and a partial one
        Random rnd = new Random(1);
        float[] w = FiniteDifferences.random(rnd, out * in, 0.05);
        Tensor stored = Quantize.tensor("w", DType.BF16, new long[] {out, in}, w, Arena.ofAuto());
        Param dense = new Param("w", Param.Kind.MATRIX, new long[] {out, in}, Dequantize.all(stored));
        dense.setTrainable(false);
        float[] x = FiniteDifferences.random(rnd, tokens * in, 1), dy = FiniteDifferences.random(rnd, tokens * out, 1);
        float[] y1 = new float[tokens * out], y2 = new float[tokens * out];
        Linear.forward(y1, x, dense, tokens);
        StoredMatrix.forward(y2, x, stored, tokens);
        Close.assertClose("forward", y1, y2, 1e-6);
        float[] dx1 = FiniteDifferences.random(rnd, tokens * in, 1), dx2 = dx1.clone();
        Linear.backward(dx1, true, dy, x, dense, tokens);
        StoredMatrix.backward(dx2, true, dy, stored, tokens);
        Close.assertClose("backward, accumulating", dx1, dx2, 1e-6);
        Linear.backward(dx1, false, dy, x, dense, tokens);
        StoredMatrix.backward(dx2, false, dy, stored, tokens);
        Close.assertClose("backward", dx1, dx2, 1e-6);
    }

    /**
     * Under BF16 a BF16 or F16 base is multiplied as stored (no float32 copy): the same bits as the BF16
     * products of its float32 copy, whose values round to BF16 just as the stored ones do.
     */
    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F16"})
    void storedHalfBasesUnderBf16GiveTheBitsOfTheirFloat32Copy(DType type) {
        assumeTrue(Bf16Gemm.available(), "BF16 products unavailable: " + Bf16Gemm.why());
        int out = 600, in = 500, tokens = 40;
        Random rnd = new Random(2);
        Tensor stored = Quantize.tensor("w", type, new long[] {out, in}, FiniteDifferences.random(rnd, out * in, 0.05), Arena.ofAuto());
        Param dense = new Param("w", Param.Kind.MATRIX, new long[] {out, in}, Dequantize.all(stored));
        dense.setTrainable(false);
        float[] x = FiniteDifferences.random(rnd, tokens * in, 1), dy = FiniteDifferences.random(rnd, tokens * out, 1);
        float[] y1 = new float[tokens * out], y2 = new float[tokens * out];
        float[] dx1 = FiniteDifferences.random(rnd, tokens * in, 1), dx2 = dx1.clone();
        ScopedValue.where(Gemm.PRECISION, Precision.BF16).run(() -> {
            Linear.forward(y1, x, dense, tokens);
            StoredMatrix.forward(y2, x, stored, tokens);
            Linear.backward(dx1, true, dy, x, dense, tokens);
            StoredMatrix.backward(dx2, true, dy, stored, tokens);
        });
        assertArrayEquals(y1, y2, "forward");
        assertArrayEquals(dx1, dx2, "backward, accumulating");
        float[] f32 = new float[tokens * out];
        Linear.forward(f32, x, dense, tokens);
        assertThrows(AssertionError.class, () -> Close.assertClose("BF16 against float32", f32, y2, 1e-5), "the products ran in BF16");
    }

    /** W + s B A as one float32 matrix gives the logits of the adapter beside W, at every exit. */
    @Test
    void mergedWeightsGiveTheLogitsOfTheAdapters() {
        try (Arena arena = Arena.ofShared()) {
            TrainableModel lora = LoraModels.lora(LoraModels.base(C, 2, DType.BF16, arena), LoraModels.allTargets(4), true);
            TrainableModel merged = TrainableModel.fromWeights(lora.toWeights(arena));
            Batch batch = Runs.randomBatch(3, 2, 9, 24);
            double worst = 0;
            for (int exit = 1; exit <= C.nLayers(); exit++) {
                float[] adapted = new TrainingPass(lora, false).logits(batch, exit);
                float[] plain = new TrainingPass(merged, false).logits(batch, exit);
                worst = Math.max(worst, Close.assertClose("logits at exit " + exit, adapted, plain, 1e-5));
            }
            // and the adapters matter: the base alone differs
            float[] baseOnly = new TrainingPass(TrainableModel.withStoredProjections(LoraModels.base(C, 2, DType.BF16, arena), null), false)
                    .logits(batch, 3);
            assertThrows(AssertionError.class, () -> Close.assertClose("base", baseOnly, new TrainingPass(merged, false).logits(batch, 3), 1e-2));
            System.out.printf("LoRA merged vs adapter logits: worst %.2e%n", worst);
        }
    }

    @Test
    void trainingMovesOnlyTheAdaptersAndLowersTheLoss() {
        try (Arena arena = Arena.ofShared()) {
            LlamaWeights base = LoraModels.base(C, 4, DType.BF16, arena);
            List<byte[]> storedBefore = new ArrayList<>();
            TrainableModel m = LoraModels.lora(base, new LoraConfig(4, 8, LoraConfig.parseTargets("q,v,down")), false);
            for (TrainableModel.Layer layer : m.layers) {
                for (Param p : layer.params()) {
                    if (p.storedTensor() != null) storedBefore.add(p.storedTensor().data().toArray(ValueLayout.JAVA_BYTE));
                }
            }
            List<Param> floats = m.params().stream().filter(p -> p.storedTensor() == null).toList();
            List<float[]> floatsBefore = floats.stream().map(p -> p.value().clone()).toList();
            List<float[]> adaptersBefore = m.adapterParams().stream().map(p -> p.value().clone()).toList();

            ExitObjective objective = ExitObjective.equal(ExitSet.all(3));
            Batch batch = Runs.randomBatch(5, 2, 12, 24);
            Trainer trainer = new Trainer(m, objective, Runs.settings(3e-2, true));
            double first = trainer.step(List.of(batch)).loss(), last = first;
            for (int s = 0; s < 15; s++) last = trainer.step(List.of(batch)).loss();
            assertTrue(last < first - 0.3, "loss " + first + " -> " + last);
            System.out.printf("LoRA training loss %.3f -> %.3f%n", first, last);

            int i = 0;
            for (TrainableModel.Layer layer : m.layers) {
                for (Param p : layer.params()) {
                    if (p.storedTensor() != null) {
                        assertArrayEquals(storedBefore.get(i++), p.storedTensor().data().toArray(ValueLayout.JAVA_BYTE), p.name());
                    }
                }
            }
            for (int k = 0; k < floats.size(); k++) assertArrayEquals(floatsBefore.get(k), floats.get(k).value(), floats.get(k).name());
            for (int k = 0; k < adaptersBefore.size(); k++) {
                Param p = m.adapterParams().get(k);
                assertFalse(Arrays.equals(adaptersBefore.get(k), p.value()), p.name() + " should have trained");
            }
        }
    }

    @Test
    void targetsAndRankAreChecked() {
        assertEquals(List.of(LoraConfig.Target.Q, LoraConfig.Target.V), LoraConfig.parseTargets(" v, Q "));
        assertThrows(BadInputException.class, () -> LoraConfig.parseTargets("q,x"));
        assertThrows(BadInputException.class, () -> LoraConfig.parseTargets("q,q"));
        assertThrows(BadInputException.class, () -> LoraConfig.parseTargets(""));
        assertThrows(BadInputException.class, () -> new LoraConfig(0, 1, List.of(LoraConfig.Target.Q)));
        assertThrows(BadInputException.class, () -> new LoraConfig(2, -1, List.of(LoraConfig.Target.Q)));
        TrainableModel m = Models.lively(C, 1, false);
        assertThrows(BadInputException.class, () -> new LoraConfig(33, 1, List.of(LoraConfig.Target.Q)).attach(m, 1));
    }
}
