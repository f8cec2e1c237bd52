package sortedllama.model;

import java.util.Arrays;
import sortedllama.BadInputException;
import sortedllama.tensor.DType;
import sortedllama.tensor.Vec;
import sortedllama.tensor.Bf16Pairs;
import sortedllama.tensor.Int8Kv;
import sortedllama.tensor.NativeKernels;

/**
 * Keys and values of one sequence, per layer, for positions 0..length-1. A forward pass that
 * exits at layer k fills only layers 1..k, so each layer tracks how far it is filled: a later,
 * deeper pass over the same positions must first fill the layers above k (see dynamic inference).
 *
 * <p>Each layer's keys are stored head by head, every position of a head in a row, so that
 * attention reads one contiguous run per head. They are stored as float32 (the default: the bits
 * of llama2.c's forward pass) or rounded to bfloat16 (BF16, as vLLM keeps the cache of a bfloat16
 * model): half the memory, and attention over a long context, which is bound by reading the cache,
 * reads half the bytes. BF16 keys are stored in blocks of 16 positions read at once
 * ({@link Bf16Pairs#dots16}), values as float32's are, widened in Vec's loop. Q8_0 ({@link Int8Kv}, as
 * llama.cpp's q8_0 cache types) keeps 8-bit values with a float scale per 32, in the same arrangement:
 * 28% of float32's bytes, for the batch, whose attention reads every sequence's cache from DRAM at
 * every step. A sequence's results depend on the type, never on the batch. (IEEE float16, llama.cpp's
 * default, is not offered: widening it in the Vector API cost more than the bytes saved, see {@link Bf16Pairs}.)
 */
public final class KVCache {
    /** The types a cache stores its keys and values in. */
    public static final java.util.Set<DType> TYPES = java.util.EnumSet.of(DType.F32, DType.BF16, DType.Q8_0);

    /** Queries that {@link #attend} takes through its keys and values together; its scores hold this many rows. */
    static final int QUERIES_AT_ONCE = NativeKernels.QUERIES_AT_ONCE;
    /** Whether Q8_0 caches store and attend in native code: -Dsortedllama.nativeAttention=false keeps them in Java, for comparisons. */
    private static final boolean NATIVE = NativeKernels.attends()
            && Boolean.parseBoolean(System.getProperty("sortedllama.nativeAttention", "true"));

    final int capacity;
    final int kvDim;
    private final int headDim;
    private final DType type;
    /** Positions each head's run holds: capacity rounded up to {@link #keysAtOnce}, so scores may run past the last key. */
    private final int run;
    /** F32: keys[layer][(kvHead * run + pos) * headDim + i], and values alike; null otherwise. */
    private final float[][] keys, values;
    /**
     * BF16, null for F32: values in the same layout, each head's row of a position packed by
     * {@link Bf16Pairs#pack}; keys in blocks of 16 positions per head ({@link Bf16Pairs#packColumn}).
     */
    private final int[][] keys16, values16;
    /**
     * Q8_0 ({@link Int8Kv}), null otherwise: values as rows of bytes, keys in blocks of 16 positions down
     * columns, and their scales, one per 32 values (a block's: 16 per group, key by key).
     */
    private final byte[][] keys8, values8;
    private final float[][] keyScales, valueScales;
    private final int[] filled;
    private int length;

    public KVCache(LlamaConfig c, int capacity) {
        this(c, capacity, DType.F32);
    }

