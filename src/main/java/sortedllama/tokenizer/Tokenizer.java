package sortedllama.tokenizer;

import java.util.Map;
import java.util.OptionalInt;
import sortedllama.BadInputException;

/**
 * Text to token ids and back, agreeing exactly with the reference library of each vocabulary
 * (sentencepiece for LLaMA 1/2, Hugging Face tokenizers for Llama 3). Instances are immutable
 * and safe to share between threads. Obtain one from {@link Tokenizers}.
 *
 * <p>Special tokens in text, one rule for every vocabulary (SentencePiece, byte-level BPE, and
 * either embedded in GGUF): the <em>special</em> tokens are the vocabulary's control and unknown
 * tokens ({@code <s>}, {@code </s>}, {@code <unk>}, {@code <|eot_id|>}, a tokenizer.json's added
 * tokens marked special). By default text is plain text: "&lt;/s&gt;" written in it is five
 * characters, encoded like any others, never the EOS id, so that user text cannot forge control
 * tokens. {@link #encode(String, boolean)} with {@code parseSpecial} (the CLI's
 * {@code --parse-special}) turns each special token's text into its id instead, as llama.cpp's
 * {@code parse_special} and Hugging Face's default for added tokens do. User-defined tokens (added
 * tokens not marked special) are ordinary vocabulary entries and match in text either way.
 */
public interface Tokenizer {
    /** The ids of a text, without BOS; the text is plain text (special tokens' texts are not parsed). */
    int[] encode(String text);

    /**
     * The ids of a text, without BOS; with {@code parseSpecial}, the text of each special token
     * ({@link #specialTokens}) becomes its id (leftmost first, the longest on ties) and the text
     * between is encoded as by {@link #encode(String)}; without, exactly {@link #encode(String)}.
     */
    default int[] encode(String text, boolean parseSpecial) {
        if (!parseSpecial) return encode(text);
        Map<String, Integer> specials = specialTokens();
        IntList out = new IntList();
        SpecialTokens.encode(text, SpecialTokens.pattern(specials.keySet()), specials, this::encode, out);
        return out.toArray();
    }

    /** The special tokens (control and unknown) by their text: what {@code parseSpecial} recognises. */
    default Map<String, Integer> specialTokens() {
        return Map.of();
    }

    /**
     * The raw bytes one token stands for: a byte-fallback piece gives its byte, SentencePiece's '▁'
     * a space, control tokens nothing. Bytes of one character may be spread over several tokens.
     */
    byte[] decodeBytes(int id);

    /** The text of a sequence of ids, as the reference library decodes it. */
    String decode(int[] ids);

    /**
     * A prompt as a model reads it: BOS, then the text's ids. BOS is the tokenizer's own, else
     * {@code fallbackBosId} (the model's); when neither exists (-1) the text's ids alone.
     */
    default int[] encodeAfterBos(String text, int fallbackBosId) {
        return encodeAfterBos(text, fallbackBosId, false);
    }

    /** As {@link #encodeAfterBos(String, int)}, parsing special tokens' texts when {@code parseSpecial}. */
    default int[] encodeAfterBos(String text, int fallbackBosId, boolean parseSpecial) {
        int bos = bosId() >= 0 ? bosId() : fallbackBosId;
        int[] ids = encode(text, parseSpecial);
        if (bos < 0) return ids;
        int[] out = new int[ids.length + 1];
        out[0] = bos;
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    int vocabSize();

    /** Beginning-of-sequence id, or -1. */
    int bosId();

    /** End-of-sequence id, or -1. */
    int eosId();

    /** The token as the vocabulary stores it (for display). */
    String tokenText(int id);

    /** The id of a special token written as text (e.g. "&lt;|eot_id|&gt;", "&lt;/s&gt;"), if the vocabulary has it. */
    OptionalInt specialTokenId(String text);

    /**
     * Refuses a tokenizer whose vocabulary size differs from the model's: their ids would not mean
     * the same tokens.
     *
     * @param modelVocabSize the model's vocabulary size; 0 or less skips the check
     * @param source         how to name the tokenizer in the message (usually its file)
     */
    static void checkMatchesModel(Tokenizer tokenizer, int modelVocabSize, String source) {
        if (modelVocabSize > 0 && tokenizer.vocabSize() != modelVocabSize) {
            throw new BadInputException("tokenizer " + source + " has " + tokenizer.vocabSize() + " tokens but the model has "
                    + modelVocabSize + ": they do not belong together");
        }
    }
}
