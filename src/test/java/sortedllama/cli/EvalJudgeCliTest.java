package sortedllama.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sortedllama.cli.CliTest.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sortedllama.cli.CliTest.Run;
import sortedllama.io.Llama2cWriter;
import sortedllama.model.TestModels;
import sortedllama.tokenizer.Tokenizers;
import sortedllama.train.data.AlpacaFormat;

/**
 * eval generate and eval judge end to end on a tiny random model. The committed fixture models
 * have a context of 64 tokens, shorter than Alpaca's template alone, and stories260K comes without
 * its tokenizer here, so the test writes its own model: 4 layers, a context of 1024, the committed
 * 600-token WordNet BPE vocabulary. Its answers are noise, but the pipeline and the counts are what
 * is checked.
 */
class EvalJudgeCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir static Path dir;
    static String model, tokenizer;
    static Path answers;

    @BeforeAll
    static void writeModelAndAnswers() throws Exception {
        tokenizer = Path.of(EvalJudgeCliTest.class.getResource("/tokenizer/wordnet_bpe_600.json").toURI()).toString();
        var tok = Tokenizers.load(Path.of(tokenizer), 600);
        assertEquals(List.of(1, 2), List.of(tok.bosId(), tok.eosId()), "the test config's BOS and EOS");
        // peaked random logits, so that answers differ from prompt to prompt and exit to exit
        Llama2cWriter.write(dir.resolve("tiny.bin"), TestModels.random(TestModels.tinyConfig(4, 600, 1024), 11, 6f).weights(), 0);
        model = dir.resolve("tiny.bin").toString();
        Path data = dir.resolve("alpaca.json");
        Files.writeString(data, """
                [{"instruction": "Give a word for a small dog.", "input": "", "output": "puppy"},
                 {"id": "sum-1", "instruction": "Add the numbers.", "input": "2 and 3", "output": "5"},
                 {"instruction": ""},
                 {"instruction": "Name a tree.", "output": "oak"}]
                """);
        answers = dir.resolve("answers.jsonl");
        Run r = run("eval", "generate", "--model", model, "--tokenizer", tokenizer, "--data", data.toString(), "--exits", "2,4",
                "--max-tokens", "6", "--out", answers.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("skipped") && r.err().contains("record 3"), "the empty instruction is reported: " + r.err());
    }

    static List<JsonNode> jsonLines(Path file) throws Exception {
        return Files.readAllLines(file).stream().filter(l -> !l.isBlank()).map(l -> {
            try {
                return JSON.readTree(l);
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        }).toList();
    }

    @Test
    void generateWritesOneRecordPerInstructionAndExitEqualToTheGenerateCommand() throws Exception {
        List<JsonNode> rows = jsonLines(answers);
        assertEquals(6, rows.size(), "3 usable instructions x 2 exits");
        assertEquals(List.of("1", "1", "sum-1", "sum-1", "4", "4"), rows.stream().map(r -> r.get("id").asText()).toList(),
                "an id field is kept, else the record's number in the file");
        assertEquals(List.of(2, 4, 2, 4, 2, 4), rows.stream().map(r -> r.get("exit").asInt()).toList());
        assertEquals("2 and 3", rows.get(2).get("input").asText());
        assertNotEquals(rows.get(1).get("output"), rows.get(3).get("output"), "the model answers prompts differently");

        for (JsonNode row : rows) {
            String prompt = AlpacaFormat.prompt(row.get("instruction").asText(), row.get("input").asText());
            Run g = run("generate", "--model", model, "--tokenizer", tokenizer, "--prompt", prompt, "--max-tokens", "6",
                    "--exit-layer", row.get("exit").asText());
            assertEquals(0, g.status(), g.err());
            assertEquals(g.out().strip(), row.get("output").asText(), "greedy answer of the generate command, " + row);
        }
    }

    @Test
    void localJudgeIsDeterministicAndCountsAddUp() throws Exception {
        Path out = dir.resolve("judged");
        String[] args = {"eval", "judge", "--judge-model", model, "--judge-tokenizer", tokenizer, "--a", answers.toString(),
                "--a-exit", "2", "--b", answers.toString(), "--b-exit", "4", "--json", "--out", out.toString()};
        Run r = run(args);
        assertEquals(0, r.status(), r.err());
        JsonNode row = JSON.readTree(r.out()).get("comparisons").get(0);
        assertEquals(2, row.get("a_exit").asInt());
        assertEquals(4, row.get("b_exit").asInt());
        assertEquals(3, row.get("prompts").asInt());
        for (String order : new String[] {"ab", "ba"}) {
            JsonNode t = row.get(order);
            assertEquals(3, t.get("wins").asInt() + t.get("ties").asInt() + t.get("losses").asInt(), order);
            assertEquals(0, t.get("invalid").asInt(), "the likelihood judge always decides");
            assertEquals((t.get("wins").asDouble() - t.get("losses").asDouble()) / 3, t.get("score").asDouble(), 1e-12);
        }
        assertEquals((row.get("ab").get("score").asDouble() + row.get("ba").get("score").asDouble()) / 2, row.get("score").asDouble(), 1e-12);
        JsonNode combined = row.get("combined");
        assertEquals(6, combined.get("wins").asInt() + combined.get("ties").asInt() + combined.get("losses").asInt());

        List<JsonNode> judgements = jsonLines(out.resolve("judgements.jsonl"));
        assertEquals(6, judgements.size(), "3 prompts x 2 orders");
        assertEquals("AB", judgements.get(0).get("order").asText());
        assertEquals("BA", judgements.get(1).get("order").asText());
        assertTrue(judgements.get(0).get("raw").asText().startsWith("p(1)="), judgements.get(0).toString());
        assertEquals(JSON.readTree(r.out()), JSON.readTree(Files.readString(out.resolve("summary.json"))));

        Run again = run(args);
        assertEquals(r.out(), again.out(), "greedy judging is deterministic");
    }

    @Test
    void perExitAndGenerateModeAndTheTable() {
        // the same answers on both sides: the prompts of both orders are the same text, so the score is exactly 0
        Run r = run("eval", "judge", "--judge-model", model, "--judge-tokenizer", tokenizer, "--a", answers.toString(), "--b",
                answers.toString(), "--per-exit", "--judge-mode", "generate", "--judge-max-tokens", "4");
        assertEquals(0, r.status(), r.err());
        String[] lines = r.out().split("\n");
        assertTrue(lines[0].startsWith("judge: " + model + " (exit 4, generate)"), r.out());
        assertTrue(lines[1].contains("consistency"), r.out());
        for (int i = 2; i <= 3; i++) {
            String[] cells = lines[i].trim().split("\\s+");
            assertEquals(String.valueOf(i * 2 - 2), cells[0], lines[i]);
            assertEquals(cells[0], cells[1], "per exit: A and B at the same exit");
            assertEquals("3", cells[2]);
            assertEquals(6, Integer.parseInt(cells[3]) + Integer.parseInt(cells[4]) + Integer.parseInt(cells[5]), "win + tie + lose = 2N");
            assertEquals("+0.000", cells[9], "identical answers score 0");
        }
    }

    @Test
    void gridJudgesEveryExitPairAsSingleRunsWould() throws Exception {
        Run r = run("eval", "judge", "--judge-model", model, "--judge-tokenizer", tokenizer, "--a", answers.toString(), "--b",
                answers.toString(), "--grid", "--json");
        assertEquals(0, r.status(), r.err());
        JsonNode rows = JSON.readTree(r.out()).get("comparisons");
        assertEquals(List.of("2-2", "2-4", "4-2", "4-4"), StreamSupport.stream(rows.spliterator(), false)
                .map(row -> row.get("a_exit").asInt() + "-" + row.get("b_exit").asInt()).toList());
        Run single = run("eval", "judge", "--judge-model", model, "--judge-tokenizer", tokenizer, "--a", answers.toString(), "--a-exit",
                "4", "--b", answers.toString(), "--b-exit", "2", "--json");
        assertEquals(JSON.readTree(single.out()).get("comparisons").get(0), rows.get(2));
        // the matrix: A's exits down, B's across, each cell the row's score
        Run table = run("eval", "judge", "--judge-model", model, "--judge-tokenizer", tokenizer, "--a", answers.toString(), "--b",
                answers.toString(), "--grid");
        String[] last = table.out().strip().lines().reduce((x, y) -> y).orElseThrow().trim().split("\\s+");
        assertEquals(List.of("4", String.format(Locale.ROOT, "%+.3f", rows.get(2).get("score").asDouble()),
                String.format(Locale.ROOT, "%+.3f", rows.get(3).get("score").asDouble())), List.of(last));
    }

    @Test
    void pandaLmFormatIsWhatTheLocalJudgeReads() throws Exception {
        Path out = dir.resolve("pandalm-judged");
        Run r = run("eval", "judge", "--judge-model", model, "--judge-tokenizer", tokenizer, "--a", answers.toString(), "--a-exit", "2",
                "--b", answers.toString(), "--b-exit", "4", "--judge-format", "pandalm", "--out", out.toString());
        assertEquals(0, r.status(), r.err());
        Path plainOut = dir.resolve("plain-judged");
        run("eval", "judge", "--judge-model", model, "--judge-tokenizer", tokenizer, "--a", answers.toString(), "--a-exit", "2",
                "--b", answers.toString(), "--b-exit", "4", "--out", plainOut.toString());
        var pandalm = jsonLines(out.resolve("judgements.jsonl"));
        var plain = jsonLines(plainOut.resolve("judgements.jsonl"));
        assertTrue(pandalm.get(0).get("raw").asText().startsWith("p(1)="), pandalm.get(0).toString());
        assertNotEquals(plain.get(0).get("raw"), pandalm.get(0).get("raw"), "another prompt, other probabilities");
        Run unknown = run("eval", "judge", "--judge-model", model, "--a", answers.toString(), "--b", answers.toString(), "--judge-format", "mt-bench");
        assertEquals(2, unknown.status());
        assertTrue(unknown.err().contains("--judge-format"), unknown.err());
    }

    @Test
    void badUsageIsOneLine() {
        Run both = run("eval", "judge", "--judge-model", model, "--a", answers.toString(), "--b", answers.toString(), "--per-exit",
                "--a-exit", "2");
        assertEquals(2, both.status());
        assertTrue(both.err().contains("--per-exit"), both.err());
        Run gridAndPerExit = run("eval", "judge", "--judge-model", model, "--a", answers.toString(), "--b", answers.toString(), "--per-exit",
                "--grid");
        assertEquals(2, gridAndPerExit.status());
        assertEquals(1, gridAndPerExit.err().strip().lines().count(), gridAndPerExit.err());
        Run noName = run("eval", "judge", "--judge-url", "http://127.0.0.1:9/v1", "--a", answers.toString(), "--b", answers.toString());
        assertEquals(2, noName.status());
        assertTrue(noName.err().contains("--judge-model-name"), noName.err());
        Run noExit = run("eval", "judge", "--judge-model", model, "--judge-tokenizer", tokenizer, "--a", answers.toString(), "--a-exit", "3",
                "--b", answers.toString());
        assertEquals(2, noExit.status());
        assertTrue(noExit.err().contains("exits in A: [2, 4]"), noExit.err());
        Run missing = run("eval", "judge", "--judge-model", model, "--a", "/no/such.jsonl", "--b", answers.toString());
        assertEquals(2, missing.status());
        assertNotEquals("", missing.err());
        Run notAnswers = run("eval", "judge", "--judge-model", model, "--a", tokenizer, "--b", answers.toString());
        assertEquals(2, notAnswers.status());
        assertEquals(1, notAnswers.err().strip().lines().count(), notAnswers.err());
    }
}