    public KVCache(LlamaConfig c, int capacity, DType type) {
        if (capacity > c.contextLength()) {
            throw new BadInputException("a sequence of " + capacity + " tokens does not fit the model's context of "
                    + c.contextLength() + " tokens");
        }
        checkType(c, type);
        this.capacity = capacity;
        this.kvDim = c.kvDim();
        this.headDim = c.headDim();
        this.type = type;
        this.run = (capacity + keysAtOnce(type) - 1) / keysAtOnce(type) * keysAtOnce(type);
        int size = Math.multiplyExact(run, kvDim);
        boolean wide = type == DType.F32, half = type == DType.BF16, bytes = type == DType.Q8_0;
        this.keys = wide ? new float[c.nLayers()][size] : null;
        this.values = wide ? new float[c.nLayers()][size] : null;
        this.keys16 = half ? new int[c.nLayers()][size / 2] : null;
        this.values16 = half ? new int[c.nLayers()][size / 2] : null;
        this.keys8 = bytes ? new byte[c.nLayers()][size] : null;
        this.values8 = bytes ? new byte[c.nLayers()][size] : null;
        this.keyScales = bytes ? new float[c.nLayers()][size / Int8Kv.GROUP] : null;
        this.valueScales = bytes ? new float[c.nLayers()][size / Int8Kv.GROUP] : null;
        this.filled = new int[c.nLayers()];
    }

    /** Refuses a type a cache of this model cannot take, in one line naming why. */
    public static void checkType(LlamaConfig c, DType type) {
        if (!TYPES.contains(type)) throw new BadInputException("a KV cache is F32, BF16 or Q8_0, not " + type);
        int multiple = switch (type) {
            case F32 -> 1;
            case BF16 -> Bf16Pairs.RUN;
            default -> Int8Kv.GROUP;
        };
        if (c.headDim() % multiple != 0) {
            throw new BadInputException("a " + type + " KV cache needs a head dimension that is a multiple of " + multiple
                    + "; this model's is " + c.headDim());
        }
    }

    public DType type() {
        return type;
    }

    /**
     * Keys {@link #scores} takes at once in a cache of this type: a scores array holds visible rounded up to it.
     * BF16's and Q8_0's are their blocks of keys stored down columns, which share cache lines between positions.
     */
    static int keysAtOnce(DType type) {
        return switch (type) {
            case F32 -> 4;
            case BF16 -> Bf16Pairs.KEYS_PER_BLOCK;
            default -> Int8Kv.KEYS_PER_BLOCK;
        };
    }

    /** Where position {@code pos} of KV head {@code kvHead} starts in a layer's keys or values (in ints for BF16). */
    private int offset(int kvHead, int pos) {
        int at = (kvHead * run + pos) * headDim;
        return keys16 != null ? at / 2 : at;
    }

    /** Where the Q8_0 scales of position {@code pos} of KV head {@code kvHead} start (of a key block: its first position). */
    private int scaleOffset(int kvHead, int pos) {
        return (kvHead * run + pos) * (headDim / Int8Kv.GROUP);
    }

    /**
     * Stores position {@code pos} of layer {@code layer}: its keys and values as the projections give
     * them, kvDim floats each from {@code from}. Calls for different positions may run at once on
     * different threads: they write disjoint elements.
     */
    void store(int layer, int pos, float[] k, float[] v, int from) {
        if (keys8 != null && NATIVE) {
            NativeKernels.storeQ8(k, v, from, kvDim / headDim, headDim, run, pos, keys8[layer], keyScales[layer], values8[layer],
                    valueScales[layer]);
        } else {
            storeInJava(layer, pos, k, v, from);
        }
    }

    /** {@link #store} in the Java loops, which a Q8_0 cache's native store matches bit for bit (and the tests check). */
    void storeInJava(int layer, int pos, float[] k, float[] v, int from) {
        int lane = pos % keysAtOnce(type); // BF16 and Q8_0: the key's column in its block
        for (int h = 0, src = from; h < kvDim / headDim; h++, src += headDim) {
            int at = offset(h, pos);
            if (keys != null) {
                System.arraycopy(k, src, keys[layer], at, headDim);
                System.arraycopy(v, src, values[layer], at, headDim);
            } else if (keys8 != null) {
                Int8Kv.quantizeColumn(k, src, headDim, keys8[layer], offset(h, pos - lane), lane, keyScales[layer],
                        scaleOffset(h, pos - lane));
                Int8Kv.quantize(v, src, headDim, values8[layer], at, valueScales[layer], scaleOffset(h, pos), 1);
            } else {
                Bf16Pairs.packColumn(k, src, keys16[layer], offset(h, pos - lane), lane, headDim);
                Bf16Pairs.pack(v, src, values16[layer], at, headDim);
            }
        }
    }

