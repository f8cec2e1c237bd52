package sortedllama.tokenizer;

/** UTF-8 decoding the way SentencePiece turns a run of byte-fallback tokens into text. */
final class Utf8 {
    private Utf8() {}

    /**
     * Decodes {@code bytes[from, to)}, replacing every byte that does not begin a well-formed
     * character by U+FFFD on its own. SentencePiece does this (so a truncated three-byte character
     * gives three replacement characters), whereas Java's decoder replaces the whole maximal
     * prefix by one.
     */
    static void decodeReplacingEachBadByte(byte[] bytes, int from, int to, StringBuilder out) {
        int i = from;
        while (i < to) {
            int length = wellFormedLength(bytes, i, to);
            if (length == 0) {
                out.append('\uFFFD');
                i++;
                continue;
            }
            int b0 = bytes[i] & 0xFF;
            int cp = switch (length) {
                case 1 -> b0;
                case 2 -> (b0 & 0x1F) << 6 | (bytes[i + 1] & 0x3F);
                case 3 -> (b0 & 0x0F) << 12 | (bytes[i + 1] & 0x3F) << 6 | (bytes[i + 2] & 0x3F);
                default -> (b0 & 0x07) << 18 | (bytes[i + 1] & 0x3F) << 12 | (bytes[i + 2] & 0x3F) << 6 | (bytes[i + 3] & 0x3F);
            };
            out.appendCodePoint(cp);
            i += length;
        }
    }

    /**
     * The length of the well-formed character at {@code i} (Unicode table 3-7: no overlong forms,
     * no surrogates, nothing above U+10FFFF), or 0 when there is none.
     */
    static int wellFormedLength(byte[] b, int i, int to) {
        int b0 = b[i] & 0xFF;
        if (b0 < 0x80) return 1;
        int length, lo = 0x80, hi = 0xBF; // the allowed range of the second byte
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            length = 2;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            length = 3;
            if (b0 == 0xE0) lo = 0xA0;
            if (b0 == 0xED) hi = 0x9F;
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            length = 4;
            if (b0 == 0xF0) lo = 0x90;
            if (b0 == 0xF4) hi = 0x8F;
        } else {
            return 0;
        }
        if (i + length > to) return 0;
        int b1 = b[i + 1] & 0xFF;
        if (b1 < lo || b1 > hi) return 0;
        for (int k = 2; k < length; k++) {
            if ((b[i + k] & 0xC0) != 0x80) return 0;
        }
        return length;
    }
}
