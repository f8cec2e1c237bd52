package sortedllama.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sortedllama.io.ModelFile;
import sortedllama.io.ModelLoader;
import sortedllama.io.SafetensorsWriter;
import sortedllama.model.LlamaConfig;
import sortedllama.model.RopeLayout;
import sortedllama.tensor.DType;
import sortedllama.train.Batch;
import sortedllama.train.LoraFiles;
import sortedllama.train.Param;
import sortedllama.train.TrainableModel;
import sortedllama.train.TrainingPass;

/** train --lora-rank and merge-lora end to end, on a BF16 base model. */
class LoraCommandsTest {
    static final LlamaConfig C = new LlamaConfig(32, 64, 4, 4, 2, 8, 600, 64, 1e-5f, 10000f, null, RopeLayout.HALF_SPLIT, 1, 2);

    @TempDir static Path shared;
    static Path base, trainText, validText, trained;
    static byte[] baseBytes;

    @BeforeAll
    static void setUp() throws Exception {
        base = shared.resolve("base");
        Files.createDirectories(base);
        try (Arena arena = Arena.ofShared()) {
            SafetensorsWriter.write(base, lively(TrainableModel.random(C, 7, true)).toWeights(arena), DType.BF16);
        }
        Files.copy(TrainCommandTest.TOKENIZER, base.resolve("tokenizer.json"));
        baseBytes = Files.readAllBytes(base.resolve("model.safetensors"));
        trainText = shared.resolve("train.txt");
        validText = shared.resolve("valid.txt");
        TrainCommandTest.writeCorpus(trainText, validText);
        trained = shared.resolve("trained");
        CliTest.Run r = CliTest.run(trainArgs(trained, "--steps", "30", "--eval-every", "30"));
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("LoRA rank 4, alpha 8.0 on q,v,gate,down"), r.out());
    }

    /**
     * Matrices scaled from N(0, 0.02) to N(0, 0.2): at 0.02 the tied head's logits cannot leave
     * the uniform distribution by much whatever the layers do, and only the layers train here.
     */
    static TrainableModel lively(TrainableModel m) {
        for (var p : m.params()) {
            if (p.kind() != Param.Kind.NORM) for (int i = 0; i < p.size(); i++) p.value()[i] *= 10;
        }
        return m;
    }

    static String[] trainArgs(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "--model", base.toString(), "--data", trainText.toString(), "--validation",
                validText.toString(), "--format", "text", "--method", "sorted", "--exits", "2", "--out", out.toString(),
                "--batch", "4", "--seq-len", "32", "--lr", "3e-2", "--warmup", "2", "--lora-rank", "4", "--lora-targets", "q,v,gate,down"));
        for (int i = 0; i < extra.length; i++) { // an option given again replaces its default here
            boolean flag = i + 1 == extra.length || extra[i + 1].startsWith("--");
            int at = a.indexOf(extra[i]);
            if (flag) a.add(extra[i]);
            else if (at >= 0) a.set(at + 1, extra[++i]);
            else a.addAll(List.of(extra[i], extra[++i]));
        }
        return a.toArray(String[]::new);
    }

    static float[] logits(Path path, int exit, int[] tokens) {
        return TrainCommandTest.logits(path, exit, tokens);
    }

    static void assertClose(float[] expected, float[] actual, double tol) {
        TrainCommandTest.assertClose(expected, actual, tol);
    }

    @Test
    void loraTrainingLowersTheLossAndLeavesTheBaseFileAlone() throws Exception {
        List<JsonNode> validation = new ArrayList<>();
        for (String line : Files.readAllLines(trained.resolve("metrics.jsonl"))) {
            JsonNode row = new ObjectMapper().readTree(line);
            if (row.has("validation_exit_loss")) validation.add(row.get("validation_exit_loss"));
        }
        for (String exit : List.of("2", "4")) {
            double first = validation.get(0).get(exit).asDouble(), last = validation.get(validation.size() - 1).get(exit).asDouble();
            assertTrue(last < first - 0.5, "exit " + exit + ": " + first + " -> " + last);
            System.out.printf("LoRA validation loss at exit %s: %.3f -> %.3f%n", exit, first, last);
        }
        assertArrayEquals(baseBytes, Files.readAllBytes(base.resolve("model.safetensors")));
        JsonNode adapter = LoraFiles.readJson(trained.resolve("lora"));
        assertEquals(4, adapter.get("rank").asInt());
        assertEquals(8.0, adapter.get("alpha").asDouble());
        assertEquals("q,v,gate,down", adapter.get("targets").asText());
        assertEquals("2,4", adapter.get("sorted_exits").asText());
        assertTrue(Files.isRegularFile(trained.resolve("model/tokenizer.json")));
    }

    /** OUT/model is the trained LoRA model merged; merge-lora of base + OUT/lora writes the same model. */
    @Test
    void mergeLoraReproducesTheTrainedModel(@TempDir Path dir) throws Exception {
        int[] tokens = new Random(1).ints(12, 3, 600).toArray();
        // the LoRA model as training ran it: base + adapters, logits of the training code
        try (ModelFile file = ModelLoader.open(base)) {
            TrainableModel lora = TrainableModel.withStoredProjections(file.weights(), null);
            LoraFiles.load(trained.resolve("lora"), lora);
            for (int exit : new int[] {2, 4}) {
                float[] expected = new TrainingPass(lora, false).logits(Batch.of(1, tokens.length, tokens, new int[tokens.length]), exit);
                assertClose(expected, logits(trained.resolve("model"), exit, tokens), 1e-4);
            }
        }
        CliTest.Run hf = CliTest.run("merge-lora", "--model", base.toString(), "--lora", trained.resolve("lora").toString(),
                "--out", dir.resolve("merged").toString());
        assertEquals(0, hf.status(), hf.err());
        assertArrayEquals(Files.readAllBytes(trained.resolve("model/model.safetensors")), Files.readAllBytes(dir.resolve("merged/model.safetensors")));
        assertTrue(Files.isRegularFile(dir.resolve("merged/tokenizer.json")));
        try (var files = Files.list(dir.resolve("merged"))) { // the merge's temporary file is gone
            assertEquals(List.of("config.json", "model.safetensors", "tokenizer.json"), files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        CliTest.Run gguf = CliTest.run("merge-lora", "--model", base.toString(), "--lora", trained.resolve("lora").toString(),
                "--out", dir.resolve("merged.gguf").toString(), "--format", "gguf");
        assertEquals(0, gguf.status(), gguf.err());
        try (ModelFile f = ModelLoader.open(dir.resolve("merged"))) {
            assertEquals("2,4", f.metadata().get(ModelFile.SORTED_EXITS));
        }
        for (int exit : new int[] {2, 4}) {
            float[] expected = logits(trained.resolve("model"), exit, tokens);
            assertArrayEquals(expected, logits(dir.resolve("merged"), exit, tokens));
            assertClose(expected, logits(dir.resolve("merged.gguf"), exit, tokens), 1e-5);
        }
    }

    @Test
    void stoppedAndResumedLoraRunEndsBitIdentical(@TempDir Path dir) throws Exception {
        Path whole = dir.resolve("whole"), split = dir.resolve("split");
        // activation checkpointing changes memory, not bits: on in one run, off in the other
        assertEquals(0, CliTest.run(trainArgs(whole, "--steps", "5", "--accumulate", "2", "--checkpoint-every", "2",
                "--activation-checkpointing")).status());
        assertEquals(0, CliTest.run(trainArgs(split, "--steps", "5", "--accumulate", "2", "--stop-after", "3")).status());
        assertTrue(Files.notExists(split.resolve("lora")));
        // a LoRA checkpoint is not a full one: the options differ
        CliTest.Run other = CliTest.run(trainArgs(split, "--steps", "5", "--accumulate", "2", "--lora-rank", "2", "--resume"));
        assertEquals(2, other.status());
        assertTrue(other.err().contains("lora_rank 4 -> 2"), other.err());
        assertEquals(0, CliTest.run(trainArgs(split, "--steps", "5", "--accumulate", "2", "--resume")).status());
        assertArrayEquals(TrainCommandTest.checkpointTensors(whole), TrainCommandTest.checkpointTensors(split));
        assertArrayEquals(Files.readAllBytes(whole.resolve("lora/adapter.safetensors")), Files.readAllBytes(split.resolve("lora/adapter.safetensors")));
        assertArrayEquals(Files.readAllBytes(whole.resolve("model/model.safetensors")), Files.readAllBytes(split.resolve("model/model.safetensors")));
        // the adapters and their two moments, nothing of the base
        assertTrue(TrainCommandTest.checkpointTensors(whole).length < 3 * Files.size(whole.resolve("lora/adapter.safetensors")));
    }

    @Test
    void standardMethodTrainsAdaptersTooOnAQuantizedBase(@TempDir Path dir) throws Exception {
        CliTest.Run r = CliTest.run(trainArgs(dir, "--steps", "3", "--method", "standard", "--lora-targets", "o,up", "--lora-alpha", "3",
                "--quantize", "Q8_0"));
        assertEquals(0, r.status(), r.err());
        JsonNode adapter = LoraFiles.readJson(dir.resolve("lora"));
        assertEquals("o,up", adapter.get("targets").asText());
        assertEquals(3.0, adapter.get("alpha").asDouble());
        assertEquals("Q8_0", adapter.get("quantize").asText());
        assertTrue(adapter.path("sorted_exits").isMissingNode(), adapter.toString());
        try (ModelFile f = ModelLoader.open(dir.resolve("model"))) {
            assertEquals(4, f.config().nLayers());
            assertTrue(!f.metadata().containsKey(ModelFile.SORTED_EXITS));
        }
    }

    private static void assertBadInput(String expected, String... args) {
        CliTest.Run r = CliTest.run(args);
        assertEquals(2, r.status(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains(expected), "\"" + expected + "\" not in: " + r.err());
    }

    private static Path copyOf(Path adapter, Path to) throws Exception {
        Files.createDirectories(to);
        for (String f : new String[] {LoraFiles.CONFIG, LoraFiles.TENSORS}) Files.copy(adapter.resolve(f), to.resolve(f));
        return to;
    }

    @Test
    void badLoraInputIsExit2WithOneLine(@TempDir Path dir) throws Exception {
        assertBadInput("--lora-targets: unknown projection \"x\"", trainArgs(dir.resolve("a"), "--steps", "2", "--lora-targets", "q,x"));
        assertBadInput("--lora-rank must be at least 1", trainArgs(dir.resolve("b"), "--steps", "2", "--lora-rank", "0"));
        assertBadInput("--lora-alpha must be positive", trainArgs(dir.resolve("c"), "--steps", "2", "--lora-alpha", "-1"));
        assertBadInput("--lora-rank 64 exceeds", trainArgs(dir.resolve("d"), "--steps", "2", "--lora-rank", "64"));
        CliTest.Run noRank = CliTest.run("train", "--model", base.toString(), "--data", trainText.toString(), "--format", "text",
                "--out", dir.resolve("e").toString(), "--lora-targets", "q");
        assertEquals(2, noRank.status());
        assertTrue(noRank.err().contains("--lora-targets needs --lora-rank"), noRank.err());
        String adapter = trained.resolve("lora").toString(), out = dir.resolve("m").toString();
        assertBadInput("is not a directory", "merge-lora", "--model", base.toString(), "--lora", dir.resolve("none").toString(), "--out", out);
        Files.createDirectories(dir.resolve("empty"));
        assertBadInput("no adapter.json", "merge-lora", "--model", base.toString(), "--lora", dir.resolve("empty").toString(), "--out", out);

        Path wrongRank = copyOf(trained.resolve("lora"), dir.resolve("rank"));
        Files.writeString(wrongRank.resolve(LoraFiles.CONFIG), Files.readString(wrongRank.resolve(LoraFiles.CONFIG)).replace("\"rank\" : 4", "\"rank\" : 2"));
        assertBadInput("rank 4 where adapter.json says 2", "merge-lora", "--model", base.toString(), "--lora", wrongRank.toString(), "--out", out);

        Path fewerTargets = copyOf(trained.resolve("lora"), dir.resolve("targets"));
        Files.writeString(fewerTargets.resolve(LoraFiles.CONFIG),
                Files.readString(fewerTargets.resolve(LoraFiles.CONFIG)).replace("q,v,gate,down", "q,v"));
        assertBadInput("has no place in the base model", "merge-lora", "--model", base.toString(), "--lora", fewerTargets.toString(), "--out", out);

        // an adapter of a model of other shapes
        Path wider = dir.resolve("wider");
        Files.createDirectories(wider);
        LlamaConfig w = new LlamaConfig(48, 64, 4, 4, 2, 12, 600, 64, 1e-5f, 10000f, null, RopeLayout.HALF_SPLIT, 1, 2);
        try (Arena arena = Arena.ofShared()) {
            SafetensorsWriter.write(wider, TrainableModel.random(w, 7, true).toWeights(arena), DType.BF16);
        }
        assertBadInput("the base model needs [4, 48]", "merge-lora", "--model", wider.toString(), "--lora", adapter, "--out", out);
        assertTrue(Files.notExists(dir.resolve("m")));
    }

    @Test
    void helpDescribesTheOptions() {
        CliTest.Run merge = CliTest.run("merge-lora", "--help");
        assertEquals(0, merge.status());
        for (String option : List.of("--model", "--lora", "--out", "--format")) assertTrue(merge.out().contains(option), option);
        CliTest.Run train = CliTest.run("train", "--help");
        for (String option : List.of("--lora-rank", "--lora-alpha", "--lora-targets")) assertTrue(train.out().contains(option), option);
        assertTrue(CliTest.run("--help").out().contains("merge-lora"));
    }
}
