package sortedllama.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static sortedllama.train.data.DataFixtures.concat;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import sortedllama.SharedData;
import sortedllama.tokenizer.Tokenizer;
import sortedllama.tokenizer.Tokenizers;

/** The prompt/response boundary with SentencePiece's dummy prefix (skipped without ../shared). */
class Llama2TokenizerTest {
    private static Tokenizer llama;

    @BeforeAll
    static void load() {
        llama = Tokenizers.load(SharedData.llama2TokenizerModel(), -1);
    }

    @Test
    void aResponsesLeadingSpaceIsTheDummyPrefixNotASecondSpace() {
        var encoder = new ExampleEncoder(llama);
        Example e = encoder.pair(TriviaQaFormat.prompt("Capital of France?"), TriviaQaFormat.response("Paris"), List.of("Paris"));
        assertArrayEquals(concat(llama.encode("Paris"), new int[] {llama.eosId()}), e.response());
        assertEquals("Question: Capital of France?\nAnswer: Paris", llama.decode(Arrays.copyOfRange(e.tokens(), 1, e.length() - 1)));
        assertEquals(llama.bosId(), e.tokens()[0]);
    }

    @Test
    void anAlpacaOutputStartsAWordOfItsOwn() {
        var encoder = new ExampleEncoder(llama);
        Example e = encoder.pair(AlpacaFormat.prompt("Say hi.", ""), "Hi.", List.of());
        assertArrayEquals(concat(llama.encode("Hi."), new int[] {llama.eosId()}), e.response());
        assertEquals("\u2581Hi", llama.tokenText(e.response()[0]));
    }
}
