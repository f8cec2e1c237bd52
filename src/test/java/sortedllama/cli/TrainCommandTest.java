package sortedllama.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import sortedllama.BadInputException;
import sortedllama.io.ModelFile;
import sortedllama.io.ModelLoader;
import sortedllama.io.SafetensorsWriter;
import sortedllama.model.LlamaConfig;
import sortedllama.model.LlamaModel;
import sortedllama.model.RopeLayout;
import sortedllama.model.TensorNames;
import sortedllama.tensor.DType;
import sortedllama.tensor.Dequantize;
import sortedllama.train.TrainableModel;
import sortedllama.train.checkpoint.Checkpoint;

class TrainCommandTest {
    static final Path TOKENIZER = Path.of("src/test/resources/tokenizer/wordnet_bpe_600.json");
    static final Path TINY = Path.of("src/test/resources/models/tied_legacy.bin");

    @TempDir static Path shared;
    static Path model, trainText, validText;

    @BeforeAll
    static void setUp() throws Exception {
        LlamaConfig c = new LlamaConfig(32, 64, 4, 4, 2, 8, 600, 64, 1e-5f, 10000f, null, RopeLayout.HALF_SPLIT, 1, 2);
        model = shared.resolve("base");
        Files.createDirectories(model);
        try (Arena arena = Arena.ofShared()) {
            SafetensorsWriter.write(model, TrainableModel.random(c, 7, true).toWeights(arena), DType.F32);
        }
        Files.copy(TOKENIZER, model.resolve("tokenizer.json"));
        trainText = shared.resolve("train.txt");
        validText = shared.resolve("valid.txt");
        writeCorpus(trainText, validText);
    }

    /** 60 short seeded documents about animals and places, every sixth one for validation. */
    static void writeCorpus(Path trainFile, Path validFile) throws IOException {
        String[] animals = {"cat", "dog", "bird", "horse", "fish"};
        String[] places = {"house", "garden", "river", "park", "field"};
        Random rnd = new Random(3);
        StringBuilder train = new StringBuilder(), valid = new StringBuilder();
        for (int i = 0; i < 60; i++) {
            String doc = "the " + animals[rnd.nextInt(5)] + " is in the " + places[rnd.nextInt(5)] + ". a small "
                    + animals[rnd.nextInt(5)] + " sleeps by the " + places[rnd.nextInt(5)] + ".\n\n";
            (i % 6 == 5 ? valid : train).append(doc);
        }
        Files.writeString(trainFile, train);
        Files.writeString(validFile, valid);
    }

