package sortedllama.tokenizer;

import java.util.OptionalInt;
import sortedllama.BadInputException;

/** Text to token ids and back. */
public interface Tokenizer {
    /** The ids of a text, without BOS. */
    int[] encode(String text);

    /** The raw bytes one token stands for (a byte-fallback token gives its byte; control tokens nothing). */
    byte[] decodeBytes(int id);

    /** The text of a sequence of ids, as the reference library decodes it. */
    String decode(int[] ids);

    int vocabSize();

    /** Beginning-of-sequence id, or -1. */
    int bosId();

    /** End-of-sequence id, or -1. */
    int eosId();

    /** The token as the vocabulary stores it (for display). */
    String tokenText(int id);

    /** The id of a special token written as text (e.g. "&lt;|eot_id|&gt;"), if the vocabulary has it. */
    OptionalInt specialTokenId(String text);

    /** Refuses a tokenizer whose vocabulary does not match the model's. */
    static void checkMatchesModel(Tokenizer tokenizer, int modelVocabSize, String source) {
        if (modelVocabSize > 0 && tokenizer.vocabSize() != modelVocabSize) {
            throw new BadInputException("tokenizer " + source + " has " + tokenizer.vocabSize() + " tokens but the model has "
                    + modelVocabSize + ": they do not belong together");
        }
    }
}
