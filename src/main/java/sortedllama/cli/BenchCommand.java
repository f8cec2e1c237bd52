package sortedllama.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sortedllama.infer.Generator;
import sortedllama.infer.Sampler;
import sortedllama.io.ModelFile;
import sortedllama.model.LlamaWeights;
import sortedllama.tensor.MemoryBandwidth;
import sortedllama.tensor.Parallel;
import sortedllama.tensor.Tensor;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks (speed is measured here, never in tests).",
        subcommands = {BenchCommand.Decode.class, BenchCommand.Bandwidth.class, BenchModes.Speculative.class,
                BenchModes.Adaptive.class})
final class BenchCommand {

    @Command(name = "decode", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Tokens/s of greedy decoding from BOS at an exit layer (EOS ignored), after a warm-up,",
                    "with the weight bytes read per token and the memory bandwidth that implies."})
    static final class Decode implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin ModelOptions modelOptions;

        @Option(names = "--exit-layer", paramLabel = "K", description = "Exit layer (default: the last).")
        Integer exitLayer;

        @Option(names = "--tokens", paramLabel = "N", defaultValue = "256",
                description = "Tokens to decode in each timed run (default ${DEFAULT-VALUE}).")
        int tokens;

        @Option(names = "--runs", paramLabel = "R", defaultValue = "3",
                description = "Timed runs; the best is reported (default ${DEFAULT-VALUE}).")
        int runs;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            try (ModelFile file = modelOptions.open()) {
                var c = file.config();
                int exit = exitLayer == null ? c.nLayers() : exitLayer;
                c.checkExitLayer(exit);
                if (tokens < 2 || tokens >= c.contextLength()) {
                    throw new sortedllama.BadInputException("--tokens must be in 2.." + (c.contextLength() - 1) + ", got " + tokens);
                }
                var generator = new Generator(file.model());
                int[] bos = {c.bosId()};
                generator.generate(bos, Math.min(tokens, 32), exit, Sampler.greedy(), -1, null); // JIT warm-up
                double best = 0;
                for (int r = 0; r < runs; r++) {
                    var result = generator.generate(bos, tokens, exit, Sampler.greedy(), -1, null);
                    best = Math.max(best, result.decodeTokensPerSecond());
                }
                long bytes = weightBytesPerToken(file.weights(), exit);
                out.printf(Locale.ROOT, "model %s (%s), exit %d/%d, %d threads%n", file.path(), file.format(), exit,
                        c.nLayers(), Parallel.threads());
                out.printf(Locale.ROOT, "decode: %.1f tokens/s (best of %d runs of %d tokens)%n", best, runs, tokens);
                out.printf(Locale.ROOT, "weights read per token: %.1f MiB -> %.2f GB/s%n", bytes / 1048576.0,
                        bytes * best / 1e9);
            }
            return 0;
        }
    }

    @Command(name = "bandwidth", mixinStandardHelpOptions = true,
            description = "Memory read bandwidth with the Vector API over all cores: the ceiling for decoding.")
    static final class Bandwidth implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Option(names = "--mib", paramLabel = "M", defaultValue = "1024",
                description = "Buffer size in MiB, well above the caches (default ${DEFAULT-VALUE}).")
        int mib;

        @Override
        public Integer call() {
            double gbs = MemoryBandwidth.measureReadGBs(mib * 1048576L, 5);
            spec.commandLine().getOut().printf(Locale.ROOT, "read bandwidth: %.2f GB/s (%d MiB, %d threads)%n", gbs,
                    mib, Parallel.threads());
            return 0;
        }
    }

    /** Bytes of weights a decoding step through layers 1..exit reads: the layers, one embedding row, the head. */
    static long weightBytesPerToken(LlamaWeights w, int exit) {
        long bytes = w.tokenEmbedding.rowBytes() + w.output.data().byteSize();
        for (int l = 0; l < exit; l++) {
            var layer = w.layers[l];
            for (Tensor t : new Tensor[] {layer.wq(), layer.wk(), layer.wv(), layer.wo(), layer.gate(), layer.up(), layer.down()}) {
                bytes += t.data().byteSize();
            }
        }
        return bytes;
    }
}
