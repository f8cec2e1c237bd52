package sortedllama.tensor;

import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Quantize#encode} writes the bytes ggml_quantize_chunk writes for the same floats (the
 * fixtures of src/test/resources/ggml): bit-exact, since both are ggml's reference quantisers
 * (no importance matrix) computed in float with C's roundf.
 */
class QuantizeGgmlTest {
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"F16", "BF16", "Q8_0", "Q4_0"})
    void encodesAsGgml(String name) {
        GgmlFixture f = GgmlFixture.load(name);
        byte[] ours = new byte[f.quantized().length];
        Quantize.encode(f.type(), f.src(), MemorySegment.ofArray(ours));
        byte[] ggml = f.quantized();
        int mismatches = 0;
        String first = null;
        for (int i = 0; i < ggml.length; i++) {
            if (ours[i] != ggml[i]) {
                mismatches++;
                if (first == null) first = describe(f, i, ours, ggml);
            }
        }
        if (mismatches > 0) {
            fail(String.format("%s: %d of %d bytes differ from ggml_quantize_chunk's; first %s", name, mismatches, ggml.length, first));
        }
    }

    private static String describe(GgmlFixture f, int i, byte[] ours, byte[] ggml) {
        DType t = f.type();
        int block = i / t.blockBytes, at = i % t.blockBytes;
        String where = String.format("at byte %d (row %d, block %d, byte %d of it): ggml 0x%02x, ours 0x%02x", i,
                i / f.rowBytes(), (i % f.rowBytes()) / t.blockBytes, at, ggml[i] & 0xFF, ours[i] & 0xFF);
        if (t.isQuantized()) {
            MemorySegment g = MemorySegment.ofArray(ggml), o = MemorySegment.ofArray(ours);
            long base = (long) block * t.blockBytes;
            where += String.format("; block scale ggml %s, ours %s", Float.float16ToFloat(g.get(ValueLayout.JAVA_SHORT_UNALIGNED, base)),
                    Float.float16ToFloat(o.get(ValueLayout.JAVA_SHORT_UNALIGNED, base)));
        }
        return where;
    }
}
