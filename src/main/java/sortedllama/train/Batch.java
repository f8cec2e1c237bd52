package sortedllama.train;

import java.util.Arrays;
import sortedllama.BadInputException;
import sortedllama.model.LlamaConfig;

/**
 * B sequences of T tokens, row-major ({@code [b * T + t]}): the inputs, the token each position
 * should predict, and whether that prediction counts in the loss.
 *
 * <p>Packed documents: {@code segmentIds} (null = one segment per sequence) labels each position
 * with its document; ids must not decrease along a sequence. A position attends only to earlier
 * positions of its own segment, and rotary positions restart at 0 at each segment start, so a
 * packed document is processed exactly as if it were alone. Padding: give it a segment of its
 * own at the end of the sequence and a false loss mask.
 */
public record Batch(int batchSize, int seqLen, int[] tokens, int[] targets, boolean[] lossMask, int[] segmentIds) {

    public Batch {
        int n = Math.multiplyExact(batchSize, seqLen);
        if (batchSize <= 0 || seqLen <= 0) throw new BadInputException("batch of " + batchSize + " x " + seqLen + " tokens");
        check("tokens", tokens.length, n);
        check("targets", targets.length, n);
        check("loss mask", lossMask.length, n);
        if (segmentIds != null) {
            check("segment ids", segmentIds.length, n);
            for (int i = 0; i < n; i++) {
                if (i % seqLen != 0 && segmentIds[i] < segmentIds[i - 1]) {
                    throw new BadInputException("segment ids decrease at sequence " + i / seqLen + ", position "
                            + i % seqLen + ": packed documents must be in order");
                }
            }
        }
    }

    private static void check(String what, int length, int expected) {
        if (length != expected) throw new BadInputException("batch: " + length + " " + what + " for " + expected + " positions");
    }

    /** Every position counts, one segment per sequence. */
    public static Batch of(int batchSize, int seqLen, int[] tokens, int[] targets) {
        boolean[] all = new boolean[tokens.length];
        Arrays.fill(all, true);
        return new Batch(batchSize, seqLen, tokens, targets, all, null);
    }

    public int positions() {
        return batchSize * seqLen;
    }

    /** Number of positions whose prediction counts in the loss. */
    public int countedTargets() {
        int n = 0;
        for (boolean b : lossMask) if (b) n++;
        return n;
    }

    /** Throws a clear error unless every id fits the model and sequences fit its context. */
    public void validate(LlamaConfig c) {
        if (seqLen > c.contextLength()) {
            throw new BadInputException("sequences of " + seqLen + " tokens exceed the model's context of " + c.contextLength());
        }
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= c.vocabSize()) {
                throw new BadInputException("token id " + tokens[i] + " at position " + i + " is outside the vocabulary 0.." + (c.vocabSize() - 1));
            }
            if (lossMask[i] && (targets[i] < 0 || targets[i] >= c.vocabSize())) {
                throw new BadInputException("target id " + targets[i] + " at position " + i + " is outside the vocabulary 0.." + (c.vocabSize() - 1));
            }
        }
    }

    /** For each position, the index (within its sequence) of the first position of its segment. */
    public int[] segmentStarts() {
        int[] start = new int[positions()];
        for (int i = 0; i < start.length; i++) {
            int t = i % seqLen;
            boolean sameAsPrevious = t > 0 && segmentIds != null && segmentIds[i] == segmentIds[i - 1];
            start[i] = t == 0 || segmentIds == null ? 0 : sameAsPrevious ? start[i - 1] : t;
        }
        return start;
    }
}
