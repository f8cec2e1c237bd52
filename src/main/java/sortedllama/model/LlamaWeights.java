package sortedllama.model;

import static sortedllama.model.TensorNames.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import sortedllama.BadInputException;
import sortedllama.tensor.DType;
import sortedllama.tensor.Dequantize;
import sortedllama.tensor.Parallel;
import sortedllama.tensor.Quantize;
import sortedllama.tensor.Tensor;

/**
 * All weights of a LLaMA model, checked against its config. Matrices stay where the loader put
 * them (usually a memory-mapped file, in the stored type); the small norm vectors become floats.
 */
public final class LlamaWeights {

    /** One transformer layer. gate/up/down are SwiGLU's w1/w3/w2. */
    public record Layer(float[] attnNorm, Tensor wq, Tensor wk, Tensor wv, Tensor wo,
                        float[] ffnNorm, Tensor gate, Tensor up, Tensor down) {}

    public final LlamaConfig config;
    public final Tensor tokenEmbedding;
    public final Layer[] layers;
    public final float[] finalNorm;
    /** The shared LM head; the same tensor as the embedding when the model ties them. */
    public final Tensor output;
    /**
     * Exits with a head (final norm and output matrix) of their own (an SFT+ICT model's intermediate classifiers),
     * by exit layer; every other exit uses the shared {@link #finalNorm} and {@link #output}.
     */
    public final SortedMap<Integer, ExitHeadWeights> exitHeads;

    /**
     * An exit's own head as inference weights: its final RMSNorm weights and output matrix
     * (train.TrainableModel.ExitHeadParams holds the same as trainable parameters).
     */
    public record ExitHeadWeights(float[] norm, Tensor output) {}

    public LlamaWeights(LlamaConfig config, Tensor tokenEmbedding, Layer[] layers, float[] finalNorm, Tensor output) {
        this(config, tokenEmbedding, layers, finalNorm, output, Collections.emptySortedMap());
    }

    public LlamaWeights(LlamaConfig config, Tensor tokenEmbedding, Layer[] layers, float[] finalNorm, Tensor output,
                        SortedMap<Integer, ExitHeadWeights> exitHeads) {
        this.config = config;
        this.tokenEmbedding = tokenEmbedding;
        this.layers = layers;
        this.finalNorm = finalNorm;
        this.output = output;
        this.exitHeads = Collections.unmodifiableSortedMap(new TreeMap<>(exitHeads));
        for (int k : exitHeads.keySet()) config.checkExitLayer(k);
    }

    public boolean tiedOutput() {
        return output == tokenEmbedding;
    }

    /** The final norm that exit {@code k} applies: its own if it has one, else the shared one. */
    public float[] normFor(int k) {
        ExitHeadWeights own = exitHeads.get(k);
        return own == null ? finalNorm : own.norm();
    }

    /** The head that exit {@code k} applies: its own if it has one, else the shared one. */
    public Tensor outputFor(int k) {
        ExitHeadWeights own = exitHeads.get(k);
        return own == null ? output : own.output();
    }

    /**
     * The standalone model of exit {@code k}: layers 1..k and exit k's final norm and head (its own,
     * under SFT+ICT: the head it was tuned with), config nLayers = k. Shares the tensors.
     */
    public LlamaWeights subModel(int k) {
        LlamaConfig c = config;
        c.checkExitLayer(k);
        LlamaConfig sub = new LlamaConfig(c.dim(), c.hiddenDim(), k, c.nHeads(), c.nKvHeads(), c.headDim(), c.vocabSize(),
                c.contextLength(), c.normEps(), c.ropeTheta(), c.ropeScaling(), c.ropeLayout(), c.bosId(), c.eosId());
        return new LlamaWeights(sub, tokenEmbedding, Arrays.copyOf(layers, k), normFor(k), outputFor(k));
    }

