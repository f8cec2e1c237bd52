package sortedllama.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sortedllama.train.data.DataFixtures.PAD;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import sortedllama.train.Batch;

class PaddedBatchesTest {
    private static final int B = 4;
    private final List<Example> examples = DataFixtures.synthetic(37, 2, 40, 5);

    private List<PlannedBatch> plan(int windowBatches) {
        var random = new SplittableRandom(9);
        return new PaddedBatches(B, windowBatches).plan(examples, Shuffle.permutation(examples.size(), random), random);
    }

    @Test
    void eachRowIsOneExampleThenPaddingOutOfTheLossInASegmentOfItsOwn() {
        Map<Integer, Integer> seen = new HashMap<>();
        List<PlannedBatch> plan = plan(3);
        int shortBatches = 0;
        for (PlannedBatch planned : plan) {
            Batch batch = planned.assemble(examples, PAD);
            if (batch.batchSize() < B) shortBatches++;
            int longest = 0;
            for (int r = 0; r < batch.batchSize(); r++) {
                int index = planned.rows().get(r)[0];
                seen.merge(index, 1, Integer::sum);
                Example e = examples.get(index);
                longest = Math.max(longest, e.positions());
                for (int t = 0; t < batch.seqLen(); t++) {
                    int i = r * batch.seqLen() + t;
                    if (t < e.positions()) {
                        assertEquals(e.tokens()[t], batch.tokens()[i]);
                        assertEquals(e.tokens()[t + 1], batch.targets()[i]);
                        assertEquals(t + 1 >= e.responseStart(), batch.lossMask()[i]);
                        assertEquals(0, batch.segmentIds()[i]);
                    } else {
                        assertFalse(batch.lossMask()[i], "no loss on padding");
                        assertEquals(1, batch.segmentIds()[i], "padding is a segment of its own, so nothing attends to it");
                        assertEquals(PAD, batch.tokens()[i]);
                    }
                }
            }
            assertEquals(longest, batch.seqLen(), "padded to the batch's longest row, no further");
        }
        assertEquals(examples.size(), seen.size(), "every example once per epoch");
        assertTrue(seen.values().stream().allMatch(n -> n == 1));
        assertEquals(1, shortBatches, "only the epoch's last batch may be short");
        assertEquals((examples.size() + B - 1) / B, plan.size());
    }

    @Test
    void sortingWithinWindowsCutsPadding() {
        assertTrue(padding(plan(10)) < padding(plan(1)) / 2, "a window of 10 batches pads less than no sorting");
    }

    private int padding(List<PlannedBatch> plan) {
        int padding = 0;
        for (PlannedBatch p : plan) {
            for (int[] row : p.rows()) padding += p.seqLen() - examples.get(row[0]).positions();
        }
        return padding;
    }
}
