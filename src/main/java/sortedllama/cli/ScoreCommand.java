package sortedllama.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sortedllama.BadInputException;
import sortedllama.eval.ExitScorer;
import sortedllama.io.ModelFile;
import sortedllama.model.ExitSet;

@Command(name = "score", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Score a text at each exit: loss, perplexity, KL from the last layer, cosine of hidden states.",
                "Mean next-token cross-entropy and perplexity of a text at each exit, with the KL divergence",
                "from the model's last layer's distribution and the cosine similarity with its hidden states",
                "(the last layer is the reference whether or not --exits lists it)."})
final class ScoreCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOptions modelOptions;

    static final class Input {
        @Option(names = "--text-file", paramLabel = "F", description = "UTF-8 text to score (needs a tokenizer; BOS is prepended).")
        Path textFile;

        @Option(names = "--ids-file", paramLabel = "F",
                description = "Whitespace-separated token ids; the first is context only, not predicted.")
        Path idsFile;
    }

    @ArgGroup(exclusive = true, multiplicity = "1") Input input;

    @Option(names = "--exits", paramLabel = "LIST", description = "Exits to score: 2,4,6 or every:4 or all (default: all).")
    String exits;

    @Option(names = "--json", description = "Print {\"exits\":[{\"layer\":k,\"loss\":x,\"ppl\":y,\"tokens\":n,...}]} instead of a table.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        try (ModelFile file = modelOptions.open()) {
            var c = file.config();
            ExitSet set = exits == null ? ExitSet.all(c.nLayers()) : ExitSet.parse(exits, c.nLayers());
            int[] ids = input.idsFile != null ? readIds(input.idsFile) : encode(file, input.textFile);
            var scores = new ExitScorer(file.model()).score(ids, set);
            if (json) {
                List<Map<String, Object>> rows = new ArrayList<>();
                for (var s : scores) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("layer", s.layer());
                    row.put("loss", s.loss());
                    row.put("ppl", s.perplexity());
                    row.put("tokens", s.tokens());
                    row.put("kl_from_last", s.klFromLast());
                    row.put("cosine_with_last", s.cosineWithLast());
                    rows.add(row);
                }
                out.println(new ObjectMapper().writeValueAsString(Map.of("exits", rows)));
            } else {
                out.printf("%6s %10s %12s %8s %12s %10s%n", "exit", "loss", "perplexity", "tokens", "KL(last||k)", "cosine");
                for (var s : scores) {
                    out.printf(Locale.ROOT, "%6d %10.4f %12.3f %8d %12.4f %10.4f%n", s.layer(), s.loss(), s.perplexity(),
                            s.tokens(), s.klFromLast(), s.cosineWithLast());
                }
            }
        }
        return 0;
    }

    private static int[] readIds(Path path) throws IOException {
        if (!Files.isRegularFile(path)) throw new BadInputException("--ids-file " + path + " does not exist");
        return TokenIds.parse(Files.readString(path), "--ids-file " + path);
    }

    private int[] encode(ModelFile file, Path path) throws IOException {
        if (!Files.isRegularFile(path)) throw new BadInputException("--text-file " + path + " does not exist");
        var tok = modelOptions.requireTokenizer(file, "needed for --text-file");
        return tok.encodeAfterBos(Files.readString(path), file.config().bosId());
    }
}
