package sortedllama.train.data;

import sortedllama.BadInputException;

/**
 * Where a {@link BatchStream} is: the epoch and the index, within it, of the next batch. Saved with a
 * checkpoint and given back to {@link TrainingData#batches} on resume, it continues with exactly the
 * batches an uninterrupted run would have seen, provided the data and the options are the same.
 */
public record DataPosition(int epoch, int batch) {
    public static final DataPosition START = new DataPosition(0, 0);

    public DataPosition {
        if (epoch < 0 || batch < 0) throw new BadInputException("data position: epoch " + epoch + ", batch " + batch + " (both must be >= 0)");
    }

    @Override
    public String toString() {
        return "epoch " + epoch + ", batch " + batch;
    }
}
