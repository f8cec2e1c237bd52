package sortedllama.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sortedllama.BadInputException;
import sortedllama.infer.Sampler;
import sortedllama.infer.json.JsonConstraint;
import sortedllama.infer.json.JsonGrammars;
import sortedllama.infer.json.TokenTrie;
import sortedllama.tokenizer.Tokenizer;
import sortedllama.tokenizer.Tokenizers;

/**
 * What constrained decoding (response_format) adds per token: masking the whole vocabulary at
 * a few typical places in a JSON object (sampled requests), and checking only the argmax (greedy
 * requests whose argmax is allowed), beside sampling from the same logits, in one run.
 */
@Command(name = "json-mask", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Microseconds per token of masking a tokenizer's whole vocabulary for JSON output (response_format)",
                "at typical places in an object, of the greedy check of one token, and of sampling (the baseline); best of --runs."})
final class BenchJsonMask implements Callable<Integer> {
    /** Prefixes of a JSON object, each a place with its own kind of mask. */
    private static final List<String> PLACES = List.of("", "{", "{\"name\": \"Jo", "{\"name\": \"Jo\", \"age\":", "{\"age\": 12");

    @Spec CommandSpec spec;

    @Option(names = "--tokenizer", required = true, paramLabel = "PATH", description = "The tokenizer file.")
    Path tokenizer;

    @Option(names = "--calls", paramLabel = "N", defaultValue = "300", description = "Masks per timed run (default ${DEFAULT-VALUE}).")
    int calls;

    @Option(names = "--runs", paramLabel = "R", defaultValue = "5", description = "Timed runs; the best is reported (default ${DEFAULT-VALUE}).")
    int runs;

    @Override
    public Integer call() {
        if (calls < 1 || runs < 1) throw new BadInputException("--calls and --runs must be at least 1");
        Tokenizer t = Tokenizers.load(tokenizer, -1);
        long start = System.nanoTime();
        TokenTrie vocabulary = TokenTrie.of(t);
        var out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "%,d tokens, trie built in %.0f ms%n", t.vocabSize(), (System.nanoTime() - start) / 1e6);
        float[] logits = new float[t.vocabSize()];
        Random random = new Random(1);
        for (int i = 0; i < logits.length; i++) logits[i] = (float) random.nextGaussian();
        Sampler sampler = new Sampler(1f, 0, 1f, 1);
        out.printf(Locale.ROOT, "sampling at temperature 1 (baseline): %.1f us%n", best(() -> sampler.sample(logits)));
        out.printf(Locale.ROOT, "%-28s %12s %14s%n", "after", "full mask us", "greedy check us");
        for (String place : PLACES) {
            var constraint = new JsonConstraint(JsonGrammars.anyObject(), vocabulary, Set.of(t.eosId()));
            for (int id : t.encode(place)) constraint.accept(id);
            float[] allowedFirst = constraint.restrict(logits, false).clone(); // its argmax is allowed: the greedy check's common case
            double mask = best(() -> constraint.restrict(logits, false));
            double check = best(() -> constraint.restrict(allowedFirst, true));
            out.printf(Locale.ROOT, "%-28s %12.1f %14.1f%n", "'" + place + "'", mask, check);
        }
        return 0;
    }

    /** Microseconds per call of {@code work}, the best of the runs after one untimed run. */
    private double best(Runnable work) {
        double best = Double.MAX_VALUE;
        for (int r = 0; r <= runs; r++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < calls; i++) work.run();
            if (r > 0) best = Math.min(best, (System.nanoTime() - t0) / 1e3 / calls);
        }
        return best;
    }
}
