package sortedllama.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sortedllama.demo.BasePretraining;
import sortedllama.tensor.Bf16Gemm;

/** The benchmark commands run end to end on tiny inputs (their timings are not checked: speed lives in benchmarks). */
class BenchCommandTest {

    static String committedBase() throws Exception {
        return Path.of(BenchCommandTest.class.getResource("/" + BasePretraining.RESOURCE).toURI()).toString();
    }

    @Test
    void matmulPrintsOneRowPerVectorCountInBothRegimes() {
        CliTest.Run run = CliTest.run("bench", "matmul", "--rows", "64", "--cols", "96", "--matrices", "2", "--type", "BF16",
                "--tokens", "1,3,17", "--runs", "2");
        assertEquals(0, run.status(), run.err());
        List<String> rows = run.out().lines().filter(l -> l.matches("\\s+\\d+\\s+[0-9.]+\\s+[0-9.]+x.*")).toList();
        assertEquals(3, rows.size(), run.out());
        assertTrue(rows.get(0).contains("1.00x"), rows.get(0)); // T=1 row reuse is the baseline
        CliTest.Run without = CliTest.run("bench", "matmul", "--rows", "64", "--cols", "96", "--matrices", "2", "--type", "Q8_0",
                "--tokens", "4", "--runs", "2");
        assertEquals(0, without.status(), without.err());
        assertFalse(without.out().contains("NaN"), without.out()); // the baseline is timed when 1 is not listed
        CliTest.Run readOnly = CliTest.run("bench", "matmul", "--rows", "64", "--cols", "96", "--type", "IQ4_NL");
        assertEquals(2, readOnly.status(), readOnly.out());
        assertEquals(1, readOnly.err().strip().lines().count(), readOnly.err());
        assertTrue(readOnly.err().contains("--type IQ4_NL cannot be written"), readOnly.err());
    }

    @Test
    void decodeReportsPrefillBesideDecodeAndAsJson() throws Exception {
        CliTest.Run text = CliTest.run("bench", "decode", "--model", committedBase(), "--tokens", "4", "--runs", "1", "--prefill", "8");
        assertEquals(0, text.status(), text.err());
        assertTrue(text.out().contains("decode: "), text.out());
        assertTrue(text.out().matches("(?s).*prefill: [0-9.]+ tokens/s \\(best of 1 passes of 8 positions\\).*"), text.out());
        CliTest.Run json = CliTest.run("bench", "decode", "--model", committedBase(), "--tokens", "4", "--runs", "1", "--prefill", "8", "--json");
        assertEquals(0, json.status(), json.err());
        String line = json.out().strip();
        assertTrue(line.startsWith("{") && line.endsWith("}") && line.lines().count() == 1, line);
        assertTrue(line.matches(".*\"prefill_tokens\":8,\"prefill_tok_s\":[0-9.]+,.*"), line);
        assertTrue(line.matches(".*\"decode_tok_s\":[0-9.]+,.*\"load_s\":.*|.*\"load_s\":.*\"decode_tok_s\":[0-9.]+,.*"), line);
        CliTest.Run tooLong = CliTest.run("bench", "decode", "--model", committedBase(), "--tokens", "4", "--prefill", "100000");
        assertEquals(2, tooLong.status());
        assertTrue(tooLong.err().contains("--prefill must be in 0.."), tooLong.err());
    }

    @Test
    void serveRunsBothServersAndTrafficsOverAFilesPrompts(@TempDir Path dir) throws Exception {
        Path prompts = dir.resolve("prompts.json");
        Files.writeString(prompts, "[{\"instruction\": \"Name a colour.\", \"input\": \"\"}, {\"instruction\": \"Add them.\", \"input\": \"2 and 3\"}]");
        String base = Path.of(committedBase()).toString();
        CliTest.Run run = CliTest.run("bench", "serve", "--model", base, "--concurrency", "2", "--max-tokens", "4", "--requests-per-client", "2",
                "--warmup", "1", "--traffic", "full,mixed", "--prompts-file", prompts.toString());
        assertEquals(0, run.status(), run.err());
        List<String> levels = run.out().lines().filter(l -> l.matches("(batched|one-at-a-time)\\s+(full|mixed)\\s+2\\s+4/4\\s+[0-9.]+ .*")).toList();
        assertEquals(4, levels.size(), run.out());
        assertTrue(run.out().contains("batched, mixed / full traffic, aggregate tokens/s by concurrency: 2: "), run.out());
        assertTrue(run.out().matches("(?s).*2 prompts of .*prompts.json in the Alpaca template \\([0-9]+-[0-9]+ tokens of text, median [0-9]+\\).*"), run.out());
        CliTest.Run missing = CliTest.run("bench", "serve", "--model", base, "--prompts-file", dir.resolve("none.json").toString());
        assertEquals(2, missing.status());
        assertTrue(missing.err().contains("--prompts-file") && missing.err().contains("does not exist"), missing.err());
        CliTest.Run noWarmup = CliTest.run("bench", "serve", "--model", base, "--warmup", "-1");
        assertEquals(2, noWarmup.status());
        assertTrue(noWarmup.err().contains("--warmup must be at least 0"), noWarmup.err());
        assertTrue(run.out().contains("the one-at-a-time server runs 1 generation at once"), run.out()); // serve --no-batching's default
        CliTest.Run noSlots = CliTest.run("bench", "serve", "--model", base, "--baseline-slots", "0");
        assertEquals(2, noSlots.status());
        assertTrue(noSlots.err().contains("--baseline-slots must be at least 1"), noSlots.err());
    }

