package sortedllama.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import sortedllama.tokenizer.Tokenizer;
import sortedllama.tokenizer.Tokenizers;
import sortedllama.train.Batch;

/** Shared test material: the small committed tokenizer, the sample files, synthetic examples. */
final class DataFixtures {
    static final int BOS = 1, EOS = 2, PAD = 0;
    private static Tokenizer tokenizer;

    private DataFixtures() {}

    /** The 600-token byte-level BPE committed for tests (BOS 1, EOS 2, no dummy prefix). */
    static synchronized Tokenizer tokenizer() {
        if (tokenizer == null) tokenizer = Tokenizers.load(resource("/tokenizer/wordnet_bpe_600.json"), -1);
        return tokenizer;
    }

    static Path resource(String name) {
        try {
            return Path.of(DataFixtures.class.getResource(name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A sample file under src/test/resources/train/data, read strictly (a bad record fails the test). */
    static List<Example> read(DataFormat format, String name) {
        return format.read(resource("/train/data/" + name), new ExampleEncoder(tokenizer()), new BadRecords(BadRecordPolicy.FAIL, m -> { }));
    }

    static int[] concat(int[]... parts) {
        int[] out = new int[0];
        for (int[] p : parts) {
            int at = out.length;
            out = Arrays.copyOf(out, at + p.length);
            System.arraycopy(p, 0, out, at, p.length);
        }
        return out;
    }

    /**
     * Examples BOS, k*1000+1, k*1000+2, ..., EOS of random lengths in [minTokens, maxTokens] and random
     * response starts: every inner token names its example and position, so a misplaced token shows.
     */
    static List<Example> synthetic(int count, int minTokens, int maxTokens, long seed) {
        var random = new SplittableRandom(seed);
        List<Example> out = new ArrayList<>();
        for (int k = 0; k < count; k++) {
            int[] t = new int[random.nextInt(minTokens, maxTokens + 1)];
            for (int j = 0; j < t.length; j++) t[j] = (k + 1) * 1000 + j;
            t[0] = BOS;
            t[t.length - 1] = EOS;
            out.add(new Example(t, random.nextInt(1, t.length), List.of()));
        }
        return out;
    }

    static void assertSameBatch(Batch expected, Batch actual) {
        assertEquals(expected.batchSize(), actual.batchSize());
        assertEquals(expected.seqLen(), actual.seqLen());
        assertArrayEquals(expected.tokens(), actual.tokens());
        assertArrayEquals(expected.targets(), actual.targets());
        assertArrayEquals(expected.lossMask(), actual.lossMask());
        assertArrayEquals(expected.segmentIds(), actual.segmentIds());
    }
}
