package sortedllama.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sortedllama.train.data.DataFixtures.BOS;
import static sortedllama.train.data.DataFixtures.EOS;
import static sortedllama.train.data.DataFixtures.PAD;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import sortedllama.train.Batch;

class PackedBatchesTest {
    private static final int B = 3, T = 32;
    private final List<Example> examples = DataFixtures.synthetic(60, 2, T + 1, 7);

    private List<Batch> epoch() {
        var random = new SplittableRandom(3);
        return new PackedBatches(B, T).plan(examples, Shuffle.permutation(examples.size(), random), random).stream()
                .map(p -> p.assemble(examples, PAD)).toList();
    }

    @Test
    void rowsAreTLongSegmentsChangeAtDocumentsAndNoTargetCrossesABoundary() {
        List<int[]> rebuilt = new ArrayList<>();
        for (Batch batch : epoch()) {
            assertEquals(T, batch.seqLen());
            assertTrue(batch.batchSize() <= B);
            for (int r = 0; r < batch.batchSize(); r++) {
                int row = r * T;
                assertEquals(0, batch.segmentIds()[row]);
                List<Integer> doc = new ArrayList<>();
                for (int t = 0; t < T; t++) {
                    int i = row + t;
                    boolean last = t == T - 1 || batch.segmentIds()[i + 1] != batch.segmentIds()[i];
                    if (t > 0 && batch.segmentIds()[i] != batch.segmentIds()[i - 1]) {
                        assertEquals(batch.segmentIds()[i - 1] + 1, batch.segmentIds()[i], "segment ids count up by one");
                    }
                    if (batch.tokens()[i] == PAD) { // padding: the row's last segment, out of the loss
                        assertFalse(batch.lossMask()[i]);
                        assertEquals(batch.segmentIds()[row + T - 1], batch.segmentIds()[i]);
                        continue;
                    }
                    if (doc.isEmpty()) assertEquals(BOS, batch.tokens()[i], "a segment starts with a document's first token");
                    doc.add(batch.tokens()[i]);
                    if (last) {
                        // the document's last input predicts its own EOS, not the next document's BOS
                        assertEquals(EOS, batch.targets()[i]);
                        doc.add(batch.targets()[i]);
                        rebuilt.add(doc.stream().mapToInt(Integer::intValue).toArray());
                        doc.clear();
                    } else {
                        assertEquals(batch.tokens()[i + 1], batch.targets()[i], "inside a document a target is the next input");
                    }
                }
            }
        }
        // every example's tokens appear exactly once, whole
        List<int[]> expected = new ArrayList<>(examples.stream().map(Example::tokens).toList());
        rebuilt.sort(PackedBatchesTest::compare);
        expected.sort(PackedBatchesTest::compare);
        assertEquals(expected.size(), rebuilt.size());
        for (int i = 0; i < expected.size(); i++) assertArrayEquals(expected.get(i), rebuilt.get(i));
    }

    @Test
    void lossMaskFollowsEachExamplesResponseStart() {
        int counted = 0, expected = examples.stream().mapToInt(Example::countedTargets).sum();
        for (Batch b : epoch()) counted += b.countedTargets();
        assertEquals(expected, counted);
    }

    @Test
    void packingLeavesLittleRoom() {
        int positions = examples.stream().mapToInt(Example::positions).sum();
        int rows = epoch().stream().mapToInt(Batch::batchSize).sum();
        assertTrue(rows * T < positions * 1.5, rows + " rows of " + T + " for " + positions + " positions");
    }

    private static int compare(int[] a, int[] b) {
        return Arrays.compare(a, b);
    }
}
