package sortedllama.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import sortedllama.cli.TrainCommand;
import sortedllama.io.ModelFile;
import sortedllama.io.ModelLoader;
import sortedllama.io.SafetensorsWriter;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaConfig;
import sortedllama.model.RopeLayout;
import sortedllama.tensor.DType;
import sortedllama.tokenizer.Tokenizer;
import sortedllama.tokenizer.Tokenizers;
import sortedllama.train.ExitObjective;
import sortedllama.train.TrainableModel;
import sortedllama.train.data.BatchMode;
import sortedllama.train.data.DataFormat;
import sortedllama.train.data.DataOptions;
import sortedllama.train.data.TrainingData;

/** The demo's fine-tuning is {@code train} with the demo's options: the same weights, bit for bit, and the same losses. */
class FineTuningTest {
    static final Path TOKENIZER = Path.of("src/test/resources/tokenizer/wordnet_bpe_600.json");

    @Test
    void demoFineTuningEqualsTrainWithTheDemosOptions(@TempDir Path dir) throws Exception {
        LlamaConfig c = new LlamaConfig(32, 64, 4, 4, 2, 8, 600, 64, 1e-5f, 10000f, null, RopeLayout.INTERLEAVED, 1, 2);
        Path base = dir.resolve("base");
        try (Arena arena = Arena.ofShared()) {
            SafetensorsWriter.write(base, TrainableModel.random(c, 5, true).toWeights(arena), DType.F32);
        }
        Files.copy(TOKENIZER, base.resolve("tokenizer.json"));
        Path trainFile = dir.resolve("train.jsonl"), validFile = dir.resolve("valid.jsonl");
        writeTasks(trainFile, 40, 0);
        writeTasks(validFile, 8, 40);
        int steps = 25, batch = 4, seqLen = 48;
        double lr = 3e-3;

        // the demo: its data options (packed rows, its seed), its exits, FineTuning.run
        Tokenizer tokenizer = Tokenizers.load(TOKENIZER, c.vocabSize());
        var options = DataOptions.defaults(DataFormat.JSONL, seqLen, batch).withBatching(BatchMode.PACK).withSeed(42);
        TrainingData data = TrainingData.load(trainFile, validFile, tokenizer, options, line -> {});
        ExitSet exits = ExitSet.parse("every:2", c.nLayers()).withLast(c.nLayers());
        TrainableModel demoModel;
        try (ModelFile f = ModelLoader.open(base)) {
            demoModel = TrainableModel.fromWeights(f.weights());
        }
        FineTuning.Run demo = FineTuning.run("SoFT", demoModel, ExitObjective.equal(exits), data, steps, lr);

        // train, at its defaults but for the options the demo sets
        Path out = dir.resolve("train");
        CommandLine cli = new CommandLine(new TrainCommand());
        cli.setOut(new PrintWriter(new StringWriter(), true));
        assertEquals(0, cli.execute("--model", base.toString(), "--data", trainFile.toString(), "--validation", validFile.toString(),
                "--format", "jsonl", "--batching", "pack", "--seed", "42", "--method", "sorted", "--exits", "every:2",
                "--batch", "" + batch, "--seq-len", "" + seqLen, "--steps", "" + steps, "--lr", "" + lr, "--weight-decay", "0.1",
                "--out", out.toString()));

        Path demoOut = dir.resolve("demo");
        try (Arena arena = Arena.ofShared()) {
            SafetensorsWriter.write(demoOut, demo.model().toWeights(arena), DType.F32, exits); // as train writes OUT/model
        }
        assertArrayEquals(Files.readAllBytes(demoOut.resolve("model.safetensors")), Files.readAllBytes(out.resolve("model/model.safetensors")));

        List<String> rows = Files.readAllLines(out.resolve("metrics.jsonl"));
        JsonNode lastStep = null;
        for (String line : rows) {
            JsonNode row = new ObjectMapper().readTree(line);
            if (row.has("exit_loss")) lastStep = row.get("exit_loss");
        }
        double[] demoLast = demo.curve().get(steps - 1);
        for (int i = 0; i < exits.layers().length; i++) {
            assertEquals(demoLast[i], lastStep.get(Integer.toString(exits.layers()[i])).asDouble(), 0.0, "exit " + exits.layers()[i]);
        }
    }

    /** Seeded prompt/completion pairs about a few animals, {@code n} of them starting at {@code from}. */
    private static void writeTasks(Path file, int n, int from) throws Exception {
        String[] animals = {"cat", "dog", "bird", "horse", "fish"};
        String[] places = {"house", "garden", "river", "park", "field"};
        StringBuilder sb = new StringBuilder();
        ObjectMapper json = new ObjectMapper();
        for (int i = from; i < from + n; i++) {
            String a = animals[i % 5], p = places[(i * 3) % 5];
            sb.append(json.writeValueAsString(Map.of("prompt", "where is the " + a + "? ", "completion", "the " + a + " is in the " + p + ".")))
                    .append('\n');
        }
        Files.writeString(file, sb);
    }
}