    /** Whether this cache holds the same bits as {@code other} in every layer (tests compare native and Java stores with it). */
    boolean sameBits(KVCache other) {
        return Arrays.deepEquals(new Object[] {keys, values, keys16, values16, keys8, values8, keyScales, valueScales},
                new Object[] {other.keys, other.values, other.keys16, other.values16, other.keys8, other.values8, other.keyScales, other.valueScales});
    }

    /**
     * Attention of {@code n} consecutive positions of one sequence over KV head {@code kvHead} of layer {@code layer}:
     * query j, at q[qOff + j * qStride..+headDim), sees positions 0..first+j-1, and out[outOff + j * outStride..+headDim)
     * gets their values weighted by the softmax of {@code scale} times their keys' dot products with it. Each query
     * gets the bits it gets alone ({@link #attendInJava}). scores: scratch of {@link #QUERIES_AT_ONCE} rows of scoreStride
     * floats, scoreStride at least first + n - 1 rounded up to {@link #keysAtOnce}. A Q8_0 cache goes through
     * {@link NativeKernels#attendQ8} where it runs, which widens each key and value once for several queries, and asks
     * for the next KV head's keys and values when {@code nextHeadFollows} (the caller's next call attends to it).
     */
    void attend(int layer, int kvHead, float[] q, int qOff, int qStride, int n, int first, float scale, float[] scores, int scoreStride,
                float[] out, int outOff, int outStride, boolean nextHeadFollows) {
        if (keys8 != null && NATIVE) {
            int at = offset(kvHead, 0), scales = scaleOffset(kvHead, 0);
            int nextHead = nextHeadFollows && (kvHead + 1) * headDim < kvDim ? run : 0;
            NativeKernels.attendQ8(q, qOff, qStride, n, keys8[layer], at, keyScales[layer], scales, values8[layer], at, valueScales[layer], scales,
                    first, headDim, nextHead, scale, scores, scoreStride, out, outOff, outStride);
            return;
        }
        for (int j = 0; j < n; j++) attendInJava(layer, kvHead, q, qOff + j * qStride, first + j, scale, scores, out, outOff + j * outStride);
    }

    /** {@link #attend} in the Vector API loops, for every cache type. */
    void attendInJava(int layer, int kvHead, float[] q, int qOff, int visible, float scale, float[] scores, float[] out, int outOff) {
        scores(layer, kvHead, q, qOff, visible, scores);
        for (int p = 0; p < visible; p++) scores[p] *= scale;
        Vec.softmax(scores, 0, visible);
        weightedSum(layer, kvHead, scores, visible, out, outOff);
    }

    /**
     * scores[p] = q[qOff..+headDim) . key p of KV head {@code kvHead} in layer {@code layer}, for
     * p < visible (F32: {@link Vec#dotTree}'s bits; BF16: {@link Bf16Pairs#dots16}'s); scores must
     * hold visible rounded up to {@link #keysAtOnce}.
     */
    private void scores(int layer, int kvHead, float[] q, int qOff, int visible, float[] scores) {
        int at = offset(kvHead, 0), stride = offset(0, 1), step = keysAtOnce(type);
        // several keys at a time, past `visible` into the run's spare positions: their scores are not used
        for (int p = 0; p < visible; p += step, at += step * stride) {
            if (keys != null) Vec.dotTree4(q, qOff, keys[layer], at, stride, headDim, scores, p);
            else if (keys8 != null) Int8Kv.dots16(q, qOff, keys8[layer], at, keyScales[layer], scaleOffset(kvHead, p), headDim, scores, p);
            else Bf16Pairs.dots16(q, qOff, keys16[layer], at, headDim, scores, p);
        }
    }

