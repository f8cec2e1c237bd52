package sortedllama.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import sortedllama.SharedData;
import sortedllama.TestModels;
import sortedllama.io.GgufWriter;
import sortedllama.io.ModelFile;
import sortedllama.io.ModelLoader;
import sortedllama.tokenizer.Tokenizers;

/** The command-line contract, run in-process as the shell would run it. */
class CliTest {
    record Run(int status, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int status = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(status, out.toString(), err.toString());
    }

    static String fixture(String name) throws Exception {
        return Path.of(CliTest.class.getResource("/models/" + name).toURI()).toString();
    }

    @Test
    void generateIdsMatchesLlama2cAtFullDepthAndAtAnExit() throws Exception {
        String model = SharedData.stories260k().toString();
        Run full = run("generate", "--model", model, "--prompt-ids", "1", "--max-tokens", "10", "--ids");
        assertEquals(0, full.status(), full.err());
        assertEquals("461 461 401 401 401 461 378 455 473 456\n", full.out());
        Run exit4 = run("generate", "--model", model, "--prompt-ids", "1", "--max-tokens", "5", "--ids", "--exit-layer", "4");
        assertEquals("295 465 465 466 466\n", exit4.out());
        Run spec = run("generate", "--model", model, "--prompt-ids", "1", "--max-tokens", "10", "--ids", "--mode", "speculative",
                "--draft-exit", "2", "--stats");
        assertEquals(full.out(), spec.out());
        JsonNode stats = new ObjectMapper().readTree(spec.err().strip());
        assertEquals(10, stats.get("tokens").asInt());
        assertTrue(stats.get("acceptance").asDouble() >= 0);
        assertEquals(5.0, stats.get("mean_depth").asDouble());
        Run heuristic = run("generate", "--model", model, "--prompt-ids", "1", "--max-tokens", "10", "--ids", "--mode", "speculative",
                "--draft-exit", "2", "--draft-schedule", "heuristic");
        assertEquals(0, heuristic.status(), heuristic.err());
        assertEquals(full.out(), heuristic.out(), "Hugging Face's draft-length rule is as lossless");
    }

    @Test
    void badInputExitsWithTwoAndOneLine() throws Exception {
        String model = fixture("tied_legacy.bin");
        for (String[] args : new String[][] {
                {"generate", "--model", model, "--prompt-ids", "1", "--max-tokens", "3", "--ids", "--exit-layer", "0"},
                {"generate", "--model", model, "--prompt-ids", "1", "--max-tokens", "3", "--ids", "--exit-layer", "5"},
                {"generate", "--model", model, "--prompt-ids", "1 x", "--max-tokens", "3", "--ids"},
                {"generate", "--model", model, "--prompt-ids", "1", "--max-tokens", "3", "--ids", "--mode", "speculative", "--draft-schedule", "eager"},
                {"generate", "--model", model, "--prompt-ids", "1", "--max-tokens", "3", "--ids", "--mode", "speculative", "--draft-schedule",
                        "heuristic", "--fixed-draft"},
                {"generate", "--model", model, "--prompt-ids", "1", "--max-tokens", "3", "--ids", "--draft-schedule", "heuristic"},
                {"generate", "--model", model, "--prompt-ids", "1 500", "--max-tokens", "3", "--ids"},
                {"generate", "--model", model, "--prompt", "hi", "--max-tokens", "3"},
                {"generate", "--model", "/no/such/model.bin", "--prompt-ids", "1", "--max-tokens", "3", "--ids"},
                {"generate", "--model", model, "--max-tokens", "3"},
                {"generate", "--model", model, "--prompt-ids", "1", "--max-tokens", "3", "--ids", "--kv-cache", "F16"},
                {"generate", "--model", model, "--prompt-ids", "1", "--max-tokens", "3", "--ids", "--kv-cache", "BF16"}, // head dim 8
                {"info"},
                {"no-such-command"}}) {
            Run r = run(args);
            assertEquals(2, r.status(), String.join(" ", args) + " -> " + r.err());
            assertTrue(r.err().startsWith("sorted-llama: "), r.err());
            assertTrue(!r.err().contains("\tat "), "no stack trace: " + r.err());
            assertEquals(1, r.err().lines().count(), "one line: " + r.err());
        }
        Run exit = run("generate", "--model", model, "--prompt-ids", "1", "--max-tokens", "3", "--ids", "--exit-layer", "5");
        assertEquals("sorted-llama: exit layer 5 is out of range: this model has layers 1..4\n", exit.err());
    }