    /**
     * Every weight matrix under its {@link TensorNames} name (the head only when not tied, then the
     * exits' own heads), in the order of a model file.
     */
    public Map<String, Tensor> matrices() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put(TOKEN_EMBEDDING, tokenEmbedding);
        if (!tiedOutput()) m.put(OUTPUT, output);
        for (int l = 0; l < layers.length; l++) {
            Layer x = layers[l];
            m.put(wq(l), x.wq());
            m.put(wk(l), x.wk());
            m.put(wv(l), x.wv());
            m.put(wo(l), x.wo());
            m.put(gate(l), x.gate());
            m.put(up(l), x.up());
            m.put(down(l), x.down());
        }
        exitHeads.forEach((k, h) -> m.put(exitOutput(k), h.output()));
        return m;
    }

    /** Every norm vector under its {@link TensorNames} name, in the order of a model file. */
    public Map<String, float[]> norms() {
        Map<String, float[]> m = new LinkedHashMap<>();
        m.put(FINAL_NORM, finalNorm);
        for (int l = 0; l < layers.length; l++) {
            m.put(attnNorm(l), layers[l].attnNorm());
            m.put(ffnNorm(l), layers[l].ffnNorm());
        }
        exitHeads.forEach((k, h) -> m.put(exitNorm(k), h.norm()));
        return m;
    }

    /**
     * A copy with every matrix stored as {@code type} (e.g. Q8_0 for faster decoding), allocated in
     * {@code arena}; norms stay float32 and a tied head stays tied. 256-value block types fall back
     * as {@link QuantRecipe} says for matrices whose rows they cannot hold.
     */
    public LlamaWeights convertMatrices(DType type, Arena arena) {
        return convertMatrices(QuantRecipe.of(type), arena);
    }

    /**
     * A copy with each matrix stored as {@code recipe} chooses for its role (llama.cpp's Q4_K_M and
     * Q5_K_M mixes, or one type for all), allocated in {@code arena}; norms stay float32 and a tied
     * head stays tied (the embedding then gets the head's type, as in llama.cpp).
     */
    public LlamaWeights convertMatrices(QuantRecipe recipe, Arena arena) {
        int n = layers.length;
        Layer[] converted = new Layer[n];
        for (int l = 0; l < n; l++) {
            Layer x = layers[l];
            converted[l] = new Layer(x.attnNorm(), convert(x.wq(), recipe, QuantRecipe.Role.OTHER, l, arena),
                    convert(x.wk(), recipe, QuantRecipe.Role.OTHER, l, arena), convert(x.wv(), recipe, QuantRecipe.Role.ATTN_V, l, arena),
                    convert(x.wo(), recipe, QuantRecipe.Role.OTHER, l, arena), x.ffnNorm(),
                    convert(x.gate(), recipe, QuantRecipe.Role.OTHER, l, arena), convert(x.up(), recipe, QuantRecipe.Role.OTHER, l, arena),
                    convert(x.down(), recipe, QuantRecipe.Role.FFN_DOWN, l, arena));
        }
        Tensor embedding = convert(tokenEmbedding, recipe, tiedOutput() ? QuantRecipe.Role.HEAD : QuantRecipe.Role.EMBEDDING, -1, arena);
        Tensor head = tiedOutput() ? embedding : convert(output, recipe, QuantRecipe.Role.HEAD, -1, arena);
        SortedMap<Integer, ExitHeadWeights> heads = new TreeMap<>();
        exitHeads.forEach((k, h) -> heads.put(k, new ExitHeadWeights(h.norm(), convert(h.output(), recipe, QuantRecipe.Role.HEAD, -1, arena))));
        return new LlamaWeights(config, embedding, converted, finalNorm, head, heads);
    }

    private Tensor convert(Tensor t, QuantRecipe recipe, QuantRecipe.Role role, int layer, Arena arena) {
        return convert(t, recipe.typeFor(role, layer, layers.length, t.cols()), arena);
    }

    /** A thread that is not the caller (never started): memory it may access, worker threads may too. */
    private static final Thread OTHER_THREAD = new Thread(() -> {});

    private static Tensor convert(Tensor t, DType type, Arena arena) {
        if (t.type() == type) return t;
        if (!Quantize.canEncode(type)) throw new BadInputException("cannot convert " + t.name() + " to " + type + ": it can be read, not written");
        if (type.isQuantized() && t.cols() % type.blockSize != 0) {
            throw new BadInputException("cannot store " + t.name() + " " + t.shapeString() + " as " + type
                    + ": rows must be a multiple of " + type.blockSize + " values");
        }
        MemorySegment seg = arena.allocate(type.bytesFor(t.elementCount()), 64);
        long rowBytes = type.bytesFor(t.cols());
        Parallel.RangeBody rows = (from, to) -> {
            float[] row = new float[t.cols()];
            for (int r = from; r < to; r++) {
                Dequantize.row(t, r, row, 0);
                Quantize.encode(type, row, seg.asSlice(r * rowBytes, rowBytes));
            }
        };
        // rows are independent, and the K types' scale search makes them worth the threads, but
        // memory of a confined arena can only be touched by its own thread
        if (t.data().isAccessibleBy(OTHER_THREAD) && seg.isAccessibleBy(OTHER_THREAD)) Parallel.forRange(t.rows(), 16, rows);
        else rows.run(0, t.rows());
        return new Tensor(t.name(), type, t.shape(), seg);
    }

    /**
     * Builds the weights from tensors keyed by {@link TensorNames}; {@code source} names the file in errors.
     * A missing {@code output.weight} means the head is tied to the embedding.
     */
    public static LlamaWeights fromTensors(LlamaConfig c, Map<String, Tensor> tensors, String source) {
        var check = new Checker(tensors, source);
        Tensor embedding = check.matrix(TOKEN_EMBEDDING, c.vocabSize(), c.dim());
        Layer[] layers = new Layer[c.nLayers()];
        for (int l = 0; l < c.nLayers(); l++) {
            layers[l] = new Layer(
                    check.vector(attnNorm(l), c.dim()),
                    check.matrix(wq(l), c.qDim(), c.dim()),
                    check.matrix(wk(l), c.kvDim(), c.dim()),
                    check.matrix(wv(l), c.kvDim(), c.dim()),
                    check.matrix(wo(l), c.dim(), c.qDim()),
                    check.vector(ffnNorm(l), c.dim()),
                    check.matrix(gate(l), c.hiddenDim(), c.dim()),
                    check.matrix(up(l), c.hiddenDim(), c.dim()),
                    check.matrix(down(l), c.dim(), c.hiddenDim()));
        }
        float[] finalNorm = check.vector(FINAL_NORM, c.dim());
        Tensor output = tensors.containsKey(OUTPUT) ? check.matrix(OUTPUT, c.vocabSize(), c.dim()) : embedding;
        SortedMap<Integer, ExitHeadWeights> exitHeads = new TreeMap<>();
        for (String name : tensors.keySet()) {
            int k = exitOf(name);
            if (k < 0 || exitHeads.containsKey(k)) continue;
            if (k < 1 || k > c.nLayers()) {
                throw new BadInputException(source + ": tensor " + name + " is the head of exit " + k
                        + ", but the model has layers 1.." + c.nLayers());
            }
            exitHeads.put(k, new ExitHeadWeights(check.vector(exitNorm(k), c.dim()), check.matrix(exitOutput(k), c.vocabSize(), c.dim())));
        }
        return new LlamaWeights(c, embedding, layers, finalNorm, output, exitHeads);
    }

    private record Checker(Map<String, Tensor> tensors, String source) {
        Tensor get(String name) {
            Tensor t = tensors.get(name);
            if (t == null) throw new BadInputException(source + ": missing tensor " + name);
            return t;
        }

        Tensor matrix(String name, int rows, int cols) {
            Tensor t = get(name);
            expectShape(t, new long[] {rows, cols});
            return t;
        }

        float[] vector(String name, int size) {
            Tensor t = get(name);
            expectShape(t, new long[] {size});
            return Dequantize.all(t);
        }

        void expectShape(Tensor t, long[] expected) {
            if (!Arrays.equals(t.shape(), expected)) {
                throw new BadInputException(source + ": tensor " + t.name() + " has shape " + t.shapeString()
                        + " but the model config needs " + Arrays.toString(expected));
            }
        }
    }
}
