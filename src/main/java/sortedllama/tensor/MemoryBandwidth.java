package sortedllama.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Measures how fast the cores can stream memory: the bound on memory-bound decoding. */
public final class MemoryBandwidth {
    // a constant species, or the Vector API falls back to scalar code
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final int CHUNK = 4096;

    private MemoryBandwidth() {}

    /** Best of {@code runs} passes summing a native buffer of {@code bytes} over all cores, in GB/s. */
    public static double measureReadGBs(long bytes, int runs) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buffer = arena.allocate(bytes, 64);
            buffer.fill((byte) 1);
            int chunks = (int) (bytes / CHUNK);
            double best = 0;
            double[] sink = new double[1];
            for (int r = 0; r < runs; r++) {
                long t0 = System.nanoTime();
                Parallel.forRange(chunks, 1, (from, to) -> {
                    float s = sum(buffer, (long) from * CHUNK, (long) to * CHUNK);
                    synchronized (sink) {
                        sink[0] += s;
                    }
                });
                best = Math.max(best, (double) chunks * CHUNK / (System.nanoTime() - t0));
            }
            return best;
        }
    }

    private static float sum(MemorySegment buffer, long from, long to) {
        int step = FS.vectorByteSize();
        FloatVector a0 = FloatVector.zero(FS), a1 = FloatVector.zero(FS), a2 = FloatVector.zero(FS), a3 = FloatVector.zero(FS);
        for (long off = from; off < to; off += 4L * step) {
            a0 = a0.add(FloatVector.fromMemorySegment(FS, buffer, off, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(FloatVector.fromMemorySegment(FS, buffer, off + step, ByteOrder.LITTLE_ENDIAN));
            a2 = a2.add(FloatVector.fromMemorySegment(FS, buffer, off + 2L * step, ByteOrder.LITTLE_ENDIAN));
            a3 = a3.add(FloatVector.fromMemorySegment(FS, buffer, off + 3L * step, ByteOrder.LITTLE_ENDIAN));
        }
        return a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
    }
}
