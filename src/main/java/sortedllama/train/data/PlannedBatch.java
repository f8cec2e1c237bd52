package sortedllama.train.data;

import java.util.List;
import sortedllama.train.Batch;

/**
 * A batch before its tokens are copied in: the row length and, for each row, the indices of the
 * examples laid end to end in it (one per row when padding, several when packing). Planning with
 * indices keeps an epoch's plan small; {@link #assemble} builds the Batch when it is needed.
 */
record PlannedBatch(int seqLen, List<int[]> rows) {

    /**
     * The Batch: each example is its own segment (attention and rotary positions restart there) and
     * fills {@code length - 1} positions, its token j predicting token j + 1. A target therefore never
     * reaches into the next example, and no position is spent on an example's last token. What is left
     * of a row is padding: one more segment, out of the loss, as {@link Batch} asks.
     */
    Batch assemble(List<Example> examples, int padId) {
        int n = rows.size() * seqLen;
        int[] tokens = new int[n], targets = new int[n], segments = new int[n];
        boolean[] inLoss = new boolean[n];
        for (int r = 0; r < rows.size(); r++) {
            int at = r * seqLen, end = at + seqLen, segment = 0;
            for (int index : rows.get(r)) {
                Example e = examples.get(index);
                if (at + e.positions() > end) throw new IllegalStateException("row " + r + " overflows " + seqLen + " positions");
                int[] t = e.tokens();
                for (int j = 0; j + 1 < t.length; j++, at++) {
                    tokens[at] = t[j];
                    targets[at] = t[j + 1];
                    inLoss[at] = j + 1 >= e.responseStart();
                    segments[at] = segment;
                }
                segment++;
            }
            for (; at < end; at++) {
                tokens[at] = padId;
                targets[at] = padId;
                segments[at] = segment;
            }
        }
        return new Batch(rows.size(), seqLen, tokens, targets, inLoss, segments);
    }
}
