package sortedllama.tokenizer;

/**
 * The kinds of SentencePiece pieces, numbered as in SentencePiece's ModelProto and GGUF's
 * {@code tokenizer.ggml.token_type}.
 */
public final class PieceTypes {
    public static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;

    private PieceTypes() {}

    /**
     * Types for a vocabulary that came without them (llama2.c's tokenizer.bin, a GGUF file without
     * token_type), from LLaMA's conventions: piece 0 is unknown, BOS and EOS are control pieces,
     * and {@code <0xXX>} pieces stand for single bytes.
     */
    static int[] llamaConventions(String[] pieces, int bosId, int eosId) {
        int[] types = new int[pieces.length];
        for (int i = 0; i < pieces.length; i++) {
            types[i] = i == 0 ? UNKNOWN : (i == bosId || i == eosId) ? CONTROL : isBytePiece(pieces[i]) ? BYTE : NORMAL;
        }
        return types;
    }

    /** True for SentencePiece's byte pieces, {@code <0x00>} to {@code <0xFF>}. */
    static boolean isBytePiece(String piece) {
        return piece.length() == 6 && piece.startsWith("<0x") && piece.endsWith(">")
                && isUpperHex(piece.charAt(3)) && isUpperHex(piece.charAt(4));
    }

    static int byteOf(String bytePiece) {
        return Integer.parseInt(bytePiece.substring(3, 5), 16);
    }

    private static boolean isUpperHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
    }
}