    @Test
    void serveRunsTheBaselineWithTheSlotsAskedFor() throws Exception {
        String base = Path.of(committedBase()).toString();
        CliTest.Run run = CliTest.run("bench", "serve", "--model", base, "--concurrency", "3", "--max-tokens", "3", "--requests-per-client", "1",
                "--warmup", "0", "--baseline-slots", "2");
        assertEquals(0, run.status(), run.err());
        assertTrue(run.out().lines().anyMatch(l -> l.matches("one-at-a-time\\s+full\\s+3\\s+3/3\\s+.*")), run.out());
        assertTrue(run.out().contains("the one-at-a-time server runs 2 generations at once"), run.out());
    }

    @Test
    void trainTimesSftAndSoftStepsThroughTheTrainingLoop() {
        String precisions = Bf16Gemm.available() ? "f32,bf16" : "f32";
        int runs = 2 * precisions.split(",").length;
        CliTest.Run run = CliTest.run("bench", "train", "--shape", "b", "--steps", "1", "--warmup-steps", "1", "--precision", precisions);
        assertEquals(0, run.status(), run.err());
        List<String> rows = run.out().lines()
                .filter(l -> l.matches("\\(b\\) dim 64, 5 layers, vocab 512, B 32 x T 256, (f32|bf16) (SFT|SoFT exits \\[1, 2, 3, 4, 5\\]): [0-9]+ tok/s, "
                        + ".* [0-9]+ GFLOP/s \\([0-9]+ GFLOP/step\\), loss .*")).toList();
        assertEquals(runs, rows.size(), run.out());
        assertEquals(runs, run.out().lines().filter(l -> l.matches("\\s+memory: peak heap [0-9]+ MiB, peak RSS .*, [0-9.]+ MiB kept per exit")).count(),
                run.out());
        assertTrue(run.out().contains("(b) f32 SoFT/SFT time per step: "), run.out());
        assertEquals(2, CliTest.run("bench", "train", "--shape", "c").status());
        assertEquals(2, CliTest.run("bench", "train", "--method", "all").status());
        assertEquals(2, CliTest.run("bench", "train", "--shape", "1b", "--lora-rank", "0").status());
        assertEquals(2, CliTest.run("bench", "train", "--precision", "f16").status());
        assertEquals(2, CliTest.run("bench", "gemm", "--shape", "c").status());
    }

    @Test
    void trainTimesLoraOnAStoredBaseWithChosenExits() {
        String precision = Bf16Gemm.available() ? "bf16" : "f32"; // bf16: the F16 base multiplied as stored
        CliTest.Run run = CliTest.run("bench", "train", "--shape", "b", "--method", "sorted", "--exits", "2,4", "--lora-rank", "4",
                "--lora-base", "f16", "--activation-checkpointing", "--steps", "1", "--warmup-steps", "0", "--precision", precision);
        assertEquals(0, run.status(), run.err());
        assertTrue(run.out().contains("(b) dim 64, 5 layers, vocab 512, B 32 x T 256, " + precision
                        + " SoFT exits [2, 4, 5], LoRA rank 4 on F16, checkpointing: "), run.out());
        assertTrue(run.out().contains("one chunk of logits for all 3 exit(s)"), run.out());
        assertTrue(!run.out().contains("SFT"), run.out());
    }

