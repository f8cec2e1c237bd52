package sortedllama.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static sortedllama.train.data.DataFixtures.PAD;
import static sortedllama.train.data.DataFixtures.assertSameBatch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import sortedllama.BadInputException;
import sortedllama.train.Batch;

class BatchStreamTest {
    private final List<Example> examples = DataFixtures.synthetic(23, 2, 17, 11);

    private static DataOptions options(BatchMode mode, long seed) {
        return DataOptions.defaults(DataFormat.TEXT, 16, 4).withBatching(mode).withSeed(seed);
    }

    private BatchStream stream(BatchMode mode, long seed, DataPosition start) {
        return new BatchStream(examples, options(mode, seed), PAD, start);
    }

    private static List<Batch> take(BatchStream s, int n) {
        List<Batch> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(s.next());
        return out;
    }

    @ParameterizedTest
    @EnumSource(BatchMode.class)
    void sameSeedSameBatchesOtherSeedOthers(BatchMode mode) {
        List<Batch> a = take(stream(mode, 42, DataPosition.START), 20), b = take(stream(mode, 42, DataPosition.START), 20);
        for (int i = 0; i < a.size(); i++) assertSameBatch(a.get(i), b.get(i));
        List<Batch> c = take(stream(mode, 43, DataPosition.START), 20);
        assertFalse(Arrays.equals(a.get(0).tokens(), c.get(0).tokens()) && Arrays.equals(a.get(1).tokens(), c.get(1).tokens()));
    }

    @ParameterizedTest
    @EnumSource(BatchMode.class)
    void resumingAtASavedPositionReproducesTheRemainingBatches(BatchMode mode) {
        BatchStream first = stream(mode, 7, DataPosition.START);
        int perEpoch = first.batchesInEpoch();
        // mid-epoch, at the end of an epoch, and into the third epoch
        for (int taken : new int[] {1, perEpoch - 1, perEpoch, 2 * perEpoch + 2}) {
            BatchStream original = stream(mode, 7, DataPosition.START);
            take(original, taken);
            DataPosition saved = original.position();
            List<Batch> expected = take(original, 2 * perEpoch);
            List<Batch> resumed = take(stream(mode, 7, saved), 2 * perEpoch);
            for (int i = 0; i < expected.size(); i++) assertSameBatch(expected.get(i), resumed.get(i));
        }
    }

    @Test
    void positionCountsBatchesAndRollsOverToTheNextEpoch() {
        BatchStream s = stream(BatchMode.PAD, 1, DataPosition.START);
        int perEpoch = s.batchesInEpoch();
        assertEquals(6, perEpoch); // 23 examples in batches of 4
        take(s, 2);
        assertEquals(new DataPosition(0, 2), s.position());
        take(s, perEpoch - 2);
        assertEquals(new DataPosition(1, 0), s.position());
        take(s, 1);
        assertEquals(new DataPosition(1, 1), s.position());
    }

    @Test
    void epochsAreShuffledDifferently() {
        BatchStream s = stream(BatchMode.PAD, 1, DataPosition.START);
        List<Batch> epoch0 = take(s, s.batchesInEpoch()), epoch1 = take(s, s.batchesInEpoch());
        boolean allSame = true;
        for (int i = 0; i < epoch0.size(); i++) allSame &= Arrays.equals(epoch0.get(i).tokens(), epoch1.get(i).tokens());
        assertFalse(allSame);
    }

    @Test
    void aPositionBeyondTheEpochIsRefused() {
        var e = assertThrows(BadInputException.class, () -> stream(BatchMode.PAD, 1, new DataPosition(3, 99)));
        assertEquals("cannot resume at epoch 3, batch 99: that epoch has 6 batches (did the data or the batch options change since the checkpoint?)",
                e.getMessage());
    }
}
