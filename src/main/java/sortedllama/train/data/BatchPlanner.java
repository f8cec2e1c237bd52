package sortedllama.train.data;

import java.util.List;
import java.util.SplittableRandom;

/** Lays out one epoch: which examples go in which row of which batch. */
interface BatchPlanner {

    /**
     * @param order  every example index once, in the epoch's shuffled order
     * @param random the epoch's random stream, for any further shuffling the planner does
     */
    List<PlannedBatch> plan(List<Example> examples, int[] order, SplittableRandom random);

    static BatchPlanner of(DataOptions options) {
        return switch (options.batching()) {
            case PAD -> new PaddedBatches(options.batchSize(), options.sortWindowBatches());
            case PACK -> new PackedBatches(options.batchSize(), options.seqLen());
        };
    }
}
