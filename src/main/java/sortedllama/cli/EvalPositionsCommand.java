package sortedllama.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sortedllama.BadInputException;
import sortedllama.eval.PositionAnalysis;
import sortedllama.eval.PositionPlots;
import sortedllama.io.AtomicFiles;
import sortedllama.io.ModelFile;
import sortedllama.io.ModelLoader;
import sortedllama.train.data.AlpacaFormat;
import sortedllama.train.data.BadRecordPolicy;
import sortedllama.train.data.BadRecords;
import sortedllama.train.data.ExampleEncoder;

@Command(name = "positions", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"KL divergence and cosine similarity of every layer against a reference's last layer, per generated position",
                "(the paper's Fig. 4 and 5): the reference answers each instruction greedily (Alpaca template, --positions tokens,",
                "EOS ignored); the model reads the same text, and at each position the next-token distribution of each of its layers",
                "is compared with the reference's (KL(ref || layer), nats) and its hidden state with the reference's (cosine),",
                "averaged over the instructions. Without --reference the model is its own reference (within-model analysis);",
                "with one it is the cross-model analysis (e.g. SFT's layers against SoFT's last layer)."})
final class EvalPositionsCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOptions modelOptions;

    @Option(names = "--reference", paramLabel = "PATH",
            description = "The model whose last layer is the reference and whose greedy answers are read (default: --model itself); same width and vocabulary.")
    Path reference;

    @Option(names = "--data", required = true, paramLabel = "PATH", description = "Instructions: Alpaca-format JSON array or JSON Lines (as eval generate reads).")
    Path data;

    @Option(names = "--positions", paramLabel = "N", defaultValue = "20", description = "Generated positions 0..N-1 (default ${DEFAULT-VALUE}, as the paper).")
    int positions;

    @Option(names = "--limit", paramLabel = "N", description = "Use only the first N instructions.")
    Integer limit;

    @Option(names = "--out", paramLabel = "DIR", description = "Write DIR/positions.json and DIR/kl-per-position.png, DIR/cosine-per-position.png.")
    Path out;

    @Option(names = "--json", description = "Print {\"kl\": [[layer 1's positions], ...], \"cosine\": [...], \"prompts\", \"skipped\"}.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(data)) throw new BadInputException("--data " + data + " does not exist");
        if (positions < 1) throw new BadInputException("--positions must be at least 1");
        if (reference != null && !Files.exists(reference)) throw new BadInputException("--reference " + reference + " does not exist");
        PrintWriter print = spec.commandLine().getOut();
        try (ModelFile file = modelOptions.open(); ModelFile ref = reference == null ? null : ModelLoader.open(reference)) {
            var tokenizer = modelOptions.requireTokenizer(file, "instructions are text");
            var bad = new BadRecords(BadRecordPolicy.SKIP, line -> spec.commandLine().getErr().println("sorted-llama: " + line));
            var instructions = AlpacaFormat.instructions(data, bad);
            if (limit != null) instructions = instructions.subList(0, Math.min(Math.max(0, limit), instructions.size()));
            if (instructions.isEmpty()) throw new BadInputException(data + ": no usable instructions");
            var encoder = new ExampleEncoder(tokenizer);
            List<int[]> prompts = new ArrayList<>();
            for (var i : instructions) prompts.add(encoder.prompt(i.prompt()));
            var grid = PositionAnalysis.of(ref == null ? file.model() : ref.model(), file.model(), prompts, positions);

            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("model", modelOptions.model.toString());
            summary.put("reference", reference == null ? modelOptions.model.toString() : reference.toString());
            summary.put("prompts", grid.prompts());
            summary.put("skipped", grid.skipped());
            summary.put("kl", grid.kl());
            summary.put("cosine", grid.cosine());
            String summaryJson = new ObjectMapper().writeValueAsString(summary);
            if (out != null) {
                Files.createDirectories(out);
                AtomicFiles.writeString(out.resolve("positions.json"), summaryJson + "\n");
                PositionPlots.write(out, "positions", reference == null ? "the last layer" : "the reference's last layer",
                        Map.of(modelOptions.model.getFileName().toString(), grid), reference == null);
            }
            if (json) {
                print.println(summaryJson);
            } else {
                print.printf("%6s %12s %12s %12s %12s%n", "layer", "KL pos 0", "KL mean", "cosine pos 0", "cosine mean");
                for (int l = 1; l <= grid.layers(); l++) {
                    print.printf(Locale.ROOT, "%6d %12.4f %12.4f %12.4f %12.4f%n", l, grid.kl()[l - 1][0], grid.meanKl(l), grid.cosine()[l - 1][0],
                            grid.meanCosine(l));
                }
                print.printf("%d instructions x %d positions%s%n", grid.prompts(), positions,
                        grid.skipped() > 0 ? " (" + grid.skipped() + " left out: no room in the context)" : "");
            }
        }
        return 0;
    }
}
