package sortedllama.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Quantize#encode} against ggml_quantize_chunk (no importance matrix) on the floats of
 * src/test/resources/quantize/ggml_quantize.bin (tools/reference/make_quantize_fixtures.py):
 * every byte equal, since both compute ggml's reference algorithms in IEEE float, in the same order.
 */
class QuantizeTest {
    private record Fixture(int rows, int cols, float[] src, Map<DType, byte[]> quantized) {}

    private static final Fixture FIXTURE = load();

    private static Fixture load() {
        byte[] all;
        try (InputStream in = QuantizeTest.class.getResourceAsStream("/quantize/ggml_quantize.bin")) {
            all = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[4];
        b.get(magic);
        assertEquals("GGQZ", new String(magic, StandardCharsets.US_ASCII));
        assertEquals(1, b.getInt());
        int rows = b.getInt(), cols = b.getInt(), types = b.getInt();
        float[] src = new float[rows * cols];
        for (int i = 0; i < src.length; i++) src[i] = b.getFloat();
        Map<DType, byte[]> quantized = new LinkedHashMap<>();
        for (int t = 0; t < types; t++) {
            DType type = DType.fromGgmlId(b.getInt());
            int rowBytes = b.getInt();
            assertEquals(type.bytesFor(cols), rowBytes);
            byte[] q = new byte[rows * rowBytes];
            b.get(q);
            quantized.put(type, q);
        }
        assertFalse(b.hasRemaining());
        return new Fixture(rows, cols, src, quantized);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K"})
    void bytesMatchGgml(String name) {
        DType type = DType.valueOf(name);
        byte[] ggml = FIXTURE.quantized().get(type);
        int rowBytes = (int) type.bytesFor(FIXTURE.cols());
        // row by row, as the converters call it
        byte[] ours = new byte[ggml.length];
        float[] row = new float[FIXTURE.cols()];
        for (int r = 0; r < FIXTURE.rows(); r++) {
            System.arraycopy(FIXTURE.src(), r * FIXTURE.cols(), row, 0, row.length);
            Quantize.encode(type, row, MemorySegment.ofArray(ours).asSlice((long) r * rowBytes, rowBytes));
        }
        for (int i = 0; i < ggml.length; i++) {
            if (ours[i] != ggml[i]) {
                fail(String.format("%s: byte %d (row %d, block %d, byte %d of it) is 0x%02x, ggml's 0x%02x", name, i, i / rowBytes,
                        (i % rowBytes) / type.blockBytes, (i % rowBytes) % type.blockBytes, ours[i] & 0xFF, ggml[i] & 0xFF));
            }
        }
        // and the whole matrix at once gives the same bytes
        byte[] whole = new byte[ggml.length];
        Quantize.encode(type, FIXTURE.src(), MemorySegment.ofArray(whole));
        assertTrue(Arrays.equals(ggml, whole));
    }

    /** The new types decode close to their input: relative RMSE per row of normal values, by bits per weight. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Q4_1:0.10", "Q5_0:0.06", "Q5_1:0.05", "Q4_K:0.09", "Q5_K:0.045", "Q6_K:0.025"})
    void roundTripsWithinItsPrecision(String spec) {
        DType type = DType.valueOf(spec.split(":")[0]);
        double bound = Double.parseDouble(spec.split(":")[1]);
        Random rnd = new Random(7);
        float[] x = new float[4096];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        byte[] q = new byte[(int) type.bytesFor(x.length)];
        Quantize.encode(type, x, MemorySegment.ofArray(q));
        float[] y = new float[x.length];
        Dequantize.values(type, MemorySegment.ofArray(q), x.length, y, 0);
        double err = 0, norm = 0;
        for (int i = 0; i < x.length; i++) {
            err += (x[i] - y[i]) * (x[i] - y[i]);
            norm += x[i] * x[i];
        }
        double rel = Math.sqrt(err / norm);
        assertTrue(rel < bound, type + ": relative RMSE " + rel + " above " + bound);
    }

    @Test
    void refusesTypesItCannotWriteAndPartialBlocks() {
        assertThrows(IllegalArgumentException.class, () -> Quantize.encode(DType.Q3_K, new float[256], MemorySegment.ofArray(new byte[110])));
        assertThrows(IllegalArgumentException.class, () -> Quantize.encode(DType.Q4_K, new float[288], MemorySegment.ofArray(new byte[400])));
        assertFalse(Quantize.canEncode(DType.IQ4_XS));
        assertTrue(Quantize.canEncode(DType.Q6_K));
    }
}
