package sortedllama.tokenizer;

import java.util.OptionalInt;

/** Text to token ids and back. (Interface stub written by the lead; the tokenizer package owns it.) */
public interface Tokenizer {
    int[] encode(String text);

    byte[] decodeBytes(int id);

    String decode(int[] ids);

    int vocabSize();

    int bosId();

    int eosId();

    String tokenText(int id);

    OptionalInt specialTokenId(String text);
}
