package sortedllama.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sortedllama.cli.CliTest.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sortedllama.SharedData;
import sortedllama.cli.CliTest.Run;
import sortedllama.io.Llama2cWriter;
import sortedllama.model.TestModels;

/**
 * eval generate and eval qa on the real subsets in ../shared/data, as they are (skipped without
 * them, failing under CI=true): a tiny random model with the committed 600-token vocabulary answers,
 * so the counts are what is checked, not the answers.
 */
class RealDataEvalCliTest {
    @TempDir static Path dir;
    static String model, tokenizer;

    @BeforeAll
    static void writeModel() throws Exception {
        tokenizer = Path.of(RealDataEvalCliTest.class.getResource("/tokenizer/wordnet_bpe_600.json").toURI()).toString();
        Llama2cWriter.write(dir.resolve("tiny.bin"), TestModels.random(TestModels.tinyConfig(2, 600, 1024), 5, 6f).weights(), 0);
        model = dir.resolve("tiny.bin").toString();
    }

    @Test
    void generateAnswersAll170PandaLmPrompts() throws Exception {
        Path out = dir.resolve("pandalm.jsonl");
        Run r = run("eval", "generate", "--model", model, "--tokenizer", tokenizer, "--data", SharedData.pandalm170().toString(),
                "--exits", "2", "--max-tokens", "1", "--out", out.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().startsWith("170 instructions x 1 exits"), r.out());
        assertEquals(170, Files.readAllLines(out).size());
        assertTrue(Files.readString(out).contains("\"id\":\"162\",\"instruction\":\" \",\"input\":\"Truthfulness\""),
                "the blank-instruction record is answered");
    }

    @Test
    void qaReadsTheHuggingFaceTriviaQaLayout() throws Exception {
        Run r = run("eval", "qa", "--model", model, "--tokenizer", tokenizer, "--data", SharedData.triviaqa2000().toString(),
                "--exits", "1,2", "--max-tokens", "2", "--limit", "3", "--json");
        assertEquals(0, r.status(), r.err());
        assertEquals("", r.err(), "no record skipped");
        var exits = new ObjectMapper().readTree(r.out()).get("exits");
        assertEquals(2, exits.size());
        assertEquals(3, exits.get(0).get("questions").asInt());
    }
}
