package sortedllama.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sortedllama.BadInputException;
import sortedllama.tokenizer.Tokenizer;
import sortedllama.tokenizer.Tokenizers;

/** Encoding and decoding speed of a tokenizer on a long mixed text (ASCII, accents, CJK, emoji, newlines). */
@Command(name = "tokenize", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Characters per second of encoding and of decoding a long text of mixed scripts with a tokenizer",
                "(tokenizer.json, tokenizer.model, llama2.c tokenizer.bin or a GGUF file); best of --runs after a warm-up."})
final class BenchTokenize implements Callable<Integer> {
    private static final String UNIT = "The quick brown fox jumps over the lazy dog: 1234567, caf\u00e9 \u4e16\u754c \uD83D\uDE00!\n\n";

    @Spec CommandSpec spec;

    @Option(names = "--tokenizer", required = true, paramLabel = "PATH", description = "The tokenizer file.")
    Path tokenizer;

    @Option(names = "--repeat", paramLabel = "N", defaultValue = "3000",
            description = "Copies of the short sample text to encode at once (default ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--runs", paramLabel = "R", defaultValue = "5", description = "Timed runs; the best is reported (default ${DEFAULT-VALUE}).")
    int runs;

    @Override
    public Integer call() {
        if (repeat < 1 || runs < 1) throw new BadInputException("--repeat and --runs must be at least 1");
        Tokenizer t = Tokenizers.load(tokenizer, -1);
        String text = UNIT.repeat(repeat);
        int[] ids = t.encode(text); // warm-up
        if (!t.decode(ids).equals(text)) throw new BadInputException(tokenizer + " does not round-trip the sample text");
        double bestEncode = Double.MAX_VALUE, bestDecode = Double.MAX_VALUE;
        for (int r = 0; r < runs; r++) {
            long t0 = System.nanoTime();
            ids = t.encode(text);
            long t1 = System.nanoTime();
            t.decode(ids);
            bestEncode = Math.min(bestEncode, (t1 - t0) / 1e9);
            bestDecode = Math.min(bestDecode, (System.nanoTime() - t1) / 1e9);
        }
        spec.commandLine().getOut().printf(Locale.ROOT, "%,d characters, %,d tokens: encode %,.0f chars/s, decode %,.0f chars/s (best of %d)%n",
                text.length(), ids.length, text.length() / bestEncode, text.length() / bestDecode, runs);
        return 0;
    }
}
