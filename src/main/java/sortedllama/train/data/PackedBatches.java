package sortedllama.train.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Examples laid end to end, in the shuffled order, in rows of exactly {@code seqLen} positions. An
 * example that does not fit in what is left of a row starts the next row, and the rest of the row is
 * padding: splitting it across rows would separate a response from its prompt. (Examples never
 * exceed a row: {@link LengthLimit} saw to that.)
 */
final class PackedBatches implements BatchPlanner {
    private final int batchSize;
    private final int seqLen;

    PackedBatches(int batchSize, int seqLen) {
        this.batchSize = batchSize;
        this.seqLen = seqLen;
    }

    @Override
    public List<PlannedBatch> plan(List<Example> examples, int[] order, SplittableRandom random) {
        List<int[]> rows = new ArrayList<>();
        List<Integer> row = new ArrayList<>();
        int filled = 0;
        for (int index : order) {
            int positions = examples.get(index).positions();
            if (positions > seqLen) throw new IllegalStateException("example " + index + " needs " + positions + " positions, rows have " + seqLen);
            if (filled + positions > seqLen) {
                rows.add(toArray(row));
                row.clear();
                filled = 0;
            }
            row.add(index);
            filled += positions;
        }
        if (!row.isEmpty()) rows.add(toArray(row));
        List<PlannedBatch> batches = new ArrayList<>();
        for (int from = 0; from < rows.size(); from += batchSize) {
            batches.add(new PlannedBatch(seqLen, List.copyOf(rows.subList(from, Math.min(from + batchSize, rows.size())))));
        }
        return batches;
    }

    private static int[] toArray(List<Integer> row) {
        return row.stream().mapToInt(Integer::intValue).toArray();
    }
}
