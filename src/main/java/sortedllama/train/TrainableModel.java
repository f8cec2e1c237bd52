package sortedllama.train;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Predicate;
import sortedllama.BadInputException;
import sortedllama.model.LlamaConfig;
import sortedllama.model.LlamaWeights;
import sortedllama.model.TensorNames;
import sortedllama.tensor.DType;
import sortedllama.tensor.Dequantize;
import sortedllama.tensor.Quantize;
import sortedllama.tensor.Tensor;

/**
 * A LLaMA model as float32 {@link Param}s with gradient buffers: built from inference weights of
 * any stored type, or seeded at random, and turned back into {@link LlamaWeights} so that the
 * inference engine runs what was trained. A tied output matrix is one Param serving as embedding and output.
 */
public final class TrainableModel {

    /** One transformer layer; gate/up/down are SwiGLU's w1/w3/w2. */
    public record Layer(Param attnNorm, Param wq, Param wk, Param wv, Param wo,
                        Param ffnNorm, Param gate, Param up, Param down) {
        public List<Param> params() {
            return List.of(attnNorm, wq, wk, wv, wo, ffnNorm, gate, up, down);
        }
    }

    /**
     * An exit's own final RMSNorm and output matrix as trainable parameters (SFT+ICT's intermediate
     * classifiers); {@link LlamaWeights.ExitHeadWeights} holds the same as inference weights, and
     * {@link ExitCrossEntropy} computes an exit's loss through them.
     */
    public record ExitHeadParams(Param norm, Param output) {}

    public final LlamaConfig config;
    public final Param embedding;
    public final Layer[] layers;
    public final Param finalNorm;
    /** The shared output matrix (the LM head): the same Param as {@link #embedding} when tied, until {@link #untieOutput}. */
    private Param output;
    /** Exits with a final norm and output of their own, by exit layer; the other exits share {@link #finalNorm} and {@link #output}. */
    private final SortedMap<Integer, ExitHeadParams> exitHeads = new TreeMap<>();
    /** Llama 3.1's rope_freqs divisors, or null (see {@link sortedllama.model.Rope}). */
    public final float[] ropeFreqDivisors;

    /** One parameter to make: its {@link TensorNames} name, kind and shape. */
    private record Spec(String name, Param.Kind kind, long[] shape) {
        int size() {
            return Math.toIntExact(shape[0] * (shape.length > 1 ? shape[1] : 1));
        }
    }

    /**
     * Lays out the parameters of config {@code c} and makes each with {@code make}: the factories
     * below differ only in where the values come from.
     */
    private TrainableModel(LlamaConfig c, boolean tied, float[] ropeFreqDivisors, Set<Integer> exitHeadLayers, Function<Spec, Param> make) {
        this.config = c;
        this.ropeFreqDivisors = ropeFreqDivisors;
        int d = c.dim(), hid = c.hiddenDim(), q = c.qDim(), kv = c.kvDim();
        // a tied embedding is also the output matrix, so it decays as a matrix (see AdamW)
        this.embedding = make.apply(new Spec(TensorNames.TOKEN_EMBEDDING, tied ? Param.Kind.MATRIX : Param.Kind.EMBEDDING,
                new long[] {c.vocabSize(), d}));
        this.layers = new Layer[c.nLayers()];
        for (int l = 0; l < c.nLayers(); l++) {
            layers[l] = new Layer(
                    make.apply(norm(TensorNames.attnNorm(l), d)),
                    make.apply(matrix(TensorNames.wq(l), q, d)),
                    make.apply(matrix(TensorNames.wk(l), kv, d)),
                    make.apply(matrix(TensorNames.wv(l), kv, d)),
                    make.apply(matrix(TensorNames.wo(l), d, q)),
                    make.apply(norm(TensorNames.ffnNorm(l), d)),
                    make.apply(matrix(TensorNames.gate(l), hid, d)),
                    make.apply(matrix(TensorNames.up(l), hid, d)),
                    make.apply(matrix(TensorNames.down(l), d, hid)));
        }
        this.finalNorm = make.apply(norm(TensorNames.FINAL_NORM, d));
        this.output = tied ? embedding : make.apply(matrix(TensorNames.OUTPUT, c.vocabSize(), d));
        for (int k : exitHeadLayers) {
            c.checkExitLayer(k);
            exitHeads.put(k, new ExitHeadParams(make.apply(norm(TensorNames.exitNorm(k), d)),
                    make.apply(matrix(TensorNames.exitOutput(k), c.vocabSize(), d))));
        }
    }

    private static Spec matrix(String name, int rows, int cols) {
        return new Spec(name, Param.Kind.MATRIX, new long[] {rows, cols});
    }

    private static Spec norm(String name, int size) {
        return new Spec(name, Param.Kind.NORM, new long[] {size});
    }

