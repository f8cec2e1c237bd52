package sortedllama.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static sortedllama.train.data.DataFixtures.concat;
import static sortedllama.train.data.DataFixtures.tokenizer;

import java.util.List;
import org.junit.jupiter.api.Test;

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

    @Test
    void flatJsonLinesReadLikeTheOfficialFile() {
        List<Example> official = DataFixtures.read(DataFormat.TRIVIAQA, "triviaqa_official.json");
        List<Example> flat = DataFixtures.read(DataFormat.TRIVIAQA, "triviaqa_flat.jsonl");
        assertEquals(official.size(), flat.size());
        for (int i = 0; i < flat.size(); i++) {
            assertArrayEquals(official.get(i).tokens(), flat.get(i).tokens());
            assertEquals(official.get(i).answers(), flat.get(i).answers());
        }
    }
}
