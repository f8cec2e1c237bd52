package sortedllama.demo;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import sortedllama.tokenizer.Tokenizer;
import sortedllama.train.Batch;

/**
 * Short documents (one per line: BOS, text, EOS) packed into rows of exactly T tokens. Segment ids
 * keep attention inside each document, and a position whose next token starts another document
 * does not count in the loss. Rows are drawn in a seeded order, the same for every method trained.
 */
final class PackedTokens {
    final int[] tokens;
    final int[] documents;

    PackedTokens(List<String> lines, Tokenizer tokenizer) {
        List<Integer> ids = new ArrayList<>(), docs = new ArrayList<>();
        int doc = 0;
        for (String line : lines) {
            ids.add(tokenizer.bosId());
            for (int id : tokenizer.encode(line)) ids.add(id);
            ids.add(tokenizer.eosId());
            while (docs.size() < ids.size()) docs.add(doc);
            doc++;
        }
        tokens = ids.stream().mapToInt(Integer::intValue).toArray();
        documents = docs.stream().mapToInt(Integer::intValue).toArray();
    }

    int rows(int seqLen) {
        return (tokens.length - 1) / seqLen;
    }

    /** Row r: inputs tokens[rT .. rT+T), targets shifted by one. */
    void fill(int row, int seqLen, int[] in, int[] target, boolean[] mask, int[] segment, int at) {
        int start = row * seqLen;
        int firstDoc = documents[start];
        for (int t = 0; t < seqLen; t++) {
            int i = start + t;
            in[at + t] = tokens[i];
            target[at + t] = tokens[i + 1];
            mask[at + t] = documents[i + 1] == documents[i];
            segment[at + t] = documents[i] - firstDoc;
        }
    }

    Batch batch(int[] rowIds, int seqLen) {
        int n = rowIds.length * seqLen;
        int[] in = new int[n], target = new int[n], segment = new int[n];
        boolean[] mask = new boolean[n];
        for (int b = 0; b < rowIds.length; b++) fill(rowIds[b], seqLen, in, target, mask, segment, b * seqLen);
        return new Batch(rowIds.length, seqLen, in, target, mask, segment);
    }

    /** A seeded endless sequence of batches: shuffled rows, reshuffled every epoch. */
    final class Batches {
        private final int seqLen, batchSize;
        private final SplittableRandom random;
        private int[] order;
        private int next;

        Batches(int seqLen, int batchSize, long seed) {
            this.seqLen = seqLen;
            this.batchSize = batchSize;
            this.random = new SplittableRandom(seed);
            reshuffle();
        }

        private void reshuffle() {
            order = new int[rows(seqLen)];
            for (int i = 0; i < order.length; i++) order[i] = i;
            for (int i = order.length - 1; i > 0; i--) {
                int j = random.nextInt(i + 1), tmp = order[i];
                order[i] = order[j];
                order[j] = tmp;
            }
            next = 0;
        }

        Batch next() {
            if (next + batchSize > order.length) reshuffle();
            int[] rows = java.util.Arrays.copyOfRange(order, next, next + batchSize);
            next += batchSize;
            return batch(rows, seqLen);
        }
    }
}