    /** Runs a command as Main does: BadInputException is exit 2 with a one-line message. */
    static int run(Object command, String... args) {
        CommandLine cli = new CommandLine(command);
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(new StringWriter(), true));
        cli.setErr(new PrintWriter(err, true));
        cli.setParameterExceptionHandler((ex, a) -> Main.BAD_INPUT);
        cli.setExecutionExceptionHandler((ex, c, p) -> {
            if (ex instanceof BadInputException) {
                System.err.println("sorted-llama: " + ex.getMessage());
                return Main.BAD_INPUT;
            }
            throw ex;
        });
        return cli.execute(args);
    }

    /** tensors.bin of the newest checkpoint a run wrote into {@code out}. */
    static byte[] checkpointTensors(Path out) throws IOException {
        return Files.readAllBytes(Checkpoint.newest(out.resolve("checkpoint")).resolve("tensors.bin"));
    }

    static List<String> trainArgs(Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("--model", model.toString(), "--data", trainText.toString(), "--validation",
                validText.toString(), "--format", "TEXT", "--method", "sorted", "--exits", "1,2,3", "--out", out.toString(),
                "--batch", "4", "--seq-len", "32", "--lr", "3e-3", "--warmup", "2"));
        a.addAll(List.of(extra));
        return a;
    }

    @Test
    void sortedTrainingLowersValidationLossAtEveryExit(@TempDir Path out) throws Exception {
        assertEquals(0, run(new TrainCommand(), trainArgs(out, "--steps", "30", "--eval-every", "10").toArray(String[]::new)));
        // one row per step (1..30), with the schedule's rate; validation before training and every 10 steps
        List<JsonNode> validation = new ArrayList<>();
        List<Integer> stepRows = new ArrayList<>(), validationSteps = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            JsonNode row = new ObjectMapper().readTree(line);
            if (row.has("validation_exit_loss")) {
                validation.add(row.get("validation_exit_loss"));
                validationSteps.add(row.get("step").asInt());
            } else {
                stepRows.add(row.get("step").asInt());
                assertEquals(Set.of("1", "2", "3", "4"), fieldNames(row.get("exit_loss")), line);
                assertTrue(row.get("grad_norm").asDouble() > 0 && row.get("tokens_per_s").asDouble() > 0, line);
                assertTrue(row.get("step_s").asDouble() > 0, line); // the step's wall time, for comparing methods' cost
            }
        }
        assertEquals(IntStream.rangeClosed(1, 30).boxed().toList(), stepRows);
        assertEquals(List.of(0, 10, 20, 30), validationSteps);
        JsonNode first = validation.get(0), last = validation.get(validation.size() - 1);
        for (String exit : List.of("1", "2", "3", "4")) {
            assertTrue(last.get(exit).asDouble() < first.get(exit).asDouble() - 0.5,
                    "exit " + exit + ": " + first.get(exit) + " -> " + last.get(exit));
        }
        BufferedImage plot = ImageIO.read(out.resolve("loss.png").toFile());
        assertEquals(900, plot.getWidth());
        assertEquals(550, plot.getHeight());
        assertTrue(Files.isRegularFile(out.resolve("model/tokenizer.json")));
        try (ModelFile trained = ModelLoader.open(out.resolve("model"))) {
            assertEquals(4, trained.config().nLayers());
        }
    }

    @Test
    void resumedRunReachesBitIdenticalWeights(@TempDir Path dir) throws Exception {
        Path whole = dir.resolve("whole"), split = dir.resolve("split");
        assertEquals(0, run(new TrainCommand(), trainArgs(whole, "--steps", "6", "--accumulate", "2", "--exits-per-step", "2", "--checkpoint-every", "2")
                .toArray(String[]::new)));
        assertEquals(0, run(new TrainCommand(), trainArgs(split, "--steps", "6", "--accumulate", "2", "--exits-per-step", "2", "--stop-after", "3")
                .toArray(String[]::new)));
        assertTrue(Files.notExists(split.resolve("model")));
        // other options are refused
        assertEquals(2, run(new TrainCommand(), trainArgs(split, "--steps", "6", "--accumulate", "2", "--exits-per-step", "2", "--seed", "5", "--resume")
                .toArray(String[]::new)));
        // a new run does not overwrite a checkpoint silently
        assertEquals(2, run(new TrainCommand(), trainArgs(split, "--steps", "6", "--accumulate", "2", "--exits-per-step", "2").toArray(String[]::new)));
        // a kill while a metrics row was being written leaves half a line
        Files.writeString(split.resolve("metrics.jsonl"), "{\"step\":4,\"lr\":0.00", StandardOpenOption.APPEND);
        assertEquals(0, run(new TrainCommand(), trainArgs(split, "--steps", "6", "--accumulate", "2", "--exits-per-step", "2", "--resume")
                .toArray(String[]::new)));
        assertArrayEquals(checkpointTensors(whole), checkpointTensors(split));
        assertArrayEquals(Files.readAllBytes(whole.resolve("model/model.safetensors")), Files.readAllBytes(split.resolve("model/model.safetensors")));
        assertEquals(trainingSteps(whole), trainingSteps(split));
        // --overwrite starts afresh
        assertEquals(0, run(new TrainCommand(), trainArgs(split, "--steps", "2", "--overwrite").toArray(String[]::new)));
        assertEquals(List.of(1, 2), trainingSteps(split));
    }

    /** The steps of metrics.jsonl's training rows, in order. */
    static List<Integer> trainingSteps(Path out) throws IOException {
        List<Integer> steps = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            JsonNode row = new ObjectMapper().readTree(line);
            if (row.has("exit_loss")) steps.add(row.get("step").asInt());
        }
        return steps;
    }

    @Test
    void badRecordsAreSkippedWhenAskedAndFailOtherwise(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("data.jsonl");
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 20; i++) lines.append("{\"prompt\": \"the cat is in the\", \"completion\": \" house.\"}\n");
        lines.append("{\"prompt\": \"no completion\"}\n");
        Files.writeString(data, lines);
        List<String> args = new ArrayList<>(trainArgs(dir.resolve("out"), "--steps", "2"));
        args.set(args.indexOf("--data") + 1, data.toString());
        args.set(args.indexOf("--format") + 1, "jsonl");
        args.set(args.indexOf("--validation") + 1, data.toString());
        assertEquals(2, run(new TrainCommand(), args.toArray(String[]::new)));
        args.addAll(List.of("--on-bad-record", "skip"));
        assertEquals(0, run(new TrainCommand(), args.toArray(String[]::new)));
        args.set(args.size() - 1, "sometimes");
        assertEquals(2, run(new TrainCommand(), args.toArray(String[]::new)));
    }

    private static Set<String> fieldNames(JsonNode object) {
        Set<String> names = new TreeSet<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** The exits each step row of metrics.jsonl reports, in order. */
    private static List<Set<String>> stepExits(Path out) throws Exception {
        List<Set<String>> steps = new ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            JsonNode row = new ObjectMapper().readTree(line);
            if (!row.has("exit_loss")) continue;
            steps.add(fieldNames(row.get("exit_loss")));
        }
        return steps;
    }

    @Test
    void exitsPerStepDrawsExitsPerMicroBatch(@TempDir Path out) throws Exception {
        // uniform (the default): 2 of the 4 exits per step, the last layer among them only sometimes
        assertEquals(0, run(new TrainCommand(), trainArgs(out.resolve("u"), "--steps", "12", "--exits-per-step", "2").toArray(String[]::new)));
        List<Set<String>> uniform = stepExits(out.resolve("u"));
        assertEquals(12, uniform.size());
        Set<String> seen = new TreeSet<>();
        uniform.forEach(seen::addAll);
        for (Set<String> step : uniform) assertEquals(2, step.size(), step.toString());
        assertEquals(Set.of("1", "2", "3", "4"), seen);
        assertTrue(uniform.stream().anyMatch(step -> !step.contains("4")), "the last layer is drawn like any exit: " + uniform);
        // keep-last: the last layer every step
        assertEquals(0, run(new TrainCommand(), trainArgs(out.resolve("k"), "--steps", "8", "--exits-per-step", "2", "--exit-sampling", "keep-last")
                .toArray(String[]::new)));
        for (Set<String> step : stepExits(out.resolve("k"))) assertTrue(step.size() == 2 && step.contains("4"), step.toString());
        // with 3 micro-batches per step each draws its own: a step trains more than 2 exits in all at least once
        assertEquals(0, run(new TrainCommand(), trainArgs(out.resolve("a"), "--steps", "6", "--exits-per-step", "2", "--accumulate", "3")
                .toArray(String[]::new)));
        assertTrue(stepExits(out.resolve("a")).stream().anyMatch(step -> step.size() > 2), "one draw per micro-batch");
        assertEquals(2, run(new TrainCommand(), trainArgs(out.resolve("x"), "--steps", "8", "--exits-per-step", "5").toArray(String[]::new)));
        assertEquals(2, run(new TrainCommand(), trainArgs(out.resolve("y"), "--steps", "8", "--exit-sampling", "keep-last").toArray(String[]::new)));
    }

    static float[] logits(Path path, int exit, int[] tokens) {
        try (ModelFile f = ModelLoader.open(path)) {
            LlamaModel m = f.model();
            return m.forward(m.newCache(tokens.length), tokens, exit, true);
        }
    }

    /** Within {@code tol} of the largest logit: float32 paths that sum in different orders. */
    static void assertClose(float[] expected, float[] actual, double tol) {
        assertEquals(expected.length, actual.length);
        double scale = 0;
        for (float e : expected) scale = Math.max(scale, Math.abs(e));
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= tol * scale, "at " + i + ": " + expected[i] + " vs " + actual[i]);
        }
    }

    @Test
    void exportOfAnExitMatchesTheSourceAtThatExit(@TempDir Path dir) {
        int[] tokens = new Random(1).ints(12, 0, 96).toArray();
        assertEquals(0, run(new ExportCommand(), "--model", TINY.toString(), "--out", dir.resolve("exit2").toString(), "--format", "hf",
                "--exit-layer", "2"));
        try (ModelFile f = ModelLoader.open(dir.resolve("exit2"))) {
            assertEquals(2, f.config().nLayers());
        }
        assertClose(logits(TINY, 2, tokens), logits(dir.resolve("exit2"), 2, tokens), 1e-5);
        assertEquals(0, run(new ExportCommand(), "--model", TINY.toString(), "--out", dir.resolve("exit3.gguf").toString(), "--format", "gguf",
                "--exit-layer", "3"));
        assertClose(logits(TINY, 3, tokens), logits(dir.resolve("exit3.gguf"), 3, tokens), 1e-5);
        for (String[] f : new String[][] {{"hf", "full"}, {"gguf", "full.gguf"}, {"llama2c", "full.bin"}}) {
            assertEquals(0, run(new ExportCommand(), "--model", TINY.toString(), "--out", dir.resolve(f[1]).toString(), "--format", f[0]));
            assertClose(logits(TINY, 4, tokens), logits(dir.resolve(f[1]), 4, tokens), 1e-5);
        }
    }

    /** Every tensor of a model file as floats, by canonical name. */
    private static Map<String, float[]> tensors(Path path) {
        try (ModelFile f = ModelLoader.open(path)) {
            Map<String, float[]> out = new TreeMap<>();
            f.tensors().forEach((name, t) -> out.put(name, Dequantize.all(t)));
            return out;
        }
    }

    private static JsonNode lastValidation(Path out) throws Exception {
        JsonNode last = null;
        for (String line : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            JsonNode row = new ObjectMapper().readTree(line);
            if (row.has("validation_exit_loss")) last = row.get("validation_exit_loss");
        }
        return last;
    }

    @Test
    void ictTrainsHeadsOfItsOwnOnTheFrozenSftModel(@TempDir Path dir) throws Exception {
        Path sft = dir.resolve("sft"), ict = dir.resolve("ict"), split = dir.resolve("split");
        assertEquals(0, run(new TrainCommand(), with(trainArgs(sft, "--steps", "20"), "--method", "standard")));
        Path sftModel = sft.resolve("model");
        List<String> ictArgs = trainArgs(ict, "--steps", "12");
        ictArgs.set(ictArgs.indexOf("--model") + 1, sftModel.toString());
        assertEquals(0, run(new TrainCommand(), with(ictArgs, "--method", "ict")));
        Path ictModel = ict.resolve("model");

        // the backbone (and the SFT head the last layer keeps) is bit-identical; exits 1..3 have heads of their own
        var before = tensors(sftModel);
        var after = tensors(ictModel);
        for (var e : before.entrySet()) assertArrayEquals(e.getValue(), after.get(e.getKey()), e.getKey() + " is frozen");
        for (int k = 1; k <= 3; k++) {
            assertTrue(after.containsKey(TensorNames.exitOutput(k)), "exit " + k + " has its own head");
        }
        assertEquals(before.size() + 6, after.size());
        // the tuned heads beat the shared head at their exits, and the last layer is SFT's
        JsonNode sftLoss = lastValidation(sft), ictLoss = lastValidation(ict);
        for (String exit : List.of("1", "2", "3")) {
            assertTrue(ictLoss.get(exit).asDouble() < sftLoss.get(exit).asDouble() - 0.05, "exit " + exit + ": SFT "
                    + sftLoss.get(exit) + ", ICT " + ictLoss.get(exit));
        }
        // the same to 1e-9 relative, not bit for bit: SFT puts every exit's rows through the shared head in one
        // sgemm, ICT the last layer's alone, and OpenBLAS's sums may depend on the product's shape (on an AMD
        // EPYC, Zen 5: 1.5e-10 relative apart; a head that moved would be apart by 1e-2 or more)
        double sftLast = sftLoss.get("4").asDouble();
        assertEquals(sftLast, ictLoss.get("4").asDouble(), 1e-9 * sftLast);

        // every format and every exit runs the exits' own heads
        int[] tokens = new Random(4).ints(10, 0, 600).toArray();
        assertEquals(0, run(new ExportCommand(), "--model", ictModel.toString(), "--out", dir.resolve("ict.gguf").toString(), "--format", "gguf"));
        assertEquals(0, run(new ExportCommand(), "--model", ictModel.toString(), "--out", dir.resolve("exit2").toString(), "--format", "hf",
                "--exit-layer", "2"));
        for (int exit = 1; exit <= 4; exit++) assertClose(logits(ictModel, exit, tokens), logits(dir.resolve("ict.gguf"), exit, tokens), 1e-5);
        assertClose(logits(ictModel, 2, tokens), logits(dir.resolve("exit2"), 2, tokens), 1e-5);
        assertTrue(Math.abs(logits(ictModel, 2, tokens)[0] - logits(sftModel, 2, tokens)[0]) > 1e-4, "exit 2 uses its own head");
        assertEquals(2, run(new ExportCommand(), "--model", ictModel.toString(), "--out", dir.resolve("ict.bin").toString(), "--format", "llama2c"));

        // an interrupted ICT run resumes to the same bits; --ict-shared-head needs --method ict
        ictArgs = trainArgs(split, "--steps", "12", "--stop-after", "5");
        ictArgs.set(ictArgs.indexOf("--model") + 1, sftModel.toString());
        assertEquals(0, run(new TrainCommand(), with(ictArgs, "--method", "ict")));
        ictArgs.remove("--stop-after");
        ictArgs.remove("5");
        ictArgs.add("--resume");
        assertEquals(0, run(new TrainCommand(), with(ictArgs, "--method", "ict")));
        assertArrayEquals(Files.readAllBytes(ictModel.resolve("model.safetensors")), Files.readAllBytes(split.resolve("model/model.safetensors")));
        assertEquals(2, run(new TrainCommand(), trainArgs(dir.resolve("bad"), "--steps", "2", "--ict-shared-head").toArray(String[]::new)));
    }

    @Test
    void ictWithASharedHeadTrainsOnlyTheHeadAndFinalNorm(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("shared");
        List<String> args = trainArgs(out, "--steps", "10", "--ict-shared-head");
        assertEquals(0, run(new TrainCommand(), with(args, "--method", "ict")));
        var before = tensors(model);
        var after = tensors(out.resolve("model"));
        for (var e : before.entrySet()) {
            boolean head = e.getKey().equals(TensorNames.FINAL_NORM);
            if (!head) assertArrayEquals(e.getValue(), after.get(e.getKey()), e.getKey() + " is frozen");
        }
        // the base model ties its head to the embedding: the head was untied and trained alone
        float[] embedding = before.get(TensorNames.TOKEN_EMBEDDING);
        float[] head = after.get(TensorNames.OUTPUT);
        assertTrue(head != null && !Arrays.equals(embedding, head), "an untied, trained head");
        assertTrue(!Arrays.equals(before.get(TensorNames.FINAL_NORM),
                after.get(TensorNames.FINAL_NORM)), "the final norm trained");
    }

    private static String[] with(List<String> args, String option, String value) {
        args.set(args.indexOf(option) + 1, value);
        return args.toArray(String[]::new);
    }

    @Test
    void badInputExitsWith2(@TempDir Path out) {
        assertEquals(2, run(new TrainCommand(), "--model", model.toString(), "--data", out.resolve("missing.txt").toString(),
                "--format", "text", "--out", out.toString()));
        assertEquals(2, run(new TrainCommand(), with(trainArgs(out.resolve("a"), "--steps", "4"), "--seq-len", "1000")));
        assertEquals(2, run(new TrainCommand(), with(trainArgs(out.resolve("b"), "--steps", "4"), "--format", "csv")));
        assertEquals(2, run(new TrainCommand(), with(trainArgs(out.resolve("c"), "--steps", "4"), "--exits", "1,9")));
        assertEquals(2, run(new TrainCommand(), with(trainArgs(out.resolve("d"), "--steps", "4"), "--method", "frozen")));
        assertEquals(2, run(new TrainCommand(), trainArgs(out.resolve("e"), "--steps", "4", "--resume").toArray(String[]::new)));
        assertEquals(2, run(new ExportCommand(), "--model", TINY.toString(), "--out", out.resolve("x").toString(), "--format", "hf",
                "--exit-layer", "5"));
        assertEquals(2, run(new ExportCommand(), "--model", TINY.toString(), "--out", out.resolve("y").toString(), "--format", "onnx"));
    }
}
