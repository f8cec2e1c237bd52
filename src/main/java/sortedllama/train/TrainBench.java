package sortedllama.train;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaConfig;
import sortedllama.model.RopeLayout;
import sortedllama.tensor.Parallel;

/**
 * Times training steps (forward + backward + AdamW) of SFT (last layer) and SoFT (every exit)
 * on random models of two shapes, (a) llama2.c's stories15M and (b) stories260K (both with a
 * tied head), and prints tokens per second and the peak heap. tools/train/bench_torch.py
 * measures the same steps in PyTorch.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx8g \
 *      -cp "target/classes:target/lib/*" sortedllama.train.TrainBench [a|b] [steps] [--checkpoint]
 * </pre>
 */
public final class TrainBench {

    private record Shape(String name, LlamaConfig config, int batchSize, int seqLen) {}

    private static final List<Shape> SHAPES = List.of(
            new Shape("a", new LlamaConfig(288, 768, 6, 6, 6, 48, 32000, 256, 1e-5f, 10000f, null,
                    RopeLayout.INTERLEAVED, 1, 2), 8, 256),
            new Shape("b", new LlamaConfig(64, 172, 5, 8, 4, 8, 512, 256, 1e-5f, 10000f, null,
                    RopeLayout.INTERLEAVED, 1, 2), 32, 256));

    /** Steps before timing: buffers, and the JIT's compilation of kernels that run once per step (AdamW). */
    private static final int WARMUP_STEPS = 5;

    private TrainBench() {}

    public static void main(String[] args) {
        String only = null;
        int steps = 3;
        boolean checkpointing = false;
        for (String a : args) {
            if (a.equals("--checkpoint")) checkpointing = true;
            else if (a.matches("\\d+")) steps = Integer.parseInt(a);
            else only = a;
        }
        System.out.printf("threads %d, %d timed steps after %d warm-up steps, activation checkpointing %s%n",
                Parallel.threads(), steps, WARMUP_STEPS, checkpointing ? "on" : "off");
        for (Shape s : SHAPES) {
            if (only != null && !only.equals(s.name())) continue;
            LlamaConfig c = s.config();
            run(s, "SFT", ExitObjective.lastLayer(c), steps, checkpointing);
            run(s, "SoFT all " + c.nLayers() + " exits", ExitObjective.equal(ExitSet.all(c.nLayers())), steps, checkpointing);
        }
    }

    private static void run(Shape s, String what, ExitObjective objective, int steps, boolean checkpointing) {
        LlamaConfig c = s.config();
        TrainableModel model = TrainableModel.random(c, 1, true);
        Random rnd = new Random(1);
        int n = s.batchSize() * s.seqLen();
        Batch batch = Batch.of(s.batchSize(), s.seqLen(), rnd.ints(n, 0, c.vocabSize()).toArray(),
                rnd.ints(n, 0, c.vocabSize()).toArray());
        Trainer trainer = new Trainer(model, objective, new Trainer.Settings(LrSchedule.constant(1e-4),
                AdamW.Settings.defaults(), 1.0, checkpointing));
        System.gc();
        resetPeaks();
        for (int i = 0; i < WARMUP_STEPS; i++) trainer.step(List.of(batch));
        List<Double> seconds = new ArrayList<>();
        double loss = 0;
        for (int i = 0; i < steps; i++) {
            long t0 = System.nanoTime();
            loss = trainer.step(List.of(batch)).loss();
            seconds.add((System.nanoTime() - t0) / 1e9);
        }
        double mean = seconds.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
        System.out.printf("(%s) dim %d, %d layers, vocab %d, B %d x T %d, %-16s %8.0f tok/s  (%.3f s/step, loss %.3f, "
                        + "peak heap %.0f MiB, %.1fM params)%n",
                s.name(), c.dim(), c.nLayers(), c.vocabSize(), s.batchSize(), s.seqLen(), what, n / mean, mean, loss,
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
