package sortedllama.train;

import java.util.Arrays;
import sortedllama.model.LlamaConfig;

/**
 * Forward and backward of the exit objective over one batch: the heart of Sorted Fine-Tuning.
 *
 * <p>Forward: embeddings, then layers 1..k_n (the deepest exit), keeping the residual stream
 * after every layer; then every exit's head forward and backward as far as its final norm, the
 * exits sharing a head in one product ({@link ExitCrossEntropy}). Backward: walk the layers down
 * from k_n with dx = dLoss/d(residual); on reaching an exit k_i, add w_i * dCE_i/dh_{k_i} into
 * dx. So every exit's gradient flows through the shared trunk in one pass, and the head and
 * final norm, shared by all exits, sum their gradients over the exits.
 * Standard fine-tuning is the objective with the single exit L.
 *
 * <p>Frozen parameters get no gradient; layers below the lowest trainable parameter are not
 * walked at all (only the heads train: no trunk backward). With activation checkpointing, only
 * the residual stream is kept per layer and each layer's internals are recomputed from it during
 * the backward, into one shared set of buffers: one layer's activations instead of L.
 *
 * <p>The matrix products run in the pass's {@link Precision} (bound for {@link Gemm} around each call);
 * everything else is float32.
 *
 * <p>Gradients are added into the Params' buffers (zero them first; see {@link Trainer}).
 * Buffers are allocated for the first batch shape and kept while the shape stays the same.
 */
public final class TrainingPass {
    private final TrainableModel model;
    private final boolean checkpointing;
    /** The exit heads' logits buffer in floats ({@link ExitCrossEntropy}). */
    private final int headChunkFloats;
    private final Precision precision;
    private Buffers buffers;

    public TrainingPass(TrainableModel model, boolean checkpointing) {
        this(model, checkpointing, Precision.F32);
    }

    public TrainingPass(TrainableModel model, boolean checkpointing, Precision precision) {
        this(model, checkpointing, precision, ExitCrossEntropy.CHUNK_FLOATS);
    }

    /** With the exit heads' logits in chunks of {@code headChunkFloats} floats (tests try small ones). */
    TrainingPass(TrainableModel model, boolean checkpointing, Precision precision, int headChunkFloats) {
        precision.requireAvailable();
        this.model = model;
        this.checkpointing = checkpointing;
        this.precision = precision;
        this.headChunkFloats = headChunkFloats;
    }

    /** All buffers of one (B, T) shape. */
    private static final class Buffers {
        final int batchSize, seqLen;
        /** residual[l]: the residual stream after l layers ([B*T, dim]); residual[0] the embeddings. */
        final float[][] residual;
        /** Per layer, or a single shared one when checkpointing. */
        final LayerActivations[] acts;
        final LayerGradients grads;
        final ExitCrossEntropy exitLoss;
        final float[] dx, recomputed;
        final Rotary rotary;

        Buffers(TrainableModel m, boolean checkpointing, int headChunkFloats, int batchSize, int seqLen) {
            LlamaConfig c = m.config;
            int n = batchSize * seqLen, layers = c.nLayers();
            this.batchSize = batchSize;
            this.seqLen = seqLen;
            residual = new float[layers + 1][n * c.dim()];
            acts = new LayerActivations[checkpointing ? 1 : layers];
            for (int l = 0; l < acts.length; l++) acts[l] = new LayerActivations(c, batchSize, seqLen);
            grads = new LayerGradients(c, n);
            exitLoss = new ExitCrossEntropy(c, n, headChunkFloats);
            dx = new float[n * c.dim()];
            recomputed = checkpointing ? new float[n * c.dim()] : null;
            rotary = new Rotary(c, m.ropeFreqDivisors, seqLen);
        }

        LayerActivations of(int layer) {
            return acts[acts.length == 1 ? 0 : layer];
        }
    }

    private Buffers buffersFor(Batch batch) {
        if (buffers == null || buffers.batchSize != batch.batchSize() || buffers.seqLen != batch.seqLen()) {
            buffers = null; // let the old ones go before allocating
            buffers = new Buffers(model, checkpointing, headChunkFloats, batch.batchSize(), batch.seqLen());
        }
        return buffers;
    }

