package sortedllama.demo;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import sortedllama.BadInputException;
import sortedllama.io.AtomicFiles;
import sortedllama.io.SafetensorsWriter;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaConfig;
import sortedllama.model.RopeLayout;
import sortedllama.tensor.DType;
import sortedllama.tokenizer.BpeTrainer;
import sortedllama.tokenizer.Tokenizer;
import sortedllama.tokenizer.Tokenizers;
import sortedllama.train.Batch;
import sortedllama.train.ExitObjective;
import sortedllama.train.HeldOutLoss;
import sortedllama.train.TrainableModel;
import sortedllama.train.TrainingProgress;
import sortedllama.train.TrainingRun;
import sortedllama.train.data.BatchMode;
import sortedllama.train.data.DataFormat;
import sortedllama.train.data.DataOptions;
import sortedllama.train.data.DataPosition;
import sortedllama.train.data.TrainingData;

/**
 * Pre-trains the demo's base model, the one committed under {@value #RESOURCE}: a byte-level BPE
 * vocabulary learnt from the corpus, then a small LLaMA from a seeded random start trained as
 * LLaMA is, on next-token prediction at the last layer only (no exit is favoured before the
 * fine-tuning methods are compared). Stored as BF16 safetensors to stay a few MB.
 */
public final class BasePretraining {
    /** Where the committed base model lives on the class path (config.json, model.safetensors, tokenizer.json). */
    public static final String RESOURCE = "sortedllama/demo/base";

    /**
     * Sizes and schedule of the base model: by default 1.6M parameters, 8 layers (exits every 2 give
     * the paper's nested sub-models), trained at the last layer only ({@code exits} null); a list of
     * exits trains them all from the start (sorted pre-training, for models that must draft well).
     */
    public record Settings(int corpusSize, int vocab, int dim, int layers, int context, int seqLen, int batchSize, int steps,
                           double learningRate, long seed, String exits) {
        public static Settings defaults() {
            return new Settings(DemoCorpus.DEFAULT_SIZE, 1024, 128, 8, 256, 128, 16, 4000, 3e-3, 42, null);
        }

        public Settings withSteps(int steps) {
            if (steps < 1) throw new BadInputException("--pretrain-steps must be at least 1");
            return new Settings(corpusSize, vocab, dim, layers, context, seqLen, batchSize, steps, learningRate, seed, exits);
        }

        public Settings withShape(int dim, int layers) {
            if (dim < 32 || dim % 32 != 0) throw new BadInputException("--pretrain-dim must be a positive multiple of 32, got " + dim);
            if (layers < 1) throw new BadInputException("--pretrain-layers must be at least 1, got " + layers);
            return new Settings(corpusSize, vocab, dim, layers, context, seqLen, batchSize, steps, learningRate, seed, exits);
        }

        public Settings withLearningRate(double lr) {
            if (!(lr > 0)) throw new BadInputException("--pretrain-lr must be positive, got " + lr);
            return new Settings(corpusSize, vocab, dim, layers, context, seqLen, batchSize, steps, lr, seed, exits);
        }

        public Settings withExits(String exits) {
            ExitSet.parse(exits, layers); // refuse a bad list before hours of training
            return new Settings(corpusSize, vocab, dim, layers, context, seqLen, batchSize, steps, learningRate, seed, exits);
        }

        /** The command that reproduces a run with these settings. */
        String command(String out) {
            var d = defaults();
            var sb = new StringBuilder("./sorted-llama demo --pretrain-base " + out + " --pretrain-steps " + steps);
            if (dim != d.dim || layers != d.layers) sb.append(" --pretrain-dim ").append(dim).append(" --pretrain-layers ").append(layers);
            if (learningRate != d.learningRate) sb.append(" --pretrain-lr ").append(learningRate);
            if (exits != null) sb.append(" --pretrain-exits ").append(exits);
            return sb.toString();
        }
    }

    private BasePretraining() {}

    public static void run(Path out, Settings s, PrintWriter log) throws IOException {
        Files.createDirectories(out);
        DemoCorpus corpus = DemoCorpus.load(s.corpusSize());
        List<String> documents = corpus.pretrainingDocuments();
        String text = String.join("\n\n", documents); // blank lines separate the text reader's documents
        log.printf(Locale.ROOT, "corpus: %,d WordNet entries, %,d documents, %,d characters%n", corpus.entries().size(), documents.size(),
                text.length());
        Path tokenizerPath = out.resolve("tokenizer.json");
        AtomicFiles.writeString(tokenizerPath, BpeTrainer.train(text, s.vocab()));
        Tokenizer tokenizer = Tokenizers.load(tokenizerPath, s.vocab());

        Path corpusFile = Files.createTempFile("wordnet-corpus", ".txt");
        try {
            Files.writeString(corpusFile, text);
            var options = DataOptions.defaults(DataFormat.TEXT, s.seqLen(), s.batchSize()).withBatching(BatchMode.PACK)
                    .withSeed(s.seed()).withValidationFraction(0); // it is to learn every entry
            TrainingData data = TrainingData.load(corpusFile, null, tokenizer, options, line -> log.println("    " + line));
            LlamaConfig config = new LlamaConfig(s.dim(), s.dim() * 11 / 4 / 32 * 32, s.layers(), 4, 2, s.dim() / 4, s.vocab(),
                    s.context(), 1e-5f, 10000f, null, RopeLayout.INTERLEAVED, tokenizer.bosId(), tokenizer.eosId());
            TrainableModel model = TrainableModel.random(config, s.seed(), true);
            ExitSet exits = s.exits() == null ? null : ExitSet.parse(s.exits(), s.layers());
            var objective = exits == null ? ExitObjective.lastLayer(config) : ExitObjective.equal(exits);
            var run = new TrainingRun(model, objective, FineTuning.settings(s.learningRate()), s.steps());
            long t0 = System.nanoTime();
            double[] loss = {Double.NaN};
            try (var progress = new TrainingProgress("pre-train", s.steps(), 0)) {
                run.train(data.batches(DataPosition.START), TrainingRun.Listener.both(progress, TrainingRun.Listener.onStep(r -> loss[0] = r.loss())));
            }
            // how well it knows its corpus, at every layer: a few batches of it (there is nothing held out)
            var sample = data.batches(DataPosition.START);
            List<Batch> firstBatches = new ArrayList<>();
            for (int b = 0; b < 8; b++) firstBatches.add(sample.next());
            double[] corpusLoss = HeldOutLoss.perBatch(run.trainer().pass(), ExitObjective.equal(ExitSet.all(config.nLayers())), firstBatches);
            try (Arena arena = Arena.ofShared()) {
                // a sorted pre-trained model records its exits, as a sorted fine-tuned one does
                SafetensorsWriter.write(out, model.toWeights(arena), DType.BF16, exits);
            }
            Map<String, Object> record = new LinkedHashMap<>();
            record.put("settings", s.toString());
            record.put("final_training_loss", loss[0]);
            record.put("corpus_loss_per_layer", corpusLoss);
            record.put("seconds", (System.nanoTime() - t0) / 1e9);
            record.put("command", s.command(out.toString()));
            WordNetTasks.writeJson(record, out.resolve("pretraining.json"));
            log.printf(Locale.ROOT, "base model written to %s; loss on its corpus per layer %s%n", out, Arrays.toString(corpusLoss));
        } finally {
            Files.deleteIfExists(corpusFile);
        }
    }
}
