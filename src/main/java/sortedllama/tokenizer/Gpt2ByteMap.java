package sortedllama.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * GPT-2's reversible map between bytes and printable characters, in which byte-level BPE
 * vocabularies are written: printable Latin-1 bytes stand for themselves, the other 68 bytes for
 * U+0100 onwards (so a space is 'Ġ', a newline 'Ċ').
 */
final class Gpt2ByteMap {
    private static final char[] TO_CHAR = new char[256];
    private static final int[] TO_BYTE = new int[256 + 68];

    static {
        Arrays.fill(TO_BYTE, -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            TO_CHAR[b] = printable ? (char) b : (char) next++;
            TO_BYTE[TO_CHAR[b]] = b;
        }
    }

    private Gpt2ByteMap() {}

    static char charOf(int b) {
        return TO_CHAR[b & 0xFF];
    }

    static String encode(byte[] bytes) {
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) out[i] = TO_CHAR[bytes[i] & 0xFF];
        return new String(out);
    }

    /**
     * Appends the bytes a token stands for, as Hugging Face's ByteLevel decoder does: each
     * character's byte when every character is in the map, else the token's own UTF-8 (special
     * tokens such as "&lt;|eot_id|&gt;" are plain ASCII and come out as written either way).
     */
    static void decodeToken(String token, ByteArrayOutputStream out) {
        byte[] bytes = new byte[token.length()];
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            int b = c < TO_BYTE.length ? TO_BYTE[c] : -1;
            if (b < 0) {
                out.writeBytes(token.getBytes(StandardCharsets.UTF_8));
                return;
            }
            bytes[i] = (byte) b;
        }
        out.writeBytes(bytes);
    }
}
