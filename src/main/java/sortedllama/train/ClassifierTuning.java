package sortedllama.train;

import java.util.Arrays;
import sortedllama.BadInputException;
import sortedllama.model.ExitSet;

/**
 * SFT+ICT, the paper's early-exit baseline: after standard fine-tuning, freeze the backbone and
 * tune only output classifiers for the exits. Two variants:
 * <ul>
 *   <li>per-exit heads (the default): each intermediate exit gets a final norm and head of its
 *       own, initialised from the model's, trained on that exit's loss. The last layer keeps the
 *       SFT head it was trained with, so full-depth output stays SFT's. This costs one head
 *       (vocab x dim) per exit: the memory that SoFT's single shared head saves.</li>
 *   <li>one shared head: the model's own final norm and head train on the equally weighted sum
 *       of every exit's loss, the last layer's included. A head tied to the embedding is untied
 *       first, so that the embedding, part of the backbone, stays frozen.</li>
 * </ul>
 * Only heads train, so the training pass stops at the exits: no backward through the layers.
 */
public final class ClassifierTuning {
    private ClassifierTuning() {}

    /** Freezes everything but the classifiers of {@code exits} and returns the objective to train them on. */
    public static ExitObjective prepare(TrainableModel model, ExitSet exits, boolean sharedHead) {
        int last = model.config.nLayers();
        if (sharedHead) {
            model.untieOutput();
            model.setTrainable(p -> p == model.output() || p == model.finalNorm);
            return ExitObjective.equal(exits);
        }
        int[] intermediate = Arrays.stream(exits.layers()).filter(k -> k < last).toArray();
        if (intermediate.length == 0) {
            throw new BadInputException("ICT needs at least one exit below the last layer " + last + "; the exits are " + exits);
        }
        model.addExitHeads(intermediate);
        model.setTrainable(p -> {
            for (int k : intermediate) {
                TrainableModel.ExitHeadParams own = model.exitHead(k);
                if (p == own.norm() || p == own.output()) return true;
            }
            return false;
        });
        double[] weights = new double[intermediate.length];
        Arrays.fill(weights, 1);
        return new ExitObjective(intermediate, weights);
    }
}
