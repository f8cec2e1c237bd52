package sortedllama.cli;

import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sortedllama.BadInputException;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaConfig;
import sortedllama.model.LlamaWeights;
import sortedllama.model.RopeLayout;
import sortedllama.model.TensorNames;
import sortedllama.tensor.DType;
import sortedllama.tensor.Parallel;
import sortedllama.tensor.Quantize;
import sortedllama.tensor.Tensor;
import sortedllama.train.Batch;
import sortedllama.train.ExitObjective;
import sortedllama.train.ExitSampling;
import sortedllama.train.LoraConfig;
import sortedllama.train.Precision;
import sortedllama.train.TrainableModel;
import sortedllama.train.Trainer;
import sortedllama.train.TrainingPass;
import sortedllama.train.TrainingRun;

/**
 * Training steps per second (forward, backward, AdamW) through the one training loop, for SFT (the
 * last layer) and SoFT (the exits, equally weighted) on random models of three shapes: (a) llama2.c's
 * stories15M, (b) stories260K, both with a tied head, and (1b) TinyLlama-1.1B under LoRA with
 * activation checkpointing. tools/train/bench_torch.py times the same steps in PyTorch, and
 * tools/bench/train_vs_torch.sh runs both sides in turns.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Tokens/s, GFLOP/s and peak memory of training steps (forward + backward + AdamW) of SFT and SoFT "
                + "on random models shaped as stories15M (a: dim 288, 6 layers, vocab 32000, 8 x 256 tokens, tied head), "
                + "stories260K (b: dim 64, 5 layers, vocab 512, 32 x 256 tokens, tied head) and TinyLlama-1.1B (1b: dim 2048, "
                + "22 layers, vocab 32000, 1 x 256 tokens, LoRA rank 16 on a frozen BF16 base, activation checkpointing, "
                + "exits 6,12,18,22), after untimed warm-up steps.",
                "GFLOP/s counts the matrix products' useful work at 2 per multiply-add: per token, the forward's 2 x the "
                + "weights of the layers up to the deepest exit (LoRA's adapters too), attention's two products over the "
                + "causal prefix and 2 x vocab x dim per exit head; the backward twice that where weights train, once where "
                + "they are frozen (only the gradient w.r.t. their input). The recomputation under activation checkpointing "
                + "is not counted.", ""})
final class BenchTrain implements Callable<Integer> {
    /** A model shape with its batch and the settings it runs with unless options say otherwise. */
    private record Shape(String name, LlamaConfig config, int batchSize, int seqLen, boolean tied,
                         String exits, int loraRank, boolean checkpointing, int warmupSteps) {}

    private static final List<Shape> SHAPES = List.of(
            new Shape("a", new LlamaConfig(288, 768, 6, 6, 6, 48, 32000, 256, 1e-5f, 10000f, null, RopeLayout.INTERLEAVED, 1, 2),
                    8, 256, true, "all", 0, false, 5),
            new Shape("b", new LlamaConfig(64, 172, 5, 8, 4, 8, 512, 256, 1e-5f, 10000f, null, RopeLayout.INTERLEAVED, 1, 2),
                    32, 256, true, "all", 0, false, 5),
            new Shape("1b", new LlamaConfig(2048, 5632, 22, 32, 4, 64, 32000, 2048, 1e-5f, 10000f, null, RopeLayout.HALF_SPLIT, 1, 2),
                    1, 256, false, "6,12,18,22", 16, true, 1));

    private enum Method { SORTED, STANDARD, BOTH }

    @Spec CommandSpec spec;

    @Option(names = "--shape", paramLabel = "S", description = "a, b or 1b (default: a and b).")
    String shape;

    @Option(names = "--method", paramLabel = "M", defaultValue = "both",
            description = "sorted (SoFT: the exits of --exits, equally weighted), standard (SFT: the last layer) or both, "
                    + "then with their time ratio (default ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--exits", paramLabel = "LIST",
            description = "SoFT's exits: 2,4,6 or every:2 or all; the last layer is always included (default: all; 1b: 6,12,18,22).")
    String exits;

    @Option(names = "--lora-rank", paramLabel = "R",
            description = "LoRA adapters of rank R on every projection of a frozen base; 0 trains every weight (default: 0; 1b: 16).")
    Integer loraRank;

    @Option(names = "--lora-base", paramLabel = "TYPE", defaultValue = "bf16",
            description = "With LoRA, the type the frozen projections are stored and used in: f32, f16 or bf16 (default ${DEFAULT-VALUE}).")
    String loraBase;

    @Option(names = "--activation-checkpointing", negatable = true, fallbackValue = "true",
            description = "Recompute each layer's activations in the backward (default: off; 1b: on).")
    Boolean checkpointing;

    @Option(names = "--exits-per-step", paramLabel = "N",
            description = "SoFT trains N of its exits per step, drawn uniformly and seeded as train --exits-per-step does (SortedNet's "
                    + "sampling; GFLOP/s then counts the drawn exits). Default: every exit, every step.")
    Integer exitsPerStep;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "3", description = "Timed steps per run (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--warmup-steps", paramLabel = "N",
            description = "Untimed steps first: buffers, and the JIT's compilation of kernels that run once per step (default 5; 1b: 1).")
    Integer warmupSteps;

    @Option(names = "--precision", paramLabel = "LIST", split = ",", defaultValue = "f32",
            description = "Arithmetic of the matrix products, every run once per listed value in this order: f32 and/or bf16 (BF16 "
                    + "operands, float32 sums, AMX tiles; see train --help); f32,bf16,f32,bf16 takes turns (default ${DEFAULT-VALUE}).")
    List<String> precisions;

    /** What one run trains and how; the options resolved against the shape's defaults. */
    private record Run(Shape shape, String label, ExitObjective objective, ExitSampling sampling, int loraRank, DType loraBase,
                       boolean checkpointing, int warmupSteps, Precision precision) {}

    @Override
    public Integer call() throws IOException {
        if (shape != null && SHAPES.stream().noneMatch(s -> s.name().equals(shape))) {
            throw new BadInputException("--shape must be a, b or 1b, got " + shape);
        }
        Method m = switch (method.toLowerCase(Locale.ROOT)) {
            case "sorted" -> Method.SORTED;
            case "standard" -> Method.STANDARD;
            case "both" -> Method.BOTH;
            default -> throw new BadInputException("--method must be sorted, standard or both, got " + method);
        };
        DType base = switch (loraBase.toLowerCase(Locale.ROOT)) {
            case "f32" -> DType.F32;
            case "f16" -> DType.F16;
            case "bf16" -> DType.BF16;
            default -> throw new BadInputException("--lora-base must be f32, f16 or bf16, got " + loraBase);
        };
        if (steps < 1) throw new BadInputException("--steps must be at least 1, got " + steps);
        if (exitsPerStep != null && exitsPerStep < 1) throw new BadInputException("--exits-per-step must be at least 1, got " + exitsPerStep);
        var sampling = exitsPerStep == null ? ExitSampling.ALL : new ExitSampling(exitsPerStep, ExitSampling.Mode.UNIFORM, 1);
        if (warmupSteps != null && warmupSteps < 0) throw new BadInputException("--warmup-steps must be at least 0, got " + warmupSteps);
        if (loraRank != null && loraRank < 0) throw new BadInputException("--lora-rank must be at least 0, got " + loraRank);
        if ("1b".equals(shape) && loraRank != null && loraRank == 0) {
            throw new BadInputException("--shape 1b needs --lora-rank of at least 1: training all 1.1B weights in float32 takes about 18 GB");
        }
        List<Precision> chosen = new ArrayList<>();
        for (String p : precisions) chosen.add(TrainCommand.parseEnum(Precision.class, p, "--precision"));
        for (Precision p : chosen) p.requireAvailable();
        PrintWriter out = spec.commandLine().getOut();
        out.printf("threads %d, %d timed steps per run%n", Parallel.threads(), steps);
        for (Shape s : SHAPES) {
            if (shape == null ? s.name().equals("1b") : !shape.equals(s.name())) continue;
            LlamaConfig c = s.config();
            int rank = loraRank != null ? loraRank : s.loraRank();
            boolean ckpt = checkpointing != null ? checkpointing : s.checkpointing();
            int warm = warmupSteps != null ? warmupSteps : s.warmupSteps();
            ExitSet set = ExitSet.parse(exits != null ? exits : s.exits(), c.nLayers()).withLast(c.nLayers());
            for (Precision p : chosen) {
                double sft = 0, soft = 0;
                if (m != Method.SORTED) {
                    sft = time(out, new Run(s, "SFT", ExitObjective.lastLayer(c), ExitSampling.ALL, rank, base, ckpt, warm, p));
                }
                if (m != Method.STANDARD) {
                    ExitObjective objective = ExitObjective.equal(set);
                    sampling.check(objective);
                    String label = "SoFT exits " + set + (exitsPerStep == null ? "" : ", " + exitsPerStep + " drawn per step");
                    soft = time(out, new Run(s, label, objective, sampling, rank, base, ckpt, warm, p));
                }
                if (m == Method.BOTH) out.printf(Locale.ROOT, "(%s) %s SoFT/SFT time per step: %.2f%n", s.name(), name(p), soft / sft);
            }
        }
        return 0;
    }

    /** Trains one run's steps on one random batch, prints its figures and returns the mean seconds per step. */
    private double time(PrintWriter out, Run r) throws IOException {
        Shape s = r.shape();
        LlamaConfig c = s.config();
        try (Arena arena = Arena.ofShared()) {
            TrainableModel model = model(r, arena);
            Random rnd = new Random(1);
            int n = s.batchSize() * s.seqLen();
            Batch batch = Batch.of(s.batchSize(), s.seqLen(), rnd.ints(n, 0, c.vocabSize()).toArray(), rnd.ints(n, 0, c.vocabSize()).toArray());
            var run = new TrainingRun(model, r.objective(), TrainingRun.Settings.defaults().withLearningRate(1e-4)
                    .withActivationCheckpointing(r.checkpointing()).withPrecision(r.precision()).withExitSampling(r.sampling()),
                    r.warmupSteps() + steps);
            List<Double> seconds = new ArrayList<>(), cpuSeconds = new ArrayList<>();
            double[] loss = {0};
            System.gc();
            resetPeaks();
            long[] cpuMark = {processCpuNanos()};
            run.train(Stream.generate(() -> batch).iterator(), new TrainingRun.Listener() {
                @Override
                public void stepped(Trainer.StepResult result, double tokensPerSecond) {
                    long cpu = processCpuNanos();
                    if (result.step() >= r.warmupSteps()) {
                        seconds.add(n / tokensPerSecond);
                        cpuSeconds.add((cpu - cpuMark[0]) / 1e9);
                    }
                    cpuMark[0] = cpu;
                    loss[0] = result.loss();
                }
            });
            double mean = seconds.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            double meanCpu = cpuSeconds.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            double gflop = 0; // the timed steps' mean, over the exits each drew
            for (int step = r.warmupSteps(); step < r.warmupSteps() + steps; step++) {
                gflop += flopsPerStep(c, r.sampling().draw(r.objective(), step, 0), r.loraRank(), s.batchSize(), s.seqLen()) / 1e9 / steps;
            }
            TrainingPass.HeadBuffers heads = run.trainer().pass().headBuffers();
            out.printf(Locale.ROOT, "(%s) dim %d, %d layers, vocab %d, B %d x T %d, %s %s%s%s: %.0f tok/s, %.3f s/step (%s), "
                            + "%.3f CPU s/step, %.0f GFLOP/s (%.0f GFLOP/step), loss %.3f%n",
                    s.name(), c.dim(), c.nLayers(), c.vocabSize(), s.batchSize(), s.seqLen(), name(r.precision()), r.label(),
                    r.loraRank() > 0 ? ", LoRA rank " + r.loraRank() + " on " + r.loraBase() : "",
                    r.checkpointing() ? ", checkpointing" : "", n / mean, mean, spread(seconds), meanCpu, gflop / mean, gflop, loss[0]);
            out.printf(Locale.ROOT, "     memory: peak heap %.0f MiB, peak RSS %s; exit heads: one chunk of logits for all %d exit(s) %.1f MiB "
                            + "(all [tokens x vocab] logits: %.1f MiB per exit), %.1f MiB kept per exit%n",
                    peakHeapMiB(), peakRss(), r.objective().exits().length, mib(heads.logitsBytes()),
                    mib(4L * n * c.vocabSize()), mib(heads.bytesPerExit()));
            out.flush();
            return mean;
        }
    }

    private static String name(Precision p) {
        return p.name().toLowerCase(Locale.ROOT);
    }

    private static TrainableModel model(Run r, Arena arena) {
        Shape s = r.shape();
        if (r.loraRank() == 0) return TrainableModel.random(s.config(), 1, s.tied());
        TrainableModel m = TrainableModel.withStoredProjections(randomWeights(s.config(), s.tied(), r.loraBase(), arena), null);
        new LoraConfig(r.loraRank(), LoraConfig.defaultAlpha(r.loraRank()), LoraConfig.parseTargets(LoraConfig.ALL_TARGETS)).attach(m, 1);
        return m;
    }

    /**
     * Random inference weights (uniform, standard deviation 0.02; norms 1), the layers' matrices
     * stored as {@code type} in {@code arena}, embedding and head as float32.
     */
    private static LlamaWeights randomWeights(LlamaConfig c, boolean tied, DType type, Arena arena) {
        int d = c.dim(), hid = c.hiddenDim(), q = c.qDim(), kv = c.kvDim();
        LlamaWeights.Layer[] layers = new LlamaWeights.Layer[c.nLayers()];
        float[] ones = new float[d];
        Arrays.fill(ones, 1f);
        for (int l = 0; l < layers.length; l++) {
            layers[l] = new LlamaWeights.Layer(ones.clone(), random(TensorNames.wq(l), q, d, type, arena), random(TensorNames.wk(l), kv, d, type, arena),
                    random(TensorNames.wv(l), kv, d, type, arena), random(TensorNames.wo(l), d, q, type, arena), ones.clone(),
                    random(TensorNames.gate(l), hid, d, type, arena), random(TensorNames.up(l), hid, d, type, arena),
                    random(TensorNames.down(l), d, hid, type, arena));
        }
        Tensor embedding = random(TensorNames.TOKEN_EMBEDDING, c.vocabSize(), d, DType.F32, arena);
        return new LlamaWeights(c, embedding, layers, ones.clone(), tied ? embedding : random(TensorNames.OUTPUT, c.vocabSize(), d, DType.F32, arena));
    }

    private static Tensor random(String name, int rows, int cols, DType type, Arena arena) {
        SplittableRandom rnd = new SplittableRandom(name.hashCode());
        float[] v = new float[rows * cols];
        float halfWidth = (float) (0.02 * Math.sqrt(3)); // uniform on [-w, w] has standard deviation w / sqrt(3)
        for (int i = 0; i < v.length; i++) v[i] = halfWidth * (2 * rnd.nextFloat() - 1);
        return Quantize.tensor(name, type, new long[] {rows, cols}, v, arena);
    }

    /**
     * Matrix-product FLOPs of one step as the command's description counts them (2 per
     * multiply-add; backward 2x the forward where weights train, 1x where frozen).
     */
    static double flopsPerStep(LlamaConfig c, ExitObjective objective, int loraRank, int batchSize, int seqLen) {
        double d = c.dim(), q = c.qDim(), kv = c.kvDim(), hid = c.hiddenDim(), vocab = c.vocabSize();
        double weights = d * (2 * q + 2 * kv) + 3 * d * hid; // wq, wk, wv, wo; gate, up, down
        double adapters = loraRank * ((d + q) * 2 + (d + kv) * 2 + (d + hid) * 3); // A [r, in] and B [out, r] per projection
        double attention = 2 * 2 * q * (seqLen + 1) / 2.0; // QK^T and PV over a causal prefix of (T+1)/2 keys on average
        boolean lora = loraRank > 0;
        double layerForward = 2 * weights + 2 * adapters + attention;
        double layerBackward = (lora ? 1 : 2) * 2 * weights + 2 * 2 * adapters + 2 * attention;
        double head = 2 * vocab * d, headBackward = (lora ? 1 : 2) * head; // the head is frozen under LoRA
        int exits = objective.exits().length;
        double perToken = objective.deepest() * (layerForward + layerBackward) + exits * (head + headBackward);
        return perToken * batchSize * seqLen;
    }

    /**
     * CPU time of the whole process (every thread, the JIT's and GC's too): on a machine shared with
     * other jobs, CPU seconds per step move less than wall seconds.
     */
    private static long processCpuNanos() {
        return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static String spread(List<Double> seconds) {
        double min = seconds.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        double max = seconds.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        return String.format(Locale.ROOT, "%.3f-%.3f", min, max);
    }

    private static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }

    private static void resetPeaks() {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) p.resetPeakUsage();
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5"); // Linux: resets VmHWM, the peak resident set
        } catch (IOException | UnsupportedOperationException e) {
            // elsewhere the peak RSS is the process's since it started
        }
    }

    /** Sum of the heap pools' peaks since the reset: an upper bound of the peak heap in use. */
    private static double peakHeapMiB() {
        long bytes = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) bytes += p.getPeakUsage().getUsed();
        }
        return mib(bytes);
    }

    /** VmHWM of /proc/self/status (heap, the arena's weights, native buffers), or "n/a" where there is none. */
    private static String peakRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    long kib = Long.parseLong(line.substring(6).replace("kB", "").strip());
                    return String.format(Locale.ROOT, "%.0f MiB", kib / 1024.0);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux
        }
        return "n/a";
    }
}
