package sortedllama.cli;

import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sortedllama.BadInputException;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaConfig;
import sortedllama.model.RopeLayout;
import sortedllama.tensor.Parallel;
import sortedllama.train.Batch;
import sortedllama.train.ExitObjective;
import sortedllama.train.TrainableModel;
import sortedllama.train.Trainer;
import sortedllama.train.TrainingRun;

/**
 * Training steps per second (forward, backward, AdamW) through the one training loop, for SFT (the
 * last layer) and SoFT (every exit) on random models of two shapes with a tied head: (a) llama2.c's
 * stories15M and (b) stories260K. tools/train/bench_torch.py times the same steps in PyTorch.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Tokens/s of training steps (forward + backward + AdamW) of SFT and SoFT (every exit) on random",
                "models shaped as stories15M (a: dim 288, 6 layers, vocab 32000, 8 x 256 tokens) and stories260K",
                "(b: dim 64, 5 layers, vocab 512, 32 x 256 tokens), after untimed warm-up steps; with the peak heap."})
final class BenchTrain implements Callable<Integer> {
    private record Shape(String name, LlamaConfig config, int batchSize, int seqLen) {}

    private static final List<Shape> SHAPES = List.of(
            new Shape("a", new LlamaConfig(288, 768, 6, 6, 6, 48, 32000, 256, 1e-5f, 10000f, null, RopeLayout.INTERLEAVED, 1, 2), 8, 256),
            new Shape("b", new LlamaConfig(64, 172, 5, 8, 4, 8, 512, 256, 1e-5f, 10000f, null, RopeLayout.INTERLEAVED, 1, 2), 32, 256));

    @Spec CommandSpec spec;

    @Option(names = "--shape", paramLabel = "S", description = "a, b or both (default: both).")
    String shape;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "3", description = "Timed steps per run (default ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--warmup-steps", paramLabel = "N", defaultValue = "5",
            description = "Untimed steps first: buffers, and the JIT's compilation of kernels that run once per step (default ${DEFAULT-VALUE}).")
    int warmupSteps;

    @Option(names = "--activation-checkpointing", description = "Recompute each layer's activations in the backward.")
    boolean checkpointing;

    @Override
    public Integer call() {
        if (shape != null && SHAPES.stream().noneMatch(s -> s.name().equals(shape))) {
            throw new BadInputException("--shape must be a or b, got " + shape);
        }
        if (steps < 1 || warmupSteps < 0) throw new BadInputException("--steps must be at least 1 and --warmup-steps at least 0");
        PrintWriter out = spec.commandLine().getOut();
        out.printf("threads %d, %d timed steps after %d warm-up steps, activation checkpointing %s%n",
                Parallel.threads(), steps, warmupSteps, checkpointing ? "on" : "off");
        for (Shape s : SHAPES) {
            if (shape != null && !shape.equals(s.name())) continue;
            LlamaConfig c = s.config();
            run(out, s, "SFT", ExitObjective.lastLayer(c));
            run(out, s, "SoFT all " + c.nLayers() + " exits", ExitObjective.equal(ExitSet.all(c.nLayers())));
        }
        return 0;
    }

    private void run(PrintWriter out, Shape s, String what, ExitObjective objective) {
        LlamaConfig c = s.config();
        TrainableModel model = TrainableModel.random(c, 1, true);
        Random rnd = new Random(1);
        int n = s.batchSize() * s.seqLen();
        Batch batch = Batch.of(s.batchSize(), s.seqLen(), rnd.ints(n, 0, c.vocabSize()).toArray(), rnd.ints(n, 0, c.vocabSize()).toArray());
        Iterator<Batch> sameBatch = Stream.generate(() -> batch).iterator();
        var run = new TrainingRun(model, objective, TrainingRun.Settings.defaults().withLearningRate(1e-4)
                .withActivationCheckpointing(checkpointing), warmupSteps + steps);
        List<Double> tokensPerSecond = new ArrayList<>();
        double[] loss = {0};
        System.gc();
        resetPeaks();
        run.train(sameBatch, new TrainingRun.Listener() {
            @Override
            public void stepped(Trainer.StepResult r, double tps) {
                if (r.step() >= warmupSteps) tokensPerSecond.add(tps);
                loss[0] = r.loss();
            }
        });
        // the mean time per step, as tokens per second
        double meanSeconds = tokensPerSecond.stream().mapToDouble(t -> n / t).average().orElseThrow();
        out.printf(Locale.ROOT, "(%s) dim %d, %d layers, vocab %d, B %d x T %d, %-16s %8.0f tok/s  (%.3f s/step, loss %.3f, "
                        + "peak heap %.0f MiB, %.1fM params)%n",
                s.name(), c.dim(), c.nLayers(), c.vocabSize(), s.batchSize(), s.seqLen(), what, n / meanSeconds, meanSeconds, loss[0],
                peakHeapMiB(), model.parameterCount() / 1e6);
    }

    private static void resetPeaks() {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) p.resetPeakUsage();
    }

    /** Sum of the heap pools' peaks since the reset: an upper bound of the peak heap in use. */
    private static double peakHeapMiB() {
        long bytes = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) bytes += p.getPeakUsage().getUsed();
        }
        return bytes / (1024.0 * 1024.0);
    }
}
