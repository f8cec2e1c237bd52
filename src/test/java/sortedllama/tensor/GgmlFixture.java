package sortedllama.tensor;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * One fixture of src/test/resources/ggml, written by tools/reference/make_ggml_fixtures.py with
 * llama.cpp's ggml library (the format is documented there and in the folder's README.md): floats,
 * ggml's quantization of them, ggml's decoding of that, an activation vector and llama.cpp's dot
 * products of each quantized row with it.
 */
record GgmlFixture(String name, int ggmlId, int rows, int cols, int rowBytes, int vecDotTypeId, float[] src,
        byte[] quantized, float[] dequantized, float[] x, float[] llamaDot, double[] exactDot, long fileBytes) {

    static final String[] TYPES = {
        "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS"
    };
    static final int HEADER_BYTES = 32;

    static GgmlFixture load(String name) {
        byte[] all;
        try (InputStream in = GgmlFixture.class.getResourceAsStream("/ggml/" + name + ".bin")) {
            if (in == null) throw new IllegalStateException("no fixture /ggml/" + name + ".bin");
            all = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[4];
        b.get(magic);
        if (!new String(magic, StandardCharsets.US_ASCII).equals("GGQF")) {
            throw new IllegalStateException(name + ": bad magic");
        }
        int version = b.getInt();
        if (version != 1) throw new IllegalStateException(name + ": version " + version);
        int id = b.getInt(), rows = b.getInt(), cols = b.getInt(), rowBytes = b.getInt(), vdt = b.getInt();
        b.getInt(); // reserved
        float[] src = floats(b, rows * cols);
        byte[] q = new byte[rows * rowBytes];
        b.get(q);
        float[] deq = floats(b, rows * cols);
        float[] x = floats(b, cols);
        float[] llama = floats(b, rows);
        double[] exact = new double[rows];
        for (int r = 0; r < rows; r++) exact[r] = b.getDouble();
        if (b.hasRemaining()) throw new IllegalStateException(name + ": " + b.remaining() + " trailing bytes");
        return new GgmlFixture(name, id, rows, cols, rowBytes, vdt, src, q, deq, x, llama, exact, all.length);
    }

    private static float[] floats(ByteBuffer b, int n) {
        float[] f = new float[n];
        b.asFloatBuffer().get(f);
        b.position(b.position() + 4 * n);
        return f;
    }

    DType type() {
        return DType.valueOf(name);
    }

    /** The quantized matrix as a tensor over a fresh native copy of the fixture's bytes. */
    Tensor tensor(Arena arena, byte[] bytes) {
        MemorySegment seg = arena.allocate(bytes.length, 16);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, seg, 0, bytes.length);
        return new Tensor(name, type(), new long[] {rows, cols}, seg);
    }

    /** Sum over i of |w_i x_i| for row r of ggml's decoded values: the scale of a dot product's rounding error. */
    double absDot(int r) {
        double s = 0;
        for (int i = 0; i < cols; i++) s += Math.abs((double) dequantized[r * cols + i] * x[i]);
        return s;
    }
}
