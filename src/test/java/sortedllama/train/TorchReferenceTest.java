package sortedllama.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import sortedllama.tensor.Bf16Gemm;

/**
 * The training pass and optimizer against a float64 PyTorch reference (tools/train/llama_ref.py,
 * fixtures by make_grad_fixtures.py): one untied model with interleaved rope and exits {1,3,4}
 * weighted 1:2:3, one tied model with half-split rope, packed documents and exits {1,2,3}; both
 * with masked targets and GQA.
 *
 * <p>Tolerances, our float32 against float64 (observed on this machine in brackets): losses
 * 1e-7 relative (4e-9); logits 2e-6 (3.6e-7) and gradients 1e-5 (1.2e-6) of each tensor's
 * largest magnitude; the change of each parameter over two AdamW steps 1e-3 of the peak learning
 * rate (5.2e-4: at elements whose gradient is ~1e-7, where Adam's division by the gradient's own
 * magnitude turns float32 rounding of the gradient into a visible share of the step).
 *
 * <p>With BF16 products, against the same float64 reference: each product rounds its operands to
 * BF16 (relative error at most u = 2^-9 each), so it is off by up to about 2u = 4e-3 of sum |a b|; the
 * error then travels through the layers (4 to 5 products deep forward, as many backward), while
 * softmax, norms and losses stay float32. Tolerances, about five products' worth of 2u against each
 * tensor's largest magnitude (observed in brackets): losses 5e-3 relative (3.5e-4), logits 2e-2
 * (7.2e-3), gradients 4e-2 (2.0e-2). And the logits must be further from float64 than float32's
 * tolerance: the products did run in BF16.
 */
class TorchReferenceTest {
    static final double LOSS_TOL = 1e-7, LOGIT_TOL = 2e-6, GRAD_TOL = 1e-5, UPDATE_TOL = 1e-3;
    static final double BF16_LOSS_TOL = 5e-3, BF16_LOGIT_TOL = 2e-2, BF16_GRAD_TOL = 4e-2;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"untied_interleaved, F32", "tied_halfsplit_packed, F32", "untied_interleaved, BF16", "tied_halfsplit_packed, BF16"})
    void lossesLogitsAndGradients(String name, Precision precision) {
        assumeTrue(precision == Precision.F32 || Bf16Gemm.available(), "BF16 products unavailable: " + Bf16Gemm.why());
        boolean bf16 = precision == Precision.BF16;
        double lossTol = bf16 ? BF16_LOSS_TOL : LOSS_TOL, logitTol = bf16 ? BF16_LOGIT_TOL : LOGIT_TOL, gradTol = bf16 ? BF16_GRAD_TOL : GRAD_TOL;
        TorchFixture f = TorchFixture.load(name);
        TrainableModel model = f.model();
        ExitObjective objective = f.objective();
        Batch batch = f.batch("batch1", -1);
        TrainingPass pass = new TrainingPass(model, false, precision);

        model.zeroGrads();
        ExitLosses losses = pass.forwardBackward(batch, objective, 1f);
        System.out.printf("%s %s: loss %.9f vs %.9f%n", name, precision, losses.loss(), f.scalar("loss"));
        assertEquals(f.scalar("loss"), losses.loss(), lossTol * f.scalar("loss"), "loss");
        for (int i = 0; i < objective.exits().length; i++) {
            double expected = f.scalar("per_exit_losses." + i);
            assertEquals(expected, losses.perExit()[i], lossTol * expected, "loss at exit " + objective.exits()[i]);
        }
        double worst = 0;
        for (Param p : model.params()) {
            worst = Math.max(worst, Close.assertClose("gradient of " + p.name(), f.f32("grad/" + p.name()), p.grad(), gradTol));
        }
        System.out.printf("%s %s: worst gradient error %.3g%n", name, precision, worst);
        for (int exit : objective.exits()) {
            double e = Close.assertClose("logits at exit " + exit, f.f32("logits/" + exit), pass.logits(batch, exit), logitTol);
            System.out.printf("%s %s: logits at exit %d error %.3g%n", name, precision, exit, e);
            if (bf16) assertTrue(e > LOGIT_TOL, "logits at exit " + exit + " as close as float32's: were the products BF16?");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"untied_interleaved", "tied_halfsplit_packed"})
    void twoAdamWStepsWithClippingAndAccumulation(String name) {
        TorchFixture f = TorchFixture.load(name);
        TrainableModel model = f.model();
        LrSchedule schedule = new LrSchedule(f.scalar("optimizer.max_lr"), f.scalar("optimizer.min_lr"),
                (int) f.scalar("optimizer.warmup"), (int) f.scalar("optimizer.total"), LrSchedule.Decay.COSINE);
        AdamW.Settings adam = new AdamW.Settings(f.scalar("optimizer.beta1"), f.scalar("optimizer.beta2"),
                f.scalar("optimizer.eps"), f.scalar("optimizer.weight_decay"));
        Trainer trainer = new Trainer(model, f.objective(), new Trainer.Settings(schedule, adam, f.scalar("optimizer.clip"), false));

        List<List<Batch>> steps = List.of(List.of(f.batch("batch1", -1)), List.of(f.batch("batch2", 0), f.batch("batch2", 1)));
        for (int s = 0; s < 2; s++) {
            Trainer.StepResult r = trainer.step(steps.get(s));
            assertEquals(f.scalar("steps." + s + ".lr"), r.lr(), 1e-15, "learning rate of step " + s);
            assertEquals(f.scalar("steps." + s + ".loss"), r.loss(), LOSS_TOL * r.loss(), "loss of step " + s);
            double norm = f.scalar("steps." + s + ".grad_norm");
            assertEquals(norm, r.gradNorm(), GRAD_TOL * norm, "gradient norm of step " + s);
        }
        double lr = f.scalar("optimizer.max_lr"), worst = 0;
        for (Param p : model.params()) {
            float[] init = f.f32("init/" + p.name()), update = new float[p.size()];
            for (int i = 0; i < update.length; i++) update[i] = p.value()[i] - init[i];
            float[] expected = f.f32("update/" + p.name());
            worst = Math.max(worst, maxError(expected, update) / lr);
            assertEquals(0, maxError(expected, update), UPDATE_TOL * lr, "change of " + p.name() + " over two steps");
        }
        System.out.printf("%s: worst update error %.3g of lr%n", name, worst);
    }

    private static double maxError(float[] expected, float[] actual) {
        double err = 0;
        for (int i = 0; i < expected.length; i++) err = Math.max(err, Math.abs((double) actual[i] - expected[i]));
        return err;
    }
}
