package sortedllama.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaConfig;
import sortedllama.model.RopeLayout;
import sortedllama.model.TensorNames;

/**
 * Frozen parameters stay bit-identical through training steps and get no gradient, while the
 * trainable ones get exactly (bit for bit) the gradient they get when nothing is frozen.
 */
class FreezingTest {

    @ParameterizedTest
    @ValueSource(strings = {"heads only", "lower layers frozen", "middle layer and final norm frozen"})
    void frozenParametersStayBitIdentical(String which) {
        LlamaConfig c = Models.tiny(3, 24, RopeLayout.INTERLEAVED);
        Set<String> heads = Set.of(TensorNames.FINAL_NORM, TensorNames.OUTPUT);
        Predicate<Param> trainable = switch (which) {
            case "heads only" -> p -> heads.contains(p.name());
            case "lower layers frozen" -> p -> p.name().startsWith("blk.2.") || heads.contains(p.name());
            // the backward walks through frozen weights to reach trainable ones below them
            default -> p -> !p.name().startsWith("blk.1.") && !p.name().equals(TensorNames.FINAL_NORM);
        };
        ExitObjective objective = ExitObjective.equal(ExitSet.all(3));
        Batch batch = Runs.randomBatch(1, 2, 10, 24);

        // gradients: frozen run vs. unfrozen run
        TrainableModel full = Models.lively(c, 2, false), frozen = Models.lively(c, 2, false);
        frozen.setTrainable(trainable);
        new TrainingPass(full, false).forwardBackward(batch, objective, 1f);
        new TrainingPass(frozen, false).forwardBackward(batch, objective, 1f);
        for (int i = 0; i < full.params().size(); i++) {
            Param f = frozen.params().get(i);
            float[] expected = f.trainable() ? full.params().get(i).grad() : new float[f.size()];
            assertArrayEquals(expected, f.grad(), f.name());
        }

        // steps: frozen values unchanged to the bit, trainable ones moved
        float[][] before = Runs.snapshot(frozen);
        Trainer trainer = new Trainer(frozen, objective, Runs.settings(1e-2, false));
        for (int s = 0; s < 3; s++) trainer.step(List.of(batch));
        List<Param> params = frozen.params();
        for (int i = 0; i < params.size(); i++) {
            Param p = params.get(i);
            if (p.trainable()) {
                assertFalse(Arrays.equals(before[i], p.value()), p.name() + " should have trained");
            } else {
                assertArrayEquals(before[i], p.value(), p.name() + " is frozen");
            }
        }
    }
}
