package sortedllama.train.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One example per row, each batch padded to its longest row. To keep padding small, the shuffled
 * order is cut into windows of {@code windowBatches} batches and each window sorted by length before
 * it is cut into batches; the batches are then shuffled, or every window would run from short to long
 * and the loss (and step time) would rise and fall with it.
 */
final class PaddedBatches implements BatchPlanner {
    private final int batchSize;
    private final int windowBatches;

    PaddedBatches(int batchSize, int windowBatches) {
        this.batchSize = batchSize;
        this.windowBatches = windowBatches;
    }

    @Override
    public List<PlannedBatch> plan(List<Example> examples, int[] order, SplittableRandom random) {
        // a whole number of batches per window, so only the epoch's very last batch can be short
        int window = batchSize * windowBatches;
        List<PlannedBatch> batches = new ArrayList<>();
        for (int from = 0; from < order.length; from += window) {
            Integer[] sorted = Arrays.stream(order, from, Math.min(from + window, order.length)).boxed().toArray(Integer[]::new);
            Arrays.sort(sorted, Comparator.comparingInt(i -> examples.get(i).positions())); // stable: ties keep the shuffle
            for (int b = 0; b < sorted.length; b += batchSize) {
                List<int[]> rows = new ArrayList<>();
                int longest = 0;
                for (int i = b; i < Math.min(b + batchSize, sorted.length); i++) {
                    rows.add(new int[] {sorted[i]});
                    longest = Math.max(longest, examples.get(sorted[i]).positions());
                }
                batches.add(new PlannedBatch(longest, rows));
            }
        }
        Shuffle.inPlace(batches, random);
        return batches;
    }
}
