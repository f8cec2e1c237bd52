package sortedllama.tokenizer;

import java.util.OptionalInt;
import sortedllama.BadInputException;

/**
 * Text to token ids and back, agreeing exactly with the reference library of each vocabulary
 * (sentencepiece for LLaMA 1/2, Hugging Face tokenizers for Llama 3). Instances are immutable
 * and safe to share between threads. Obtain one from {@link Tokenizers}.
 */
public interface Tokenizer {
    /** The ids of a text, without BOS. Special-looking text is ordinary text, except Hugging Face's added tokens. */
    int[] encode(String text);

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
        int bos = bosId() >= 0 ? bosId() : fallbackBosId;
        int[] ids = encode(text);
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
