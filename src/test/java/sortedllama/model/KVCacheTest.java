package sortedllama.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import sortedllama.BadInputException;
import sortedllama.tensor.DType;
import sortedllama.tensor.NativeKernels;

/** A cache in 16 or 8 bits: close to float32's results, and every property float32's has. */
class KVCacheTest {
    private static final LlamaConfig C = TestModels.wideConfig(3, 61, 64); // head dim 64, two query heads per KV head
    private static final LlamaModel MODEL = TestModels.random(C, 5, 4f);

    /**
     * Logits of a prompt and of the tokens decoded after it stay within a tolerance of float32's,
     * and differ from them (the keys and values were rounded). The tolerance: BF16 keeps 8
     * significant bits, so a score moves by about 2^-8 of its terms; Q8_0 keeps a value to within
     * 1/254 of its group's largest. Measured on this model: at most 1.1e-3 (BF16) and 3.0e-3 (Q8_0)
     * of the logits' spread; asserted at 1e-2.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DType.class, names = {"BF16", "Q8_0"})
    void roundedLogitsStayCloseToFloat32s(DType type) {
        LlamaModel half = MODEL.withKvCache(type);
        assertEquals(type, half.kvCacheType());
        int[] prompt = {1, 7, 19, 3, 44, 12, 9, 30, 2, 5, 17};
        for (int exit : new int[] {1, 3}) {
            KVCache wide = MODEL.newCache(C.contextLength()), narrow = half.newCache(C.contextLength());
            assertEquals(type, narrow.type());
            float[] a = MODEL.forward(wide, prompt, exit, true), b = half.forward(narrow, prompt, exit, true);
            int token = 3;
            double worst = 0, spread = spread(a);
            boolean differ = !Arrays.equals(a, b);
            for (int step = 0; step < 20; step++) {
                for (int i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
                a = MODEL.forward(wide, new int[] {token}, exit, false);
                b = half.forward(narrow, new int[] {token}, exit, false);
                differ |= !Arrays.equals(a, b);
                token = (token * 7 + 11) % C.vocabSize();
            }
            assertTrue(differ, "a cache in " + type + " gave float32's bits: was it used?");
            assertTrue(worst <= 1e-2 * spread, type + " exit " + exit + ": logits moved by " + worst + ", spread " + spread);
        }
    }

    /**
     * A Q8_0 cache's native attention gives the Java loops' bits, for one query and for several consecutive ones at once
     * (a prompt chunk's rows, each seeing one position more than the last, which share the reading of keys and values):
     * head dimensions 32 to 128 (one to four scale groups), visible counts on both sides of the 16-key blocks and the
     * softmax's 16-lane tail, runs of queries shorter than, equal to and longer than the kernel's group, scores mild
     * and so peaked that most weights underflow to 0 (exp's clamp).
     */
    @ParameterizedTest(name = "head dim {0}")
    @CsvSource({"32", "64", "128"})
    void nativeAttentionGivesTheJavaLoopsBits(int headDim) {
        assumeTrue(NativeKernels.attends(), "native attention does not run here");
        int heads = 2, capacity = 320, kvDim = heads * headDim;
        KVCache cache = new KVCache(twoLayers(heads, headDim), capacity, DType.Q8_0);
        Random random = new Random(headDim);
        float[] k = new float[kvDim], v = new float[kvDim];
        for (int layer = 0; layer < 2; layer++) {
            for (int pos = 0; pos < capacity; pos++) {
                for (int i = 0; i < kvDim; i++) {
                    k[i] = (float) random.nextGaussian() * (pos % 7 == 0 ? 30 : 1);
                    v[i] = (float) random.nextGaussian();
                }
                cache.store(layer, pos, k, v, 0);
            }
        }
        int most = 9, checked = 0;
        float[] q = new float[most * kvDim];
        for (int i = 0; i < q.length; i++) q[i] = (float) random.nextGaussian();
        int[][] runs = {{1, 1}, {2, 4}, {15, 1}, {15, 3}, {16, 5}, {17, 9}, {31, 4}, {33, 6}, {150, 9}, {300, 2}, {312, 9}, {320, 1}};
        for (int[] run : runs) {
            int first = run[0], n = run[1], stride = (first + n - 1 + 15) & ~15;
            for (float scale : new float[] {0.125f, 20f}) {
                for (int layer = 0; layer < 2; layer++) {
                    for (int head = 0; head < heads; head++) {
                        float[] outJava = new float[n * kvDim + 5], outNative = new float[n * kvDim + 5];
                        for (int j = 0; j < n; j++) {
                            cache.attendInJava(layer, head, q, j * kvDim + head * headDim, first + j, scale, new float[stride], outJava,
                                    5 + j * kvDim + head * headDim);
                        }
                        cache.attend(layer, head, q, head * headDim, kvDim, n, first, scale, new float[KVCache.QUERIES_AT_ONCE * stride], stride,
                                outNative, 5 + head * headDim, kvDim, head % 2 == 0);
                        assertArrayEquals(outJava, outNative, "first " + first + ", " + n + " queries, scale " + scale + ", layer " + layer + ", head " + head);
                        checked++;
                    }
                }
            }
        }
        assertEquals(runs.length * 8, checked);
    }