    /** Float32 copies of inference weights (decoded from whatever type they are stored in). */
    public static TrainableModel fromWeights(LlamaWeights w, float[] ropeFreqDivisors) {
        return new TrainableModel(w.config, w.tiedOutput(), ropeFreqDivisors, w.exitHeads.keySet(), spec -> copyOf(w, spec));
    }

    public static TrainableModel fromWeights(LlamaWeights w) {
        return fromWeights(w, null);
    }

    /**
     * For LoRA: the layers' projection matrices stay the loaded tensors, in their stored type and
     * frozen ({@link Param#storedTensor()}); embedding, norms and output become float32 copies.
     * {@code w}'s memory (e.g. its mapped file) must stay open while the model is used.
     */
    public static TrainableModel withStoredProjections(LlamaWeights w, float[] ropeFreqDivisors) {
        return new TrainableModel(w.config, w.tiedOutput(), ropeFreqDivisors, w.exitHeads.keySet(),
                spec -> spec.name().startsWith("blk.") && spec.kind() == Param.Kind.MATRIX ? stored(w, spec) : copyOf(w, spec));
    }

    private static Param copyOf(LlamaWeights w, Spec spec) {
        float[] norm = w.norms().get(spec.name());
        float[] values = norm != null ? norm.clone() : Dequantize.all(w.matrices().get(spec.name()));
        return new Param(spec.name(), spec.kind(), spec.shape(), values);
    }

    private static Param stored(LlamaWeights w, Spec spec) {
        Tensor kept = w.matrices().get(spec.name());
        if (!Arrays.equals(kept.shape(), spec.shape())) {
            throw new IllegalArgumentException(spec.name() + " is " + kept.shapeString() + ", not " + Arrays.toString(spec.shape()));
        }
        return Param.stored(spec.name(), kept);
    }

    /**
     * A model from named float32 values ({@link TensorNames}' names, row-major), e.g. read from a
     * checkpoint; the arrays are used as they are, not copied. No "output.weight" means tied.
     */
    public static TrainableModel fromValues(LlamaConfig c, Map<String, float[]> values) {
        boolean tied = !values.containsKey(TensorNames.OUTPUT);
        Set<Integer> exitHeadLayers = new TreeSet<>();
        for (String name : values.keySet()) if (TensorNames.exitOf(name) >= 0) exitHeadLayers.add(TensorNames.exitOf(name));
        return new TrainableModel(c, tied, null, exitHeadLayers, spec -> {
            float[] v = values.get(spec.name());
            if (v == null) throw new BadInputException("missing tensor " + spec.name());
            return new Param(spec.name(), spec.kind(), spec.shape(), v);
        });
    }

