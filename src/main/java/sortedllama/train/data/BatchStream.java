package sortedllama.train.data;

import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import sortedllama.BadInputException;
import sortedllama.train.Batch;

/**
 * The training batches, epoch after epoch without end (the trainer decides when to stop). Each
 * epoch's order is a function of the seed and the epoch number alone, so a run resumed at a
 * {@link DataPosition} rebuilds its epoch directly, without replaying earlier ones, and sees exactly
 * the batches an uninterrupted run would have.
 */
public final class BatchStream implements Iterator<Batch> {
    private final List<Example> examples;
    private final BatchPlanner planner;
    private final long seed;
    private final int padId;
    private int epoch;
    private List<PlannedBatch> plan;
    private int next;

    BatchStream(List<Example> examples, DataOptions options, int padId, DataPosition start) {
        if (examples.isEmpty()) throw new BadInputException("no training examples to make batches of");
        this.examples = examples;
        this.planner = BatchPlanner.of(options);
        this.seed = options.seed();
        this.padId = padId;
        this.epoch = start.epoch();
        this.plan = planEpoch(epoch);
        if (start.batch() > plan.size()) {
            throw new BadInputException("cannot resume at " + start + ": that epoch has " + plan.size()
                    + " batches (did the data or the batch options change since the checkpoint?)");
        }
        this.next = start.batch();
    }

    /** Always true: epochs follow one another. */
    @Override
    public boolean hasNext() {
        return true;
    }

    @Override
    public Batch next() {
        if (next == plan.size()) {
            epoch++;
            plan = planEpoch(epoch);
            next = 0;
        }
        return plan.get(next++).assemble(examples, padId);
    }

    /** Where the next batch comes from: save it with a checkpoint to resume exactly here. */
    public DataPosition position() {
        return next == plan.size() ? new DataPosition(epoch + 1, 0) : new DataPosition(epoch, next);
    }

    /** Batches in the current epoch (with packing, the count can vary a little from epoch to epoch). */
    public int batchesInEpoch() {
        return plan.size();
    }

    private List<PlannedBatch> planEpoch(int e) {
        // one independent stream per (seed, epoch): mixing both keeps nearby seeds and epochs unrelated
        var random = new SplittableRandom(Mix64.mix(seed ^ Mix64.mix(e + 1L)));
        return planner.plan(examples, Shuffle.permutation(examples.size(), random), random);
    }
}