    /**
     * A Q8_0 cache's native store gives the Java loops' bits (keys down their blocks' columns, values as rows, and
     * every scale): head dimensions 32 to 128, every lane of several 16-position blocks, heads whose runs do not start
     * on a block of 16 (a capacity that is not a multiple of 16), values of very different sizes, a group of zeros,
     * negative zeros, halves that round away from zero, and a NaN.
     */
    @ParameterizedTest(name = "head dim {0}")
    @CsvSource({"32", "64", "128"})
    void nativeStoreGivesTheJavaLoopsBits(int headDim) {
        assumeTrue(NativeKernels.attends(), "the native KV store does not run here");
        int heads = 3, capacity = 53, kvDim = heads * headDim;
        KVCache byNative = new KVCache(twoLayers(heads, headDim), capacity, DType.Q8_0), byJava = new KVCache(twoLayers(heads, headDim), capacity, DType.Q8_0);
        Random random = new Random(headDim);
        float[] k = new float[kvDim + 7], v = new float[kvDim + 7];
        for (int layer = 0; layer < 2; layer++) {
            for (int pos = 0; pos < capacity; pos++) {
                for (int i = 0; i < k.length; i++) {
                    k[i] = (float) random.nextGaussian() * (pos % 5 == 0 ? 1e4f : 1);
                    v[i] = (float) random.nextGaussian() * (pos % 3 == 0 ? 1e-6f : 1);
                }
                if (pos % 11 == 0) Arrays.fill(k, 7, 7 + 32, pos % 2 == 0 ? 0f : -0f); // a group of zeros: scale 0
                if (pos == 13) {
                    k[7 + 5] = Float.NaN;
                    for (int i = 0; i < 32; i++) v[7 + i] = (i - 16) * 0.5f * 127 / 8f; // amax 8 * 127 / 8: halves to round
                }
                byNative.store(layer, pos, k, v, 7);
                byJava.storeInJava(layer, pos, k, v, 7);
            }
        }
        assertTrue(byNative.sameBits(byJava), "the native store wrote other bits than the Java loops");
        byJava.storeInJava(1, 9, new float[kvDim], new float[kvDim], 0);
        assertFalse(byNative.sameBits(byJava), "sameBits missed a changed position");
    }

    /** A two-layer config whose caches hold {@code heads} KV heads of {@code headDim}: all the native cache tests need. */
    private static LlamaConfig twoLayers(int heads, int headDim) {
        return new LlamaConfig(heads * headDim, 64, 2, heads, heads, headDim, 32, 512, 1e-5f, 10000f, null, RopeLayout.INTERLEAVED, 1, 2);
    }

    private static double spread(float[] x) {
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (float v : x) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        return hi - lo;
    }

    /** A cache filled to a capacity that is not a multiple of 4 or 16 (scores go that many keys at a time) decodes as one with room to spare. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = DType.class, names = {"F32", "BF16", "Q8_0"})
    void aCacheFilledToAnOddCapacityDecodesAsALargerOne(DType type) {
        LlamaModel model = MODEL.withKvCache(type);
        KVCache tight = model.newCache(7), roomy = model.newCache(40);
        int[] prompt = {1, 7, 19, 3, 44};
        assertArrayEquals(model.forward(roomy, prompt, 3, false), model.forward(tight, prompt, 3, false));
        for (int t : new int[] {6, 8}) {
            assertArrayEquals(model.forward(roomy, new int[] {t}, 3, false), model.forward(tight, new int[] {t}, 3, false));
        }
        assertEquals(7, tight.length());
        assertThrows(BadInputException.class, () -> model.forward(tight, new int[] {9}, 3, false));
    }

    /**
     * A copied prefix of a BF16 or Q8_0 cache serves as the prefill it copies, bit for bit, whether it
     * ends inside the first block of 16 keys or past it; a copy across types is refused.
     */
    @ParameterizedTest(name = "{0}, {1} positions")
    @CsvSource({"BF16, 5", "BF16, 18", "Q8_0, 5", "Q8_0, 18"})
    void aCopiedPrefixDecodesAsTheOriginal(DType type, int positions) {
        LlamaModel model = MODEL.withKvCache(type);
        KVCache original = model.newCache(64), copy = model.newCache(40);
        int[] prompt = new int[positions];
        for (int i = 0; i < positions; i++) prompt[i] = (i * 13 + 1) % C.vocabSize();
        model.forward(original, prompt, 2, false);
        copy.copyPrefix(original, positions);
        for (int t : new int[] {5, 9, 12}) {
            assertArrayEquals(model.forward(original, new int[] {t}, 2, false), model.forward(copy, new int[] {t}, 2, false));
        }
        assertThrows(IllegalArgumentException.class, () -> MODEL.newCache(40).copyPrefix(original, positions));
    }

    @Test
    void otherTypesAndNarrowHeadsAreRefusedInOneLine() {
        assertEquals("a KV cache is F32, BF16 or Q8_0, not Q4_0",
                assertThrows(BadInputException.class, () -> MODEL.withKvCache(DType.Q4_0)).getMessage());
        assertEquals("a KV cache is F32, BF16 or Q8_0, not F16",
                assertThrows(BadInputException.class, () -> MODEL.withKvCache(DType.F16)).getMessage());
        LlamaModel narrow = TestModels.random(TestModels.tinyConfig(2, 61, 64), 5, 4f); // head dim 8
        assertEquals("a BF16 KV cache needs a head dimension that is a multiple of 32; this model's is 8",
                assertThrows(BadInputException.class, () -> narrow.withKvCache(DType.BF16)).getMessage());
        assertEquals("a Q8_0 KV cache needs a head dimension that is a multiple of 32; this model's is 8",
                assertThrows(BadInputException.class, () -> narrow.withKvCache(DType.Q8_0)).getMessage());
        assertFalse(KVCache.TYPES.contains(DType.Q4_0));
    }
}
