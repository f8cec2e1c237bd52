package sortedllama.model;

import java.util.Arrays;
import sortedllama.BadInputException;

/**
 * Keys and values of one sequence, per layer, for positions 0..length-1. A forward pass that
 * exits at layer k fills only layers 1..k, so each layer tracks how far it is filled: a later,
 * deeper pass over the same positions must first fill the layers above k (see dynamic inference).
 */
public final class KVCache {
    final int capacity;
    final int kvDim;
    /** keys[layer][pos * kvDim + kvHead * headDim + i] */
    final float[][] keys;
    final float[][] values;
    private final int[] filled;
    private int length;

    public KVCache(LlamaConfig c, int capacity) {
        if (capacity > c.contextLength()) {
            throw new BadInputException("a sequence of " + capacity + " tokens does not fit the model's context of "
                    + c.contextLength() + " tokens");
        }
        this.capacity = capacity;
        this.kvDim = c.kvDim();
        this.keys = new float[c.nLayers()][];
        this.values = new float[c.nLayers()][];
        for (int l = 0; l < c.nLayers(); l++) {
            keys[l] = new float[Math.multiplyExact(capacity, kvDim)];
            values[l] = new float[capacity * kvDim];
        }
        this.filled = new int[c.nLayers()];
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
        if (source.kvDim != kvDim || source.keys.length != keys.length || positions > source.length || positions > capacity) {
            throw new IllegalArgumentException("cannot copy " + positions + " positions of " + source + " into " + this);
        }
        for (int l = 0; l < keys.length; l++) {
            int n = Math.min(source.filled[l], positions);
            System.arraycopy(source.keys[l], 0, keys[l], 0, n * kvDim);
            System.arraycopy(source.values[l], 0, values[l], 0, n * kvDim);
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
        return "KVCache(length=" + length + ", capacity=" + capacity + ", filled=" + Arrays.toString(filled) + ")";
    }
}
