package sortedllama.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sortedllama.BadInputException;
import sortedllama.tensor.Bf16Gemm;
import sortedllama.tensor.Parallel;
import sortedllama.train.GemmBenchmark;

@Command(name = "gemm", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"GFLOP/s of training's matrix products in float32 (OpenBLAS) and BF16 (AMX tiles), each weight's",
                "forward, input gradient and weight gradient, at the shapes of bench train's config a (dim 288, hidden 768,",
                "vocab 32000, 2048 tokens) and of TinyLlama 1.1B (dim 2048, hidden 5632, vocab 32000, 256 tokens)."})
final class BenchGemm implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--shape", paramLabel = "S", description = "a, 1b or both (default: both).")
    String shape;

    @Option(names = "--runs", paramLabel = "R", defaultValue = "5", description = "Timed runs per product; the best is reported (default ${DEFAULT-VALUE}).")
    int runs;

    @Override
    public Integer call() {
        if (shape != null && GemmBenchmark.SHAPES.stream().noneMatch(s -> s.name().equals(shape))) {
            throw new BadInputException("--shape must be a or 1b, got " + shape);
        }
        if (runs < 1) throw new BadInputException("--runs must be at least 1, got " + runs);
        if (!Bf16Gemm.available()) throw new BadInputException("BF16 products are not available here: " + Bf16Gemm.why());
        PrintWriter out = spec.commandLine().getOut();
        out.printf("threads %d, best of %d runs%n", Parallel.threads(), runs);
        for (GemmBenchmark.Shape s : GemmBenchmark.SHAPES) {
            if (shape == null || shape.equals(s.name())) GemmBenchmark.run(out, s, runs);
        }
        return 0;
    }
}
