package sortedllama.tokenizer;

/**
 * The vocabulary a GGUF file embeds ({@code tokenizer.ggml.*}).
 *
 * @param model      "llama" (SentencePiece BPE with scores) or "gpt2" (byte-level BPE with merges)
 * @param scores     per-token scores, or null
 * @param tokenTypes per-token types (1 normal, 2 unknown, 3 control, 4 user defined, 5 unused, 6 byte), or null
 * @param merges     "a b" merge rules (gpt2), or null
 * @param pre        the pre-tokenizer name ({@code tokenizer.ggml.pre}), or null
 */
public record GgufVocabulary(String model, String[] tokens, float[] scores, int[] tokenTypes, String[] merges, int bosId,
                             int eosId, String pre, String chatTemplate) {}
