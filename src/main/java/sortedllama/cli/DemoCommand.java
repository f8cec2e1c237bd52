package sortedllama.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sortedllama.demo.DemoPipeline;
import sortedllama.demo.DemoReport;

@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train and compare standard and sorted fine-tuning on embedded WordNet data, with a report.",
                "The main job on the embedded default: WordNet 3.1 (shipped in a Maven artifact) becomes a corpus",
                "and a BPE vocabulary; one small LLaMA is trained twice from the same start, with standard",
                "(last-layer) and with sorted (every exit) fine-tuning; every layer of both is evaluated on",
                "held-out entries and generates text. Writes a report with tables and plots."})
final class DemoCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "demo-output", description = "Where the report goes (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--steps", paramLabel = "N", description = "Training steps per method (default 600).")
    Integer steps;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42", description = "Seed of the initialisation and the batch order (default ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws Exception {
        PrintWriter log = spec.commandLine().getOut();
        var d = DemoPipeline.Settings.defaults(out);
        var settings = new DemoPipeline.Settings(out, steps != null ? steps : d.steps(), d.batchSize(), d.seqLen(), d.dim(), d.layers(),
                d.vocab(), d.sortedExits(), d.learningRate(), seed, d.evalBatches());
        if (settings.steps() < 1) throw new sortedllama.BadInputException("--steps must be at least 1");
        long t0 = System.nanoTime();
        var variants = new DemoPipeline(settings, log).run();
        Path report = DemoReport.write(out, settings, variants);
        log.println();
        DemoReport.printSummary(log, variants);
        log.printf("%nreport: %s (%.0f s)%n", report.toAbsolutePath(), (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