    @Test
    void maxTokensIsBoundedByTheContext() throws Exception {
        String model = fixture("tied_legacy.bin"); // a context of 64 tokens
        for (String n : new String[] {"2147483647", "1000000000"}) {
            Run r = run("generate", "--model", model, "--prompt-ids", "1 5", "--max-tokens", n, "--ids", "--ignore-eos");
            assertEquals(0, r.status(), r.err());
            assertEquals(62, r.out().strip().split(" ").length, r.out());
            assertEquals("sorted-llama: stopped at the end of the model's context (64 tokens)\n", r.err());
        }
        Run negative = run("generate", "--model", model, "--prompt-ids", "1", "--max-tokens", "-1", "--ids");
        assertEquals(2, negative.status());
        assertEquals("sorted-llama: --max-tokens must be >= 0, got -1\n", negative.err());
    }

    @Test
    void wrongVocabularyIsRefused() throws Exception {
        Run r = run("generate", "--model", fixture("tied_legacy.bin"), "--tokenizer",
                SharedData.llama2TokenizerModel().toString(), "--prompt", "hi", "--max-tokens", "3");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("has 32000 tokens but the model has 96"), r.err());
    }

    @Test
    void tokenizePrintsJsonWithoutBos() {
        Run r = run("tokenize", "--tokenizer", SharedData.llama2TokenizerModel().toString(), "--text", "Hello world");
        assertEquals(0, r.status(), r.err());
        assertEquals("[15043,3186]\n", r.out());
    }

    @Test
    void infoListsConfigTensorsAndParameters() throws Exception {
        Run r = run("info", "--model", fixture("tied_gguf_q8_0.gguf"));
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("GGUF v3"), r.out());
        assertTrue(r.out().contains("blk.0.attn_q.weight"), r.out());
        assertTrue(r.out().contains("Q8_0"), r.out());
        // 96*64 embedding + 4 layers * (2*64 norms + 4*64*64 attention... with GQA) + 64 final norm
        long perLayer = 64 + 64 * 64 + 2 * 32 * 64 + 64 * 64 + 64 + 3 * 96 * 64;
        assertTrue(r.out().contains(String.format("%,d", 96 * 64 + 4 * perLayer + 64)), r.out());
    }

    @Test
    void generatesTextWithAnEmbeddedVocabulary() throws Exception {
        Run r = run("generate", "--model", fixture("tied_gguf_f32.gguf"), "--prompt", "a", "--max-tokens", "4", "--temperature", "0.8",
                "--seed", "7");
        assertEquals(0, r.status(), r.err());
        Run again = run("generate", "--model", fixture("tied_gguf_f32.gguf"), "--prompt", "a", "--max-tokens", "4", "--temperature", "0.8",
                "--seed", "7");
        assertEquals(r.out(), again.out(), "the same seed gives the same text");
    }

    @Test
    void ggufExportCarriesTheVocabulary(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("m.gguf");
        Run r = run("export", "--model", fixture("tied_gguf_f32.gguf"), "--out", out.toString(), "--format", "gguf");
        assertEquals(0, r.status(), r.err());
        assertEquals("wrote " + out + " (gguf, 4 layers) with vocabulary of 96 tokens\n", r.out());
        // the written file alone generates the same text as its source
        String[] generate = {"generate", "--prompt", "a b", "--max-tokens", "4", "--temperature", "0.8", "--seed", "7", "--model"};
        Run source = run(concat(generate, fixture("tied_gguf_f32.gguf"))), exported = run(concat(generate, out.toString()));
        assertEquals(0, exported.status(), exported.err());
        assertEquals(source.out(), exported.out());

        Path bare = dir.resolve("bare.gguf");
        Run none = run("export", "--model", fixture("tied_legacy.bin"), "--out", bare.toString(), "--format", "gguf");
        assertEquals(0, none.status(), none.err());
        assertEquals("wrote " + bare + " (gguf, 4 layers) without vocabulary: no tokenizer found\n", none.out());
        assertTrue(run("export", "--help").out().contains("vocabulary"));
    }

    @Test
    void ggufExportTakesTheVocabularyOfTokenizerOrSaysWhyNot(@TempDir Path dir) throws Exception {
        Path bare = dir.resolve("bare.gguf"), out = dir.resolve("m.gguf");
        GgufWriter.write(bare, TestModels.withVocabulary(600), null, null);
        Path json = Path.of(CliTest.class.getResource("/tokenizer/wordnet_bpe_600.json").toURI());
        Run r = run("export", "--model", bare.toString(), "--tokenizer", json.toString(), "--out", out.toString(), "--format", "gguf");
        assertEquals("wrote " + out + " (gguf, 1 layers) with vocabulary of 600 tokens\n", r.out(), r.err());
        try (ModelFile back = ModelLoader.open(out)) {
            String text = "A noun: a word that names a thing, 42 of them.";
            assertArrayEquals(Tokenizers.load(json, 600).encode(text), back.embeddedTokenizer().encode(text));
        }
        // a normaliser GGUF has no key for: the weights are written, the vocabulary left out, and the line says why
        Path nfc = dir.resolve("tokenizer.json");
        Files.writeString(nfc, Files.readString(json).replace("\"normalizer\" : null", "\"normalizer\" : {\"type\" : \"NFC\"}"));
        r = run("export", "--model", bare.toString(), "--tokenizer", nfc.toString(), "--out", out.toString(), "--format", "gguf");
        assertEquals("wrote " + out + " (gguf, 1 layers) without vocabulary: GGUF cannot hold this tokenizer: its Unicode "
                + "normalisation [NFC] has no GGUF key\n", r.out(), r.err());
        // a tokenizer of another size stays an error
        r = run("export", "--model", fixture("tied_legacy.bin"), "--tokenizer", json.toString(), "--out", out.toString(), "--format", "gguf");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("has 600 tokens but the model has 96"), r.err());
    }

    private static String[] concat(String[] args, String last) {
        String[] out = Arrays.copyOf(args, args.length + 1);
        out[args.length] = last;
        return out;
    }

    @Test
    void scorePrintsPerExitJson() throws Exception {
        Path ids = Files.createTempFile("ids", ".txt");
        Files.writeString(ids, "1 17 42 5 88 23\n64 3");
        Run r = run("score", "--model", fixture("tied_legacy.bin"), "--ids-file", ids.toString(), "--exits", "2,4", "--json");
        assertEquals(0, r.status(), r.err());
        JsonNode exits = new ObjectMapper().readTree(r.out()).get("exits");
        assertEquals(2, exits.size());
        assertEquals(4, exits.get(1).get("layer").asInt());
        assertEquals(7, exits.get(1).get("tokens").asInt());
        assertEquals(Math.exp(exits.get(0).get("loss").asDouble()), exits.get(0).get("ppl").asDouble(), 1e-9);
    }

    @Test
    void evalQaScoresEveryExit() throws Exception {
        Path questions = Files.createTempFile("qa", ".json");
        Files.writeString(questions, "{\"Data\": [{\"Question\": \"12?\", \"Answer\": {\"Value\": \"3\", \"Aliases\": [\"3\"]}},"
                + " {\"Question\": \"45?\", \"Answer\": {\"Value\": \"6\"}}, {\"Question\": 7}]}");
        Run r = run("eval", "qa", "--model", fixture("tied_gguf_f32.gguf"), "--data", questions.toString(), "--max-tokens", "4", "--json");
        assertEquals(0, r.status(), r.err());
        JsonNode exits = new ObjectMapper().readTree(r.out()).get("exits");
        assertEquals(4, exits.size());
        for (JsonNode e : exits) {
            assertEquals(2, e.get("questions").asInt(), "the malformed third record is skipped and reported");
            double em = e.get("exact_match").asDouble();
            assertTrue(em >= 0 && em <= 1, e.toString());
        }
        assertTrue(r.err().contains("skipped"), r.err());
        Run missing = run("eval", "qa", "--model", fixture("tied_gguf_f32.gguf"), "--data", "/no/such/questions.json");
        assertEquals(2, missing.status());
    }

    /** picocli formats each line of help as a format string: a bare % (as in "28%") prints a warning and the raw text. */
    @Test
    void everyHelpRendersWithoutPicocliWarnings() {
        PrintStream stderr = System.err;
        var warnings = new ByteArrayOutputStream();
        int rendered = 0;
        System.setErr(new PrintStream(warnings, true));
        try {
            ArrayDeque<CommandLine> commands = new ArrayDeque<>();
            commands.add(new CommandLine(new Main()));
            while (!commands.isEmpty()) {
                CommandLine cli = commands.poll();
                commands.addAll(cli.getSubcommands().values());
                rendered += cli.getUsageMessage().isEmpty() ? 0 : 1;
            }
        } finally {
            System.setErr(stderr);
        }
        assertTrue(rendered > 10, "commands rendered: " + rendered);
        assertEquals("", warnings.toString());
    }

    @Test
    void helpExplainsOptions() {
        Run r = run("generate", "--help");
        assertEquals(0, r.status());
        for (String option : new String[] {"--exit-layer", "--prompt-ids", "--temperature", "--top-p", "--seed", "--ids", "--mode",
                "--draft-exit", "--confidence"}) {
            assertTrue(r.out().contains(option), option);
        }
    }
}
