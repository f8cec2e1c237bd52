package sortedllama.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sortedllama.train.data.DataFixtures.tokenizer;

import java.util.List;
import org.junit.jupiter.api.Test;
import sortedllama.SharedData;

/**
 * The real subsets in ../shared/data read as they are, every record kept under the strict policy
 * (skipped without ../shared, failing under CI=true).
 */
class SharedDataFormatsTest {
    private static final BadRecords STRICT = new BadRecords(BadRecordPolicy.FAIL, m -> { });

    @Test
    void everyTriviaQaQuestionOfTheHuggingFaceLayoutIsRead() {
        List<Example> questions = DataFormat.TRIVIAQA.read(SharedData.triviaqa2000(), new ExampleEncoder(tokenizer()), STRICT);
        assertEquals(2000, questions.size());
        Example first = questions.get(0);
        assertEquals("Question: Brunswick, Lancastrian and Pearl Pickler are types of which vegetable?\nAnswer:",
                tokenizer().decode(first.prompt()).replace("<s>", ""));
        assertEquals("Onion", first.answers().get(0));
        assertTrue(first.answers().contains("Allium cepa"), first.answers().toString());
    }

    @Test
    void everyAlpacaRecordIsRead() {
        assertEquals(1000, DataFormat.ALPACA.read(SharedData.alpaca1k(), new ExampleEncoder(tokenizer()), STRICT).size());
    }

    @Test
    void all170PandaLmInstructionsAreKeptTheBlankOneIncluded() {
        var instructions = AlpacaFormat.instructions(SharedData.pandalm170(), STRICT);
        assertEquals(170, instructions.size());
        var blank = instructions.get(161);
        assertEquals("162", blank.id());
        assertTrue(blank.instruction().isBlank());
        assertEquals("Truthfulness", blank.input());
    }
}
