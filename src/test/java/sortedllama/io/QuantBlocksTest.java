package sortedllama.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import sortedllama.tensor.DType;
import sortedllama.tensor.Dequantize;
import sortedllama.tensor.Tensor;

/** ggml's Q8_0 and Q4_0 blocks, built by hand, decode as llama.cpp's dequantize_row_q8_0 / _q4_0 do. */
class QuantBlocksTest {
    @Test
    void q8_0Block() {
        // a float16 scale of 0.5 (0x3800), then 32 signed bytes -16..15
        ByteBuffer b = ByteBuffer.allocate(34).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 0x3800);
        for (int j = 0; j < 32; j++) b.put((byte) (j - 16));
        float[] out = new float[32];
        Dequantize.values(DType.Q8_0, MemorySegment.ofArray(b.array()), 32, out, 0);
        for (int j = 0; j < 32; j++) assertEquals(0.5f * (j - 16), out[j], "value " + j);
    }

    @Test
    void q4_0Block() {
        // scale -0.25 (float16 0xB400); byte j holds value j in its low nibble and value j + 16 in its high nibble
        ByteBuffer b = ByteBuffer.allocate(18).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 0xB400);
        for (int j = 0; j < 16; j++) b.put((byte) (j | ((15 - j) << 4)));
        float[] out = new float[32];
        Dequantize.values(DType.Q4_0, MemorySegment.ofArray(b.array()), 32, out, 0);
        for (int j = 0; j < 16; j++) {
            assertEquals(-0.25f * (j - 8), out[j], "value " + j);
            assertEquals(-0.25f * (15 - j - 8), out[j + 16], "value " + (j + 16));
        }
    }

    @Test
    void rowsOfAQuantizedMatrixAreWholeBlocks() {
        // two rows of 64 values = 2 Q8_0 blocks each; row 1 starts at byte 68
        byte[] data = new byte[4 * 34];
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        for (int block = 0; block < 4; block++) {
            b.putShort(block * 34, Float.floatToFloat16(block + 1));
            for (int j = 0; j < 32; j++) data[block * 34 + 2 + j] = (byte) j;
        }
        Tensor t = new Tensor("m", DType.Q8_0, new long[] {2, 64}, MemorySegment.ofArray(data));
        float[] row = new float[64];
        Dequantize.row(t, 1, row, 0);
        assertEquals(3f * 5, row[5]);
        assertEquals(4f * 31, row[63]);
        float[] all = Dequantize.all(t);
        assertArrayEquals(row, Arrays.copyOfRange(all, 64, 128));
    }
}
