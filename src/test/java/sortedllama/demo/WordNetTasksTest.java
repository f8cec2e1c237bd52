package sortedllama.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import net.sf.extjwnl.data.POS;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class WordNetTasksTest {
    static List<WordNetEntries.Entry> nouns;

    @BeforeAll
    static void load() {
        nouns();
    }

    /** WordNet's nouns, read once for every test class that needs them (reading takes seconds). */
    static synchronized List<WordNetEntries.Entry> nouns() {
        if (nouns == null) nouns = WordNetEntries.load(POS.NOUN);
        return nouns;
    }

    @Test
    void readsWordNetFromTheMavenArtifact() {
        assertTrue(nouns.size() > 50_000, "WordNet 3.1 has 82,192 noun synsets; usable: " + nouns.size());
        var entity = nouns.get(0);
        assertEquals("entity", entity.word());
        assertTrue(entity.definition().startsWith("that which is perceived or known"), entity.definition());
        var object = nouns.stream().filter(e -> e.word().equals("object") && e.synonyms().contains("physical object"))
                .findFirst().orElseThrow();
        assertEquals(List.of("physical entity"), object.hypernyms());
        assertEquals("it was full of rackets, balls and other objects", object.examples().get(0));
    }

    @Test
    void splitsAreFixedAndRoughlyEightyTenTen() {
        Map<WordNetEntries.Split, Integer> counts = new EnumMap<>(WordNetEntries.Split.class);
        for (var e : nouns) counts.merge(WordNetEntries.split(e), 1, Integer::sum);
        double test = counts.get(WordNetEntries.Split.TEST) / (double) nouns.size();
        double validation = counts.get(WordNetEntries.Split.VALIDATION) / (double) nouns.size();
        assertEquals(0.1, test, 0.01);
        assertEquals(0.1, validation, 0.01);
        assertEquals(WordNetEntries.split(nouns.get(123)), WordNetEntries.split(nouns.get(123)));
    }

    @Test
    void buildsAlpacaAndTriviaQaRecords() {
        var few = nouns.subList(0, 50);
        var instructions = WordNetTasks.instructions(few);
        assertEquals("Define the word \"entity\".", instructions.get(0).get("instruction"));
        assertTrue(instructions.stream().anyMatch(r -> !r.get("input").isEmpty()), "some records use the input field");
        var questions = WordNetTasks.questions(few);
        @SuppressWarnings("unchecked")
        var answer = (Map<String, Object>) questions.get(0).get("Answer");
        assertEquals(few.stream().filter(e -> !e.hypernyms().isEmpty()).count(), questions.size(), "one question per entry with a hypernym");
        assertEquals("What is a physical entity a kind of?", questions.get(0).get("Question"));
        assertEquals("entity", answer.get("Value"));
        assertTrue(WordNetTasks.pretrainingText(few).startsWith("entity (noun): that which is perceived"));
    }
}
