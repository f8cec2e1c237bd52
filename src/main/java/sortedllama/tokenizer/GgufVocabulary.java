package sortedllama.tokenizer;

/**
 * The vocabulary a GGUF file embeds ({@code tokenizer.ggml.*}). Obtain one from a tokenizer with
 * {@link Tokenizers#toGguf}, and a tokenizer from one with {@link Tokenizers#fromGguf}.
 *
 * @param model                  "llama" (SentencePiece BPE with scores) or "gpt2" (byte-level BPE with merges)
 * @param scores                 per-token scores, or null
 * @param tokenTypes             per-token types ({@link PieceTypes}: 1 normal, 2 unknown, 3 control, 4 user
 *                               defined, 5 unused, 6 byte), or null
 * @param merges                 "a b" merge rules in rank order (gpt2), or null
 * @param bosId                  BOS id, or -1
 * @param eosId                  EOS id, or -1
 * @param pre                    the pre-tokenizer name ({@code tokenizer.ggml.pre}), or null
 * @param chatTemplate           the Jinja chat template ({@code tokenizer.chat_template}), or null
 * @param addSpacePrefix         "llama": whether text gets a leading space before encoding
 *                               ({@code tokenizer.ggml.add_space_prefix}, SentencePiece's add_dummy_prefix)
 * @param removeExtraWhitespaces "llama": whether runs of spaces collapse ({@code tokenizer.ggml.remove_extra_whitespaces})
 */
public record GgufVocabulary(String model, String[] tokens, float[] scores, int[] tokenTypes, String[] merges, int bosId,
                             int eosId, String pre, String chatTemplate, boolean addSpacePrefix,
                             boolean removeExtraWhitespaces) {
    /** The first token of type unknown, or -1. */
    public int unknownId() {
        if (tokenTypes == null) return -1;
        for (int i = 0; i < tokenTypes.length; i++) if (tokenTypes[i] == PieceTypes.UNKNOWN) return i;
        return -1;
    }
}
