package sortedllama.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sortedllama.BadInputException;
import sortedllama.demo.BasePretraining;
import sortedllama.demo.DemoPipeline;
import sortedllama.demo.DemoReport;

@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fine-tune the committed base model with SFT, SoFT, SFT+ICT and extracted",
                "fine-tuning, and compare every exit. WordNet 3.1 (a Maven artifact) becomes",
                "instruction (Alpaca) and closed-book QA (TriviaQA) tasks with fixed splits;",
                "the small LLaMA base committed in the jar (pre-trained on WordNet text) is",
                "fine-tuned by each method on the same batches; every exit is scored on the",
                "test split (held-out loss, QA exact match, instruction answers judged against",
                "SFT), KL and cosine per layer are measured and the decoding modes compared.",
                "Writes a report with tables and plots to --out."})
final class DemoCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "demo-output", description = "Where the report goes (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--steps", paramLabel = "N", description = "Fine-tuning steps of SFT, SoFT and each extracted model (SoFT 2x: twice, ICT: half; default 300).")
    Integer steps;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42", description = "Seed of the batch order (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--lr", paramLabel = "X", description = "Peak fine-tuning learning rate of every method (default 3e-4).")
    Double lr;

    @Option(names = "--exits", paramLabel = "LIST", defaultValue = "every:2",
            description = "The exits SoFT trains, ICT gives heads and EFT extracts, scored at each (default ${DEFAULT-VALUE}: 2,4,6,8).")
    String exits;

    @Option(names = "--base", paramLabel = "DIR",
            description = "Fine-tune this base model (a model folder with its tokenizer, e.g. from --pretrain-base) instead of the committed one.")
    Path base;

    @Option(names = "--questions", paramLabel = "N", description = "Test questions scored at each exit (default 200).")
    Integer questions;

    @Option(names = "--instructions", paramLabel = "N", description = "Test instructions answered and judged at each exit (default 40; 100 with --data-dir).")
    Integer instructions;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = {"Fine-tune on the real subsets in DIR instead of the WordNet tasks, laid out as ../shared/data:",
                    "alpaca/alpaca_data_1k.json, triviaqa/triviaqa-dev-subset.json, pandalm/testset-inference-v1.json. QA is scored on",
                    "the last 200 TriviaQA questions, instruction answers on the last 100 Alpaca records; all 170 PandaLM",
                    "instructions are answered at every exit by SFT and SoFT, written for eval judge."})
    Path dataDir;

    @Option(names = "--tasks", paramLabel = "T", defaultValue = "both",
            description = "With --data-dir: fine-tune on both tasks (default), alpaca alone or triviaqa alone (the paper's separate runs).")
    String tasks;

    @Option(names = "--qa-every", paramLabel = "N", defaultValue = "0",
            description = "Score SFT's and SoFT's QA exact match at every exit every N fine-tuning steps and at the end (the paper's Fig. 3; default 0: off).")
    int qaEvery;

    @Option(names = "--pretrain-base", paramLabel = "DIR",
            description = "Instead of the demo: pre-train the demo's base model from scratch into DIR (how the committed one in src/main/resources/"
                    + BasePretraining.RESOURCE + " was made).")
    Path pretrainBase;

    @Option(names = "--pretrain-steps", paramLabel = "N", description = "Steps of --pretrain-base (default 4000).")
    Integer pretrainSteps;

    @Option(names = "--pretrain-dim", paramLabel = "D", description = "Width of the --pretrain-base model (default 128; hidden 11/4 of it).")
    Integer pretrainDim;

    @Option(names = "--pretrain-layers", paramLabel = "L", description = "Layers of the --pretrain-base model (default 8).")
    Integer pretrainLayers;

    @Option(names = "--pretrain-lr", paramLabel = "X", description = "Peak learning rate of --pretrain-base (default 3e-3).")
    Double pretrainLr;

    @Option(names = "--pretrain-exits", paramLabel = "LIST",
            description = "Train these exits from the start (sorted pre-training, e.g. every:4) instead of the last layer only.")
    String pretrainExits;

    @Override
    public Integer call() throws Exception {
        PrintWriter log = spec.commandLine().getOut();
        if (pretrainBase != null) {
            var s = BasePretraining.Settings.defaults();
            if (pretrainSteps != null) s = s.withSteps(pretrainSteps);
            if (pretrainDim != null || pretrainLayers != null) {
                s = s.withShape(pretrainDim != null ? pretrainDim : s.dim(), pretrainLayers != null ? pretrainLayers : s.layers());
            }
            if (pretrainLr != null) s = s.withLearningRate(pretrainLr);
            if (pretrainExits != null) s = s.withExits(pretrainExits);
            BasePretraining.run(pretrainBase, s, log);
            return 0;
        }
        var d = DemoPipeline.Settings.defaults(out);
        var settings = new DemoPipeline.Settings(out, base, steps != null ? steps : d.steps(), d.batchSize(), d.seqLen(), exits,
                lr != null ? lr : d.learningRate(), seed, d.evalBatches(), questions != null ? questions : d.questions(),
                instructions != null ? instructions : dataDir != null ? 100 : d.instructions(), dataDir, tasks, qaEvery);
        if (qaEvery < 0) throw new BadInputException("--qa-every must be >= 0");
        if (!(settings.learningRate() > 0)) throw new BadInputException("--lr must be positive");
        if (settings.steps() < 1) throw new BadInputException("--steps must be at least 1");
        if (settings.questions() < 1 || settings.instructions() < 1) throw new BadInputException("--questions and --instructions must be at least 1");
        if (base != null && !Files.isDirectory(base)) throw new BadInputException("--base " + base + " is not a model folder");
        long t0 = System.nanoTime();
        if (dataDir != null && !Files.isDirectory(dataDir)) throw new BadInputException("--data-dir " + dataDir + " is not a folder");
        if (dataDir == null && !tasks.equals("both")) throw new BadInputException("--tasks needs --data-dir (the WordNet tasks are fixed)");
        var results = new DemoPipeline(settings, log).run();
        double seconds = (System.nanoTime() - t0) / 1e9;
        Path report = DemoReport.write(out, settings, results, seconds);
        log.println();
        DemoReport.printSummary(log, results.variants());
        log.printf("%nreport: %s (%.0f s)%n", report.toAbsolutePath(), seconds);
        return 0;
    }
}
