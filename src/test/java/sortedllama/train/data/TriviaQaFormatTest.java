package sortedllama.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static sortedllama.train.data.DataFixtures.concat;
import static sortedllama.train.data.DataFixtures.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TriviaQaFormatTest {

    @Test
    void officialFileNestingWithDataNotFirst() {
        List<Example> examples = DataFixtures.read(DataFormat.TRIVIAQA, "triviaqa_official.json");
        assertEquals(2, examples.size());
        var t = tokenizer();
        Example cat = examples.get(0);
        assertEquals("Question: Which word means: a small domesticated carnivorous mammal?\nAnswer:", t.decode(cat.prompt()).replace("<s>", ""));
        assertArrayEquals(concat(new int[] {t.bosId()}, t.encode(TriviaQaFormat.prompt("Which word means: a small domesticated carnivorous mammal?"))),
                cat.prompt());
        // byte-level BPE keeps the leading space: " cat" is one word after "Answer:"
        assertArrayEquals(concat(t.encode(" cat"), new int[] {t.eosId()}), cat.response());
        // the question is stripped before it goes into the template
        assertEquals(TriviaQaFormat.prompt("Which word means: feeling pleasure?"), t.decode(examples.get(1).prompt()).replace("<s>", ""));
    }

    @Test
    void aliasesAreKeptForEvaluationValueFirstWithoutRepeats() {
        List<Example> examples = DataFixtures.read(DataFormat.TRIVIAQA, "triviaqa_official.json");
        assertEquals(List.of("cat", "Feline", "Felis catus"), examples.get(0).answers());
        assertEquals(List.of("glad", "happy"), examples.get(1).answers());
        assertEquals(new TriviaQaRecord("Q?", "v", List.of("a", "v")).answers(), List.of("v", "a"));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"triviaqa_flat.jsonl", "triviaqa_hf.jsonl"})
    void flatAndHuggingFaceLayoutsReadLikeTheOfficialFile(String name) {
        List<Example> official = DataFixtures.read(DataFormat.TRIVIAQA, "triviaqa_official.json");
        List<Example> other = DataFixtures.read(DataFormat.TRIVIAQA, name);
        assertEquals(official.size(), other.size());
        for (int i = 0; i < other.size(); i++) {
            assertArrayEquals(official.get(i).tokens(), other.get(i).tokens());
            // the Hugging Face file's aliases as written, not its normalized_aliases
            assertEquals(official.get(i).answers(), other.get(i).answers());
        }
    }

    @Test
    void normalisedAliasesStandInOnlyWhenThereAreNoAliases() {
        Example e = DataFixtures.read(DataFormat.TRIVIAQA, "triviaqa_hf_normalized_only.json").get(0);
        assertEquals(List.of("Saône", "saône", "river saône", "saone"), e.answers());
    }

    @Test
    void aRecordWithNeitherSpellingNamesTheOfficialOne() {
        var e = assertThrows(InvalidRecordException.class, () -> TriviaQaFormat.record(new ObjectMapper().readTree("{\"query\": \"Q?\"}")));
        assertEquals("field \"Question\" is missing", e.getMessage());
    }
}