    /**
     * Seeded random initialisation for pretraining and tests, as GPT-2 and llm.c do: matrices and
     * embedding N(0, 0.02), the projections that write into the residual stream (wo, down) scaled
     * by 1/sqrt(2 L) so that the stream's variance does not grow with depth; norms 1. Each tensor
     * draws from its own generator seeded by (seed, name), so the values do not depend on order.
     */
    public static TrainableModel random(LlamaConfig c, long seed, boolean tiedOutput) {
        double residualStd = 0.02 / Math.sqrt(2.0 * c.nLayers());
        return new TrainableModel(c, tiedOutput, null, Set.of(), spec -> {
            float[] v = new float[spec.size()];
            if (spec.kind() == Param.Kind.NORM) {
                Arrays.fill(v, 1f);
            } else {
                double std = spec.name().endsWith("attn_output.weight") || spec.name().endsWith("ffn_down.weight") ? residualStd : 0.02;
                SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + spec.name().hashCode());
                for (int i = 0; i < v.length; i++) v[i] = (float) (std * rnd.nextGaussian());
            }
            return new Param(spec.name(), spec.kind(), spec.shape(), v);
        });
    }

    /** The shared output matrix (the LM head). */
    public Param output() {
        return output;
    }

    public boolean tied() {
        return output == embedding;
    }

    /**
     * Makes the output matrix a parameter of its own, a copy of the embedding it was tied to, so that
     * it can train while the embedding stays frozen (SFT+ICT with one shared head).
     */
    public void untieOutput() {
        if (!tied()) return;
        output = new Param(TensorNames.OUTPUT, Param.Kind.MATRIX, embedding.shape(), embedding.value().clone());
    }

    /**
     * Gives each of {@code exits} a final norm and output matrix of its own, initialised as copies of the
     * shared ones (SFT+ICT); exits that already have one keep it.
     */
    public void addExitHeads(int[] exits) {
        for (int k : exits) {
            config.checkExitLayer(k);
            if (exitHeads.containsKey(k)) continue;
            exitHeads.put(k, new ExitHeadParams(
                    new Param(TensorNames.exitNorm(k), Param.Kind.NORM, finalNorm.shape(), finalNorm.value().clone()),
                    new Param(TensorNames.exitOutput(k), Param.Kind.MATRIX, output.shape(), output.value().clone())));
        }
    }

    /** The exits with their own head, ascending. */
    public Set<Integer> exitHeadLayers() {
        return Collections.unmodifiableSet(exitHeads.keySet());
    }

    /** Exit {@code k}'s own norm and output matrix, if it has them, else null. */
    public ExitHeadParams exitHead(int k) {
        return exitHeads.get(k);
    }

    /** The final norm exit {@code k} applies: its own or the shared one. */
    Param normFor(int k) {
        ExitHeadParams own = exitHeads.get(k);
        return own == null ? finalNorm : own.norm();
    }

    /** The output matrix exit {@code k} applies: its own or the shared one. */
    Param outputFor(int k) {
        ExitHeadParams own = exitHeads.get(k);
        return own == null ? output : own.output();
    }

    /** Every parameter once (a tied embedding-head once), in the order of a model file. */
    public List<Param> params() {
        List<Param> all = new ArrayList<>();
        all.add(embedding);
        for (Layer layer : layers) all.addAll(layer.params());
        all.add(finalNorm);
        if (!tied()) all.add(output);
        for (ExitHeadParams own : exitHeads.values()) {
            all.add(own.norm());
            all.add(own.output());
        }
        return all;
    }

    public Param param(String name) {
        for (Param p : params()) if (p.name().equals(name)) return p;
        throw new BadInputException("the model has no parameter " + name);
    }

    public void zeroGrads() {
        for (Param p : params()) p.zeroGrad();
        for (Param p : adapterParams()) p.zeroGrad();
    }

    /** The LoRA adapters' A and B of every projection that has one (see {@link LoraConfig#attach}), layer by layer; empty without LoRA. */
    public List<Param> adapterParams() {
        List<Param> all = new ArrayList<>();
        for (Layer layer : layers) {
            for (Param p : layer.params()) {
                if (p.adapter() != null) {
                    all.add(p.adapter().a());
                    all.add(p.adapter().b());
                }
            }
        }
        return all;
    }

    /** What the optimizer updates and a checkpoint holds: the adapters under LoRA (the base is frozen), else every parameter. */
    public List<Param> trainingParams() {
        List<Param> adapters = adapterParams();
        return adapters.isEmpty() ? params() : adapters;
    }

    /** Trains exactly the parameters {@code which} accepts and freezes the rest. */
    public void setTrainable(Predicate<Param> which) {
        for (Param p : params()) p.setTrainable(which.test(p));
    }

    public long parameterCount() {
        long n = 0;
        for (Param p : params()) n += p.size();
        return n;
    }

    /**
     * The lowest layer (0-based) whose backward pass is needed: the one with the lowest trainable
     * parameter, 0 when the embedding trains, {@code nLayers} when no layer trains (only the
     * final norm and head: the backward pass then stops at the exits).
     */
    int lowestLayerNeedingGradient() {
        if (embedding.trainable()) return 0;
        for (int l = 0; l < layers.length; l++) {
            for (Param p : layers[l].params()) if (p.needsGradient()) return l;
        }
        return layers.length;
    }

    /**
     * The model as inference weights: float32 tensors allocated in {@code arena}, copies of the
     * values; a projection with a LoRA adapter merged (W + s·B·A, float32), a stored one without
     * an adapter passed on as the tensor it is.
     */
    public LlamaWeights toWeights(Arena arena) {
        LlamaWeights.Layer[] out = new LlamaWeights.Layer[layers.length];
        for (int l = 0; l < layers.length; l++) {
            Layer x = layers[l];
            out[l] = new LlamaWeights.Layer(x.attnNorm().value().clone(), tensor(x.wq(), arena), tensor(x.wk(), arena),
                    tensor(x.wv(), arena), tensor(x.wo(), arena), x.ffnNorm().value().clone(),
                    tensor(x.gate(), arena), tensor(x.up(), arena), tensor(x.down(), arena));
        }
        Tensor emb = tensor(embedding, arena);
        SortedMap<Integer, LlamaWeights.ExitHeadWeights> heads = new TreeMap<>();
        exitHeads.forEach((k, own) -> heads.put(k, new LlamaWeights.ExitHeadWeights(own.norm().value().clone(), tensor(own.output(), arena))));
        return new LlamaWeights(config, emb, out, finalNorm.value().clone(), tied() ? emb : tensor(output, arena), heads);
    }

    private static Tensor tensor(Param p, Arena arena) {
        if (p.adapter() != null) {
            float[] merged = p.storedTensor() != null ? StoredMatrix.decodeAll(p.storedTensor()) : p.value().clone();
            p.adapter().addTo(merged);
            return Quantize.tensor(p.name(), DType.F32, p.shape(), merged, arena);
        }
        if (p.storedTensor() != null) return p.storedTensor();
        return Quantize.tensor(p.name(), DType.F32, p.shape(), p.value(), arena);
    }
}