    /** out[outOff..+headDim) = sum over p < visible of weights[p] * value p of KV head {@code kvHead} ({@link Vec#weightedSum}). */
    private void weightedSum(int layer, int kvHead, float[] weights, int visible, float[] out, int outOff) {
        int at = offset(kvHead, 0), stride = offset(0, 1);
        if (values != null) Vec.weightedSum(weights, visible, values[layer], at, stride, out, outOff, headDim);
        else if (values8 != null) {
            Int8Kv.weightedSum(weights, visible, values8[layer], at, stride, valueScales[layer], scaleOffset(kvHead, 0),
                    headDim / Int8Kv.GROUP, out, outOff, headDim);
        } else Bf16Pairs.weightedSum(weights, visible, values16[layer], at, stride, out, outOff, headDim);
    }

    /** Number of positions fed so far (the next token goes at this position). */
    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    /** Positions whose keys and values are stored for layer {@code layer} (0-based). */
    public int filled(int layer) {
        return filled[layer];
    }

    void markFilled(int layer, int upTo) {
        filled[layer] = upTo;
    }

    /**
     * Records that positions up to {@code newLength} have been fed (the layers they went through
     * are tracked by {@link #filled}); used by decoders that run layers piecewise.
     */
    public void advanceTo(int newLength) {
        if (newLength < length || newLength > capacity) {
            throw new IllegalArgumentException("cannot advance " + this + " to " + newLength);
        }
        length = newLength;
    }

    /**
     * Takes {@code source}'s keys and values of positions 0 .. positions-1, in every layer as far as
     * source has them, and forgets any of its own: a prompt prefilled once for several generations.
     */
    public void copyPrefix(KVCache source, int positions) {
        if (source.kvDim != kvDim || source.headDim != headDim || source.type != type || source.filled.length != filled.length
                || positions > source.length || positions > capacity) {
            throw new IllegalArgumentException("cannot copy " + positions + " positions of " + source + " into " + this);
        }
        for (int l = 0; l < filled.length; l++) {
            int n = Math.min(source.filled[l], positions);
            // BF16 and Q8_0 keys by whole blocks: the positions after n in the last are overwritten before they are read
            int keyPositions = (n + keysAtOnce(type) - 1) / keysAtOnce(type) * keysAtOnce(type);
            for (int h = 0; h < kvDim / headDim; h++) {
                int from = source.offset(h, 0), to = offset(h, 0);
                if (keys != null) {
                    System.arraycopy(source.keys[l], from, keys[l], to, n * headDim);
                    System.arraycopy(source.values[l], from, values[l], to, n * headDim);
                } else if (keys8 != null) {
                    int groups = headDim / Int8Kv.GROUP;
                    System.arraycopy(source.keys8[l], from, keys8[l], to, keyPositions * headDim);
                    System.arraycopy(source.keyScales[l], source.scaleOffset(h, 0), keyScales[l], scaleOffset(h, 0), keyPositions * groups);
                    System.arraycopy(source.values8[l], from, values8[l], to, n * headDim);
                    System.arraycopy(source.valueScales[l], source.scaleOffset(h, 0), valueScales[l], scaleOffset(h, 0), n * groups);
                } else {
                    System.arraycopy(source.keys16[l], from, keys16[l], to, keyPositions * headDim / 2);
                    System.arraycopy(source.values16[l], from, values16[l], to, n * headDim / 2);
                }
            }
            filled[l] = n;
        }
        length = positions;
    }

    /** Forgets every position from {@code newLength} on, e.g. drafted tokens that were rejected. */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) throw new IllegalArgumentException("cannot truncate " + length + " to " + newLength);
        length = newLength;
        for (int l = 0; l < filled.length; l++) filled[l] = Math.min(filled[l], newLength);
    }

    @Override
    public String toString() {
        return "KVCache(" + type + ", length=" + length + ", capacity=" + capacity + ", filled=" + Arrays.toString(filled) + ")";
    }
}
