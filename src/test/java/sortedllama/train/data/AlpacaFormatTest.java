package sortedllama.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sortedllama.train.data.DataFixtures.concat;
import static sortedllama.train.data.DataFixtures.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sortedllama.train.Batch;

class AlpacaFormatTest {

    @Test
    void templateWithInputIsStanfordAlpacasExactly() {
        assertEquals("Below is an instruction that describes a task, paired with an input that provides further context. "
                + "Write a response that appropriately completes the request.\n\n"
                + "### Instruction:\nGive a synonym of the word.\n\n### Input:\nhappy\n\n### Response:",
                AlpacaFormat.prompt("Give a synonym of the word.", "happy"));
    }

    @Test
    void templateWithoutInputIsStanfordAlpacasExactly() {
        assertEquals("Below is an instruction that describes a task. "
                + "Write a response that appropriately completes the request.\n\n"
                + "### Instruction:\nName a more general term for the word.\n\n### Response:",
                AlpacaFormat.prompt("Name a more general term for the word.", ""));
    }

    @Test
    void exampleIsBosPromptResponseEosTokenisedSeparately() {
        List<Example> examples = DataFixtures.read(DataFormat.ALPACA, "alpaca.json");
        assertEquals(3, examples.size());
        var t = tokenizer();
        int[] prompt = concat(new int[] {t.bosId()}, t.encode(AlpacaFormat.prompt("Give a synonym of the word.", "happy")));
        int[] response = concat(t.encode("glad"), new int[] {t.eosId()});
        Example e = examples.get(1);
        assertArrayEquals(concat(prompt, response), e.tokens());
        assertArrayEquals(prompt, e.prompt());
        assertArrayEquals(response, e.response());
        // a missing "input" is an empty one: the template without input
        assertArrayEquals(concat(new int[] {t.bosId()}, t.encode(AlpacaFormat.prompt("Name a more general term for the word.", ""))),
                examples.get(2).prompt());
    }

    @Test
    void lossMaskCoversExactlyTheResponseAndEos() {
        Example e = DataFixtures.read(DataFormat.ALPACA, "alpaca.json").get(0);
        Batch b = new PlannedBatch(e.positions(), List.of(new int[] {0})).assemble(List.of(e), 0);
        List<Integer> trained = new ArrayList<>();
        for (int i = 0; i < b.positions(); i++) if (b.lossMask()[i]) trained.add(b.targets()[i]);
        var t = tokenizer();
        int[] expected = concat(t.encode("A small domesticated feline."), new int[] {t.eosId()});
        assertArrayEquals(expected, trained.stream().mapToInt(Integer::intValue).toArray());
        // and they are the last positions: everything before predicts prompt tokens
        for (int i = 0; i < b.positions(); i++) assertEquals(i >= b.positions() - expected.length, b.lossMask()[i], "position " + i);
    }

    @Test
    void jsonArrayAndJsonLinesReadAlike() {
        List<Example> array = DataFixtures.read(DataFormat.ALPACA, "alpaca.json");
        List<Example> lines = DataFixtures.read(DataFormat.ALPACA, "alpaca.jsonl");
        assertEquals(array.size(), lines.size());
        for (int i = 0; i < array.size(); i++) {
            assertArrayEquals(array.get(i).tokens(), lines.get(i).tokens());
            assertEquals(array.get(i).responseStart(), lines.get(i).responseStart());
        }
    }

    @Test
    void aBlankInstructionWithAnInputIsAnsweredLikeAnyOther() {
        List<String> log = new ArrayList<>();
        var instructions = AlpacaFormat.instructions(DataFixtures.resource("/train/data/instructions_blank.json"),
                new BadRecords(BadRecordPolicy.SKIP, log::add));
        assertEquals(List.of("1", "2", "4"), instructions.stream().map(AlpacaFormat.Instruction::id).toList());
        assertEquals(AlpacaFormat.prompt(" ", "Honesty"), instructions.get(1).prompt(), "the template with input, the instruction as written");
        assertEquals(1, log.size(), log.toString());
        assertTrue(log.get(0).contains("record 3") && log.get(0).contains("\"instruction\" and \"input\" are both empty"), log.get(0));
    }

    @Test
    void aBlankInstructionWithAnInputTrainsToo(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("blank.jsonl");
        Files.writeString(file, "{\"instruction\": \"\", \"input\": \"Honesty\", \"output\": \"A virtue.\"}\n");
        Example e = DataFormat.ALPACA.read(file, new ExampleEncoder(tokenizer()), new BadRecords(BadRecordPolicy.FAIL, m -> { })).get(0);
        assertEquals(AlpacaFormat.prompt("", "Honesty"), tokenizer().decode(e.prompt()).replace("<s>", ""));
    }
}