    @Test
    void tokenizeReportsEncodeAndDecodeSpeedOfARoundTrip() {
        CliTest.Run run = CliTest.run("bench", "tokenize", "--tokenizer", "src/test/resources/tokenizer/wordnet_bpe_600.json", "--repeat", "20",
                "--runs", "1");
        assertEquals(0, run.status(), run.err());
        assertTrue(run.out().matches("(?s)[0-9,]+ characters, [0-9,]+ tokens: encode [0-9,]+ chars/s, decode [0-9,]+ chars/s \\(best of 1\\)\\s*"),
                run.out());
        assertEquals(2, CliTest.run("bench", "tokenize", "--tokenizer", "src/test/resources/tokenizer/wordnet_bpe_600.json", "--runs", "0").status());
    }

    @Test
    void jsonMaskReportsEachPlaceBesideSampling() {
        CliTest.Run run = CliTest.run("bench", "json-mask", "--tokenizer", "src/test/resources/tokenizer/wordnet_bpe_600.json", "--calls", "2",
                "--runs", "1");
        assertEquals(0, run.status(), run.err());
        assertTrue(run.out().matches("(?s)[0-9,]+ tokens, trie built in [0-9]+ ms\nsampling at temperature 1 \\(baseline\\): [0-9.]+ us\n"
                + "after +full mask us greedy check us\n('[^\n]*' +[0-9.]+ +[0-9.]+\n){5}"), run.out());
        assertEquals(2, CliTest.run("bench", "json-mask", "--tokenizer", "src/test/resources/tokenizer/wordnet_bpe_600.json", "--runs", "0").status());
    }

    @Test
    void matmulRefusesAShapeItCannotQuantize() {
        CliTest.Run run = CliTest.run("bench", "matmul", "--cols", "50");
        assertEquals(2, run.status());
        assertTrue(run.err().contains("--cols"), run.err());
    }

    @Test
    void samplingPrintsOneRowPerVocabularyAndRefusesBadSettings() {
        CliTest.Run run = CliTest.run("bench", "sampling", "--vocab", "100,7", "--runs", "3");
        assertEquals(0, run.status(), run.err());
        List<String> rows = run.out().lines().filter(l -> l.matches("\\s+\\d+\\s+[0-9.]+\\s+[0-9.]+\\s+[0-9.]+")).toList();
        assertEquals(2, rows.size(), run.out());
        assertTrue(rows.get(0).strip().startsWith("100 "), rows.get(0));
        CliTest.Run tooSmall = CliTest.run("bench", "sampling", "--vocab", "1");
        assertEquals(2, tooSmall.status());
        assertTrue(tooSmall.err().contains("--vocab sizes must be at least 2"), tooSmall.err());
        CliTest.Run greedy = CliTest.run("bench", "sampling", "--temperature", "0");
        assertEquals(2, greedy.status());
        assertTrue(greedy.err().contains("--temperature above 0"), greedy.err());
    }

    @Test
    void speculativeBenchReadsPromptsFromADataFileAndStaysLossless(@TempDir Path dir) throws Exception {
        Path prompts = dir.resolve("prompts.jsonl");
        Files.writeString(prompts, """
                {"prompt": "dog (noun):", "completion": " a domestic animal"}
                {"prompt": "house (noun):", "completion": " a building"}
                {"prompt": "run (verb):", "completion": " move fast"}
                """);
        CliTest.Run run = CliTest.run("bench", "speculative", "--model", committedBase(), "--prompts-file", prompts.toString(),
                "--prompts-format", "jsonl", "--prompts-limit", "2", "--draft-exit", "2", "--tokens", "12");
        assertEquals(0, run.status(), run.err());
        List<String> modes = run.out().lines().filter(l -> l.startsWith("speculative")).toList();
        assertEquals(List.of("fixed", "adaptive", "heuristic"), modes.stream().map(m -> m.contains("adaptive") ? "adaptive"
                : m.contains("heuristic") ? "heuristic" : "fixed").toList(), "G fixed, by the planner, by Hugging Face's rule: " + run.out());
        for (String row : modes) assertTrue(Arrays.asList(row.trim().split("\\s+")).contains("2/2"), "greedy speculation must be identical: " + row);
        assertTrue(run.out().contains("2 prompts x 12 tokens"), run.out());
    }

    @Test
    void badPromptsFormatIsAnError(@TempDir Path dir) throws Exception {
        Path prompts = dir.resolve("p.txt");
        Files.writeString(prompts, "hello\n");
        CliTest.Run run = CliTest.run("bench", "speculative", "--model", committedBase(), "--prompts-file", prompts.toString(),
                "--prompts-format", "csv", "--draft-exit", "2");
        assertEquals(2, run.status());
        assertTrue(run.err().contains("--prompts-format must be alpaca, triviaqa or jsonl"), run.err());
    }
}
