package sortedllama.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sortedllama.BadInputException;
import sortedllama.infer.Generator;
import sortedllama.infer.Sampler;
import sortedllama.io.ModelFile;
import sortedllama.model.LlamaConfig;
import sortedllama.model.LlamaModel;
import sortedllama.model.LlamaWeights;
import sortedllama.tensor.DType;
import sortedllama.tensor.Matmul;
import sortedllama.tensor.MemoryBandwidth;
import sortedllama.tensor.NativeKernels;
import sortedllama.tensor.Parallel;
import sortedllama.tensor.Quantize;
import sortedllama.tensor.Tensor;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks (speed is measured here, never in tests).",
        subcommands = {BenchCommand.Decode.class, BenchCommand.Bandwidth.class, BenchCommand.MatmulBench.class, BenchCommand.Sampling.class,
                BenchModes.Speculative.class, BenchModes.Adaptive.class, BenchTrain.class, BenchGemm.class, BenchTokenize.class, BenchServe.class, BenchJsonMask.class})
final class BenchCommand {

    @Command(name = "decode", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Tokens/s of greedy decoding from BOS at an exit layer (EOS ignored), after a warm-up,",
                    "with the weight bytes read per token and the memory bandwidth that implies;",
                    "with --prefill N also the tokens/s of one batched forward pass over N prompt positions."})
    static final class Decode implements Callable<Integer> {
        @Spec CommandSpec spec;
        @Mixin ModelOptions modelOptions;
        @Mixin KvCacheOption kvCacheOption;

        @Option(names = "--exit-layer", paramLabel = "K", description = "Exit layer (default: the last).")
        Integer exitLayer;

        @Option(names = "--tokens", paramLabel = "N", defaultValue = "256",
                description = "Tokens to decode in each timed run (default ${DEFAULT-VALUE}).")
        int tokens;

        @Option(names = "--runs", paramLabel = "R", defaultValue = "3",
                description = "Timed runs; the best is reported (default ${DEFAULT-VALUE}).")
        int runs;

        @Option(names = "--prefill", paramLabel = "N", defaultValue = "0",
                description = {"Also time prefill: one batched forward pass of N positions (BOS, then fixed ids spread",
                        "over the vocabulary) into an empty KV cache, logits of the last position only, as a prompt",
                        "is read; best of --runs, after an untimed pass (default 0: decode only)."})
        int prefill;

        @Option(names = "--json", description = "Print one JSON object (for scripts) instead of text lines.")
        boolean json;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            if (runs < 1) throw new BadInputException("--runs must be at least 1, got " + runs);
            long load0 = System.nanoTime();
            try (ModelFile file = modelOptions.open()) {
                double loadSeconds = (System.nanoTime() - load0) / 1e9;
                var c = file.config();
                int exit = exitLayer == null ? c.nLayers() : exitLayer;
                c.checkExitLayer(exit);
                if (tokens < 2 || tokens >= c.contextLength()) {
                    throw new BadInputException("--tokens must be in 2.." + (c.contextLength() - 1) + ", got " + tokens);
                }
                if (prefill < 0 || prefill > c.contextLength()) {
                    throw new BadInputException("--prefill must be in 0.." + c.contextLength() + " (the context length), got " + prefill);
                }
                var model = kvCacheOption.apply(file.model());
                var generator = new Generator(model);
                int[] bos = {c.bosId()};
                generator.generate(bos, Math.min(tokens, 32), exit, Sampler.greedy(), -1, null); // JIT warm-up
                double best = 0;
                for (int r = 0; r < runs; r++) {
                    var result = generator.generate(bos, tokens, exit, Sampler.greedy(), -1, null);
                    best = Math.max(best, result.decodeTokensPerSecond());
                }
                double bestPrefill = prefill > 0 ? prefillTokensPerSecond(model, prefill, exit, runs) : 0;
                long bytes = weightBytesPerToken(file.weights(), exit);
                long peakRss = peakRssBytes();
                if (json) {
                    out.printf(Locale.ROOT, "{\"model\":\"%s\",\"format\":\"%s\",\"exit\":%d,\"layers\":%d,\"threads\":%d,"
                                    + "\"load_s\":%.4f,\"runs\":%d,\"decode_tokens\":%d,\"decode_tok_s\":%.3f,"
                                    + "\"weight_bytes_per_token\":%d,\"prefill_tokens\":%d,\"prefill_tok_s\":%.3f,\"peak_rss_bytes\":%d}%n",
                            jsonEscape(file.path().toString()), jsonEscape(String.valueOf(file.format())), exit, c.nLayers(),
                            Parallel.threads(), loadSeconds, runs, tokens, best, bytes, prefill, bestPrefill, peakRss);
                    return 0;
                }
                out.printf(Locale.ROOT, "model %s (%s), exit %d/%d, %d threads%n", file.path(), file.format(), exit,
                        c.nLayers(), Parallel.threads());
                out.printf(Locale.ROOT, "decode: %.1f tokens/s (best of %d runs of %d tokens)%n", best, runs, tokens);
                out.printf(Locale.ROOT, "weights read per token: %.1f MiB -> %.2f GB/s%n", bytes / 1048576.0,
                        bytes * best / 1e9);
                if (prefill > 0) {
                    out.printf(Locale.ROOT, "prefill: %.1f tokens/s (best of %d passes of %d positions)%n", bestPrefill, runs, prefill);
                }
                out.printf(Locale.ROOT, "load: %.2f s, peak RSS %.1f MiB%n", loadSeconds, peakRss / 1048576.0);
            }
            return 0;
        }

        /** Ids of a prefill: BOS, then ids spread over the vocabulary (the same as tools/bench/llamacpp_client.c uses). */
        static int[] prefillIds(LlamaConfig c, int n) {
            int[] ids = new int[n];
            for (int i = 0; i < n; i++) ids[i] = (int) ((1000 + (long) i * 7919) % c.vocabSize());
            if (n > 0 && c.bosId() >= 0 && c.bosId() < c.vocabSize()) ids[0] = c.bosId();
            return ids;
        }

        /** Best tokens/s of one forward pass over n positions into an empty cache, after one untimed pass. */
        static double prefillTokensPerSecond(LlamaModel model, int n, int exit, int runs) {
            int[] ids = prefillIds(model.config(), n);
            double best = 0;
            for (int r = -1; r < runs; r++) {
                var cache = model.newCache(n);
                long t0 = System.nanoTime();
                float[] logits = model.forward(cache, ids, exit, false);
                long dt = System.nanoTime() - t0;
                if (logits.length != model.config().vocabSize()) throw new IllegalStateException("prefill logits");
                if (r >= 0) best = Math.max(best, n / (dt / 1e9));
            }
            return best;
        }
    }

    /** Peak resident set of this process (VmHWM from /proc/self/status), or -1 where that is not readable. */
    static long peakRssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.substring(6).replace("kB", "").strip()) * 1024L;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: no figure
        }
        return -1;
    }

    static String jsonEscape(String s) {
        var b = new StringBuilder();
        for (char ch : s.toCharArray()) {
            if (ch == '"' || ch == '\\') b.append('\\').append(ch);
            else if (ch < 0x20) b.append(String.format(Locale.ROOT, "\\u%04x", (int) ch));
            else b.append(ch);
        }
        return b.toString();
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

    @Command(name = "matmul", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Time of a product of random weight matrices with T vectors, for each T, in both regimes",
                    "(the batch-invariant one, \"row reuse\": each row read once for all T vectors, or AMX-INT8 tiles for",
                    "Q8_0 from 3 vectors and Q4_0 and IQ4_NL from 5, whose sums follow the per-row kernels' order; and",
                    "prefill's: AMX-INT8 tiles for the repacked types and Q6_K on CPUs that have them, else OpenBLAS",
                    "sgemm), with the ratio to one vector in the first regime (what a batch of T decoding steps, or",
                    "verifying T-1 drafts, costs against decoding one token) and the faster regime's GFLOP/s.",
                    "The matrices are repacked into row groups as a model's are when loaded."})
    static final class MatmulBench implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Option(names = "--rows", paramLabel = "R", defaultValue = "4096", description = "Rows of each matrix (default ${DEFAULT-VALUE}).")
        int rows;

        @Option(names = "--cols", paramLabel = "C", defaultValue = "1024", description = "Columns of each matrix (default ${DEFAULT-VALUE}).")
        int cols;

        @Option(names = "--matrices", paramLabel = "M", defaultValue = "8",
                description = "Matrices multiplied in turn, so that their total size sets the cache regime (default ${DEFAULT-VALUE}).")
        int matrices;

        @Option(names = "--type", paramLabel = "TYPE", defaultValue = "F32", description = "Weight type: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}); not Q2_K, Q3_K, IQ4_NL or IQ4_XS, which are "
                        + "read but not written.")
        DType type;

        @Option(names = "--tokens", paramLabel = "LIST", split = ",", defaultValue = "1,2,3,4,5,8,12,16,24",
                description = "Vector counts to time (default ${DEFAULT-VALUE}).")
        List<Integer> tokens;

        @Option(names = "--runs", paramLabel = "N", defaultValue = "30", description = "Timed passes; the best is reported (default ${DEFAULT-VALUE}).")
        int runs;

        @Override
        public Integer call() {
            if (rows < 1 || cols < 32 || cols % 32 != 0 || matrices < 1 || runs < 1) {
                throw new BadInputException("--rows and --matrices must be positive, --cols a positive multiple of 32, --runs at least 1");
            }
            if (!Quantize.canEncode(type)) { // its random weights are quantized here, and these types are only read
                throw new BadInputException("--type " + type + " cannot be written (this project only reads it), so it cannot be benchmarked here");
            }
            PrintWriter out = spec.commandLine().getOut();
            var random = new Random(1);
            try (var arena = Arena.ofShared()) { // shared: the workers read the weights
                Tensor[] ws = new Tensor[matrices];
                for (int m = 0; m < matrices; m++) {
                    float[] values = new float[rows * cols];
                    for (int i = 0; i < values.length; i++) values[i] = (float) random.nextGaussian();
                    // repacked as a model's matrices are when loaded, so that both regimes time the kernels models use
                    ws[m] = NativeKernels.withRowGroups(Quantize.tensor("w" + m, type, new long[] {rows, cols}, values, arena), arena);
                }
                String batched = NativeKernels.amxServes(ws[0]) ? "AMX" : "sgemm";
                out.printf(Locale.ROOT, "%d matrices %d x %d %s (%.1f MiB), %d threads; ms per pass, best of %d%n", matrices, rows, cols,
                        type, matrices * type.bytesFor((long) rows * cols) / 1048576.0, Parallel.threads(), runs);
                out.printf("%6s %12s %8s %12s %8s %10s%n", "T", "row reuse", "vs T=1", batched, "vs T=1", "GFLOP/s");
                for (int t : tokens) {
                    if (t < 1) throw new BadInputException("--tokens must be positive, got " + t);
                }
                double one = bestMillis(ws, 1, Matmul.Regime.ROW_REUSE, random); // the baseline, whether or not 1 is listed
                for (int t : tokens) {
                    double reuse = t == 1 ? one : bestMillis(ws, t, Matmul.Regime.ROW_REUSE, random), blas = bestMillis(ws, t, Matmul.Regime.BLAS, random);
                    double flops = 2.0 * matrices * rows * cols * t; // of the faster regime
                    out.printf(Locale.ROOT, "%6d %12.3f %7.2fx %12.3f %7.2fx %10.1f%n", t, reuse, reuse / one, blas, blas / one,
                            flops / Math.min(reuse, blas) / 1e6);
                }
            }
            return 0;
        }

        private double bestMillis(Tensor[] ws, int t, Matmul.Regime regime, Random random) {
            float[] x = new float[t * cols];
            for (int i = 0; i < x.length; i++) x[i] = (float) random.nextGaussian();
            float[] y = new float[t * rows];
            long best = Long.MAX_VALUE;
            for (int r = 0; r < runs + 3; r++) { // three untimed passes for the JIT
                long t0 = System.nanoTime();
                for (Tensor w : ws) Matmul.apply(w, x, t, y, regime);
                if (r >= 3) best = Math.min(best, System.nanoTime() - t0);
            }
            return best / 1e6;
        }
    }

    @Command(name = "sampling", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Time to pick one token from a vocabulary's logits: greedy (argmax, the baseline) and",
                    "sampled with temperature, top-k and top-p, on random logits (normal, standard deviation 3)."})
    static final class Sampling implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Option(names = "--vocab", paramLabel = "N", split = ",", defaultValue = "1024,32000,128256",
                description = "Vocabulary sizes (default ${DEFAULT-VALUE}).")
        List<Integer> vocabs;

        @Option(names = "--temperature", paramLabel = "T", defaultValue = "0.8", description = "Temperature (default ${DEFAULT-VALUE}).")
        float temperature;

        @Option(names = "--top-k", paramLabel = "K", defaultValue = "40", description = "Top-k of the second sampled row (default ${DEFAULT-VALUE}).")
        int topK;

        @Option(names = "--top-p", paramLabel = "P", defaultValue = "0.9", description = "Top-p of the first sampled row (default ${DEFAULT-VALUE}).")
        float topP;

        @Option(names = "--runs", paramLabel = "N", defaultValue = "300", description = "Timed draws; the fastest is reported (default ${DEFAULT-VALUE}).")
        int runs;

        @Override
        public Integer call() {
            if (runs < 1 || !(temperature > 0)) throw new BadInputException("--runs must be at least 1 and --temperature above 0");
            PrintWriter out = spec.commandLine().getOut();
            var random = new Random(1);
            out.printf("%8s %12s %16s %16s%n", "vocab", "argmax us", "top-p " + topP + " us", "top-k " + topK + " us");
            for (int n : vocabs) {
                if (n < 2) throw new BadInputException("--vocab sizes must be at least 2, got " + n);
                float[] logits = new float[n];
                for (int i = 0; i < n; i++) logits[i] = (float) (3 * random.nextGaussian());
                Sampler[] samplers = {Sampler.greedy(), new Sampler(temperature, 0, topP, 1), new Sampler(temperature, topK, 1f, 1)};
                long[] best = new long[samplers.length];
                Arrays.fill(best, Long.MAX_VALUE);
                for (Sampler sampler : samplers) { // half a second of untimed draws each, for the JIT
                    for (long end = System.nanoTime() + 500_000_000L; System.nanoTime() < end; ) sampler.sample(logits);
                }
                for (int r = 0; r < runs; r++) {
                    for (int k = 0; k < samplers.length; k++) {
                        long t0 = System.nanoTime();
                        samplers[k].sample(logits);
                        best[k] = Math.min(best[k], System.nanoTime() - t0);
                    }
                }
                out.printf(Locale.ROOT, "%8d %12.1f %16.1f %16.1f%n", n, best[0] / 1e3, best[1] / 1e3, best[2] / 1e3);
            }
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