    /**
     * Adds {@code gradScale} times the gradient of the objective to every trainable Param's
     * gradient (gradScale = 1 / micro-batches under accumulation) and returns the losses.
     */
    public ExitLosses forwardBackward(Batch batch, ExitObjective objective, float gradScale) {
        return inPrecision(() -> run(batch, objective, gradScale, true));
    }

    /** The losses alone: no gradients. */
    public ExitLosses evaluate(Batch batch, ExitObjective objective) {
        return inPrecision(() -> run(batch, objective, 0f, false));
    }

    /**
     * The exit heads' buffers, in bytes: the one chunk of logits all exits share, and what each exit
     * keeps between its forward and backward ({@link ExitCrossEntropy}).
     */
    public record HeadBuffers(long logitsBytes, long bytesPerExit) {}

    /** The exit heads' buffers of the last batch shape (zeros before the first pass). */
    public HeadBuffers headBuffers() {
        return buffers == null ? new HeadBuffers(0, 0) : new HeadBuffers(buffers.exitLoss.logitsBytes(), buffers.exitLoss.bytesPerExit());
    }

    /** Logits [B*T, vocab] at exit {@code exit} (1-based), for evaluation and tests. */
    public float[] logits(Batch batch, int exit) {
        model.config.checkExitLayer(exit);
        return inPrecision(() -> {
            forward(batch, exit);
            return buffers.exitLoss.logits(model, exit, buffers.residual[exit]);
        });
    }

    private <T> T inPrecision(ScopedValue.CallableOp<T, RuntimeException> work) {
        return ScopedValue.where(Gemm.PRECISION, precision).call(work);
    }

    private BatchLayout forward(Batch batch, int layers) {
        LlamaConfig c = model.config;
        batch.validate(c);
        Buffers b = buffersFor(batch);
        BatchLayout layout = BatchLayout.of(batch, c, b.rotary);
        Embedding.forward(b.residual[0], model.embedding.value(), batch.tokens(), c.dim());
        for (int l = 0; l < layers; l++) {
            TransformerLayer.forward(model.layers[l], b.residual[l], b.residual[l + 1], b.of(l), layout);
        }
        return layout;
    }

    private ExitLosses run(Batch batch, ExitObjective objective, float gradScale, boolean backward) {
        objective.check(model.config);
        int[] exits = objective.exits();
        BatchLayout layout = forward(batch, objective.deepest());
        Buffers b = buffers;
        // every exit's head at once (the head's own gradient too); each exit's gradient w.r.t. its stream joins dx below
        double[] perExit = b.exitLoss.run(model, objective, b.residual, batch, gradScale, backward);
        int lowest = backward ? model.lowestLayerNeedingGradient() : Integer.MAX_VALUE;
        Arrays.fill(b.dx, 0f);
        int e = exits.length - 1;
        for (int l = objective.deepest(); l >= 1; l--) {
            boolean walkLayer = l - 1 >= lowest; // does layer l (1-based) need its backward?
            if (e >= 0 && exits[e] == l) {
                if (backward) b.exitLoss.backward(model, e, l, b.residual[l], walkLayer ? b.dx : null);
                e--;
            }
            if (!walkLayer) continue;
            LayerActivations a = b.of(l - 1);
            if (checkpointing && l != objective.deepest()) { // the deepest layer's are still there from the forward
                TransformerLayer.forward(model.layers[l - 1], b.residual[l - 1], b.recomputed, a, layout);
            }
            TransformerLayer.backward(model.layers[l - 1], b.residual[l - 1], a, b.dx, b.grads, layout);
        }
        if (backward && model.embedding.trainable()) {
            Embedding.backward(model.embedding.grad(), b.dx, batch.tokens(), model.config.dim());
        }
        double loss = 0;
        for (int i = 0; i < exits.length; i++) loss += objective.weights()[i] * perExit[i];
        return new ExitLosses(loss, perExit);
    }
}
