package sortedllama.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;
import sortedllama.BadInputException;
import sortedllama.tensor.DType;
import sortedllama.tensor.Dequantize;
import sortedllama.tensor.Matmul;
import sortedllama.tensor.Ops;
import sortedllama.tensor.Parallel;
import sortedllama.tensor.Tensor;
import sortedllama.tensor.Vec;

/**
 * The LLaMA forward pass with an exit: run the first k layers, then the model's own final
 * RMSNorm and its shared head. Any number of new tokens go through in one batched pass
 * (prompt prefill, speculative verification); one token is the decoding step.
 */
public final class LlamaModel {
    private final LlamaConfig c;
    private final LlamaWeights w;
    private final Rope rope;
    private final DType kvCacheType;
    /**
     * Each thread's scratch for {@link #step}, grown to the largest pass it has run and kept: a pass's row count
     * changes from step to step, and new arrays for every pass (its layers' buffers, the rows gathered per layer,
     * the exit's logits) left the products writing into memory just handed out. On the AMD EPYC, products into a
     * new output array per call took 1.98 ms against 1.60 ms into a reused one (40 matrices of 2048 x 768 Q8_0,
     * 8 vectors, heap pre-touched; a throwaway driver, mean of 300 passes).
     */
    private final ThreadLocal<StepBuffers> stepBuffers = new ThreadLocal<>();

    public LlamaModel(LlamaWeights weights, float[] ropeFreqDivisors) {
        this(weights, new Rope(weights.config, ropeFreqDivisors), DType.F32);
    }

    private LlamaModel(LlamaWeights weights, Rope rope, DType kvCacheType) {
        this.w = weights;
        this.c = weights.config;
        this.rope = rope;
        this.kvCacheType = kvCacheType;
    }

    public LlamaModel(LlamaWeights weights) {
        this(weights, null);
    }

    public LlamaConfig config() {
        return c;
    }

    public LlamaWeights weights() {
        return w;
    }

    /** A cache for {@code capacity} positions, in the type this model keeps its caches in. */
    public KVCache newCache(int capacity) {
        return new KVCache(c, capacity, kvCacheType);
    }

    /** The type new caches store keys and values in: F32 (the default) or BF16 ({@link KVCache}). */
    public DType kvCacheType() {
        return kvCacheType;
    }

    /** This model (the same weights) with its caches in {@code type}: F32, BF16 or Q8_0 (these two for a head dimension that is a multiple of 32). */
    public LlamaModel withKvCache(DType type) {
        KVCache.checkType(c, type);
        return new LlamaModel(w, rope, type);
    }

    /**
     * Whether a position's keys and values have the same bits however the positions are split into
     * passes (a prompt fed whole, in chunks, or after a prefix copied from another cache): true when
     * every layer's products do ({@link Matmul#invariantAtAnyCount}); attention, norms and RoPE work
     * row by row anyway. Then the keys and values another prompt computed for the same first tokens
     * serve this one exactly.
     */
    public boolean splitInvariant() {
        for (LlamaWeights.Layer layer : w.layers) {
            for (Tensor m : new Tensor[] {layer.wq(), layer.wk(), layer.wv(), layer.wo(), layer.gate(), layer.up(), layer.down()}) {
                if (!Matmul.invariantAtAnyCount(m)) return false;
            }
        }
        return true;
    }

    /**
     * Feeds {@code tokens} at positions cache.length() .. +T-1 through layers 1..exitLayer and
     * returns the logits of the last token ({@code vocab} values), or of every token
     * ({@code T * vocab}, token-major) when {@code allLogits}.
     */
    public float[] forward(KVCache cache, int[] tokens, int exitLayer, boolean allLogits) {
        float[] x = embed(tokens);
        int pos0 = cache.length();
        runLayers(cache, x, tokens.length, pos0, 0, exitLayer);
        cache.advanceTo(pos0 + tokens.length);
        return logits(x, tokens.length, allLogits, exitLayer);
    }

    /** Embedding rows of the tokens, one after another. */
    public float[] embed(int[] tokens) {
        float[] x = new float[tokens.length * c.dim()];
        for (int t = 0; t < tokens.length; t++) {
            int id = tokens[t];
            if (id < 0 || id >= c.vocabSize()) {
                throw new BadInputException("token id " + id + " is outside the model's vocabulary 0.." + (c.vocabSize() - 1));
            }
            Dequantize.row(w.tokenEmbedding, id, x, t * c.dim());
        }
        return x;
    }

    /**
     * Runs layers {@code fromLayer} .. {@code toLayer - 1} (0-based) on the hidden states {@code x}
     * of T tokens at positions pos0.., updating x in place and storing their keys and values.
     */
    public void runLayers(KVCache cache, float[] x, int T, int pos0, int fromLayer, int toLayer) {
        c.checkExitLayer(toLayer);
        var spans = new Span[] {span(cache, 0, T, pos0)};
        var buf = new LayerBuffers(c, T);
        float[] cosSin = angles(pos0, pos0 + T);
        for (int l = fromLayer; l < toLayer; l++) layer(l, spans, 1, x, T, buf, cosSin, Matmul.Regime.AUTO);
    }

    /**
     * One decoding step of several sequences at once, each to its own depth: token i goes at
     * position {@code caches[i].length()} of its own cache through layers 1..{@code exits[i]}, and
     * gets that exit's logits ({@link #step} with one new position per sequence).
     */
    public float[][] decodeStep(KVCache[] caches, int[] tokens, int[] exits) {
        int n = tokens.length;
        float[][] logits = new float[n][];
        List<StepSequence> sequences = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            c.checkExitLayer(exits[i]);
            int index = i;
            KVCache cache = caches[i];
            int pos = cache.length(), exit = exits[i];
            float[] state = embed(new int[] {tokens[i]});
            sequences.add(new StepSequence() {
                public KVCache cache() { return cache; }
                public int end() { return pos + 1; }
                public float[] states() { return state; }
                public int statesFrom() { return pos; }
                public int logitsAt(int e) { return e == exit ? 1 : 0; }
                public boolean exitWith(int e, float[] out) {
                    logits[index] = out;
                    return true;
                }
            });
        }
        step(sequences);
        return logits;
    }

    /**
     * One batched pass of several sequences, each running its own positions through its own layers
     * ({@link StepSequence}): at each layer the rows of every sequence still in the pass are
     * gathered, so each weight row is read once for all of them; attention runs per sequence over
     * its own cache. After each layer, the sequences that want that exit's logits leave or wait to
     * decide ({@link PendingLogits}): the logits are computed when the pass needs them, in one product
     * for all the exits that share a head. The products stay in {@link Matmul}'s batch-invariant regime
     * whatever the batch size (ROW_REUSE: per-row kernels, or AMX tiles where they give the same bits),
     * so each position's states and logits have the bits they have when it runs alone. Each cache
     * advances to its sequence's end.
     */
    public void step(List<? extends StepSequence> sequences) {
        int dim = c.dim(), headDim = c.headDim();
        List<StepSequence> active = new ArrayList<>(sequences);
        // cos and sin of each sequence's positions statesFrom..end-1, made once per pass: computed per
        // layer, they were a serial share of a batched step (64 sines and cosines a row)
        Map<StepSequence, float[]> angles = new IdentityHashMap<>();
        var pending = new PendingLogits(w, this::stepLogits);
        for (int l = 0; l < c.nLayers() && !active.isEmpty(); l++) {
            var spans = new Span[active.size()];
            var owners = new StepSequence[active.size()];
            int n = 0, rows = 0;
            for (StepSequence s : active) {
                int from = s.cache().filled(l), count = s.end() - from;
                if (count <= 0) continue;
                if (from < s.statesFrom()) {
                    throw new IllegalStateException("layer " + (l + 1) + " needs the state of position " + from
                            + ", the sequence keeps them from " + s.statesFrom() + ": " + s.cache());
                }
                owners[n] = s;
                spans[n++] = span(s.cache(), rows, count, from);
                rows += count;
            }
            if (n > 0) {
                StepBuffers buf = stepBuffers(rows);
                float[] x = buf.states, cosSin = buf.angles;
                for (int i = 0; i < n; i++) {
                    Span sp = spans[i];
                    StepSequence s = owners[i];
                    System.arraycopy(s.states(), (sp.pos0 - s.statesFrom()) * dim, x, sp.row0 * dim, sp.count * dim);
                    float[] own = angles.computeIfAbsent(s, q -> angles(q.statesFrom(), q.end()));
                    System.arraycopy(own, (sp.pos0 - s.statesFrom()) * headDim, cosSin, sp.row0 * headDim, sp.count * headDim);
                }
                layer(l, spans, n, x, rows, buf.layer, cosSin, Matmul.Regime.ROW_REUSE);
                for (int i = 0; i < n; i++) {
                    Span sp = spans[i];
                    System.arraycopy(x, sp.row0 * dim, owners[i].states(), (sp.pos0 - owners[i].statesFrom()) * dim, sp.count * dim);
                }
            }
            if (pending.collect(l + 1, active)) pending.flush(active);
        }
        if (!active.isEmpty()) throw new IllegalStateException(active.size() + " sequences did not leave at the last layer");
        for (StepSequence s : sequences) s.cache().advanceTo(Math.max(s.cache().length(), s.end()));
    }

    /** {@link Rope#angles} of positions from .. to-1, one after another. */
    private float[] angles(int from, int to) {
        float[] cosSin = new float[(to - from) * c.headDim()];
        for (int p = from; p < to; p++) rope.angles(p, cosSin, (p - from) * c.headDim());
        return cosSin;
    }

    /** This thread's {@link StepBuffers}, grown to take {@code rows} rows (at least doubled, so that it grows a few times at most). */
    private StepBuffers stepBuffers(int rows) {
        StepBuffers b = stepBuffers.get();
        if (b == null || b.rows < rows) stepBuffers.set(b = new StepBuffers(c, Math.max(rows, b == null ? 0 : 2 * b.rows)));
        return b;
    }

    /** {@link PendingLogits.Head} of {@link #step}: the n rows' logits at exit {@code exit}, in this thread's scratch. */
    private float[] stepLogits(int exit, float[] x, int n) {
        StepBuffers buf = stepBuffers(n);
        float[] out = buf.logits(n, c.vocabSize());
        // the layer buffers' normed is free between layers
        head(x, n, exit, buf.layer.normed, out, Matmul.Regime.ROW_REUSE);
        return out;
    }

    /** Positions pos0.. of one sequence's cache, fed as rows row0.. of a pass's hidden states. */
    private record Span(KVCache cache, int row0, int count, int pos0) {}

    private Span span(KVCache cache, int row0, int count, int pos0) {
        if (pos0 + count > cache.capacity) {
            throw new BadInputException("sequence of " + (pos0 + count) + " tokens exceeds the KV cache of " + cache.capacity);
        }
        return new Span(cache, row0, count, pos0);
    }

    /** Layer l on the T rows of x that belong to the first {@code spanCount} spans. */
    private void layer(int l, Span[] spans, int spanCount, float[] x, int T, LayerBuffers buf, float[] cosSin, Matmul.Regime regime) {
        for (int s = 0; s < spanCount; s++) {
            KVCache cache = spans[s].cache;
            if (cache.filled(l) != spans[s].pos0) {
                throw new IllegalStateException("layer " + (l + 1) + " has keys for " + cache.filled(l)
                        + " positions, expected " + spans[s].pos0 + ": " + cache);
            }
        }
        attention(l, spans, spanCount, x, T, buf, cosSin, regime);
        feedForward(l, x, T, buf, regime);
        for (int s = 0; s < spanCount; s++) spans[s].cache.markFilled(l, spans[s].pos0 + spans[s].count);
    }

    /**
     * Fills layers {@code fromLayer}.. (0-based) of position {@code pos} with keys and values
     * projected from one hidden state {@code x} taken at an earlier exit, without running those
     * layers: CALM's state propagation for tokens that left early. Costs the K and V projections
     * (2 of a layer's 7 matrices) per layer, and is an approximation: later tokens see keys that
     * the full model would have computed from deeper states.
     */
    public void propagateState(KVCache cache, float[] x, int pos, int fromLayer) {
        int kvDim = c.kvDim();
        float[] normed = new float[c.dim()], k = new float[kvDim], v = new float[kvDim], cosSin = new float[c.headDim()];
        rope.angles(pos, cosSin, 0);
        for (int l = fromLayer; l < c.nLayers(); l++) {
            if (cache.filled(l) != pos) {
                throw new IllegalStateException("layer " + (l + 1) + " is not filled up to position " + pos + ": " + cache);
            }
            LlamaWeights.Layer layer = w.layers[l];
            Ops.rmsNorm(normed, null, x, layer.attnNorm(), 1, c.normEps(), Vec.SumOrder.TREE);
            Matmul.apply(layer.wk(), normed, 1, k);
            Matmul.apply(layer.wv(), normed, 1, v);
            rope.rotate(k, 0, c.nKvHeads(), cosSin, 0);
            cache.store(l, pos, k, v, 0);
            cache.markFilled(l, pos + 1);
        }
    }

    /**
     * Exit {@code exit}'s final RMSNorm and head (the shared ones unless the exit has its own), for
     * the last token or for every token of the hidden states {@code x}.
     */
    public float[] logits(float[] x, int T, boolean allLogits, int exit) {
        int dim = c.dim();
        int n = allLogits ? T : 1;
        float[] last = allLogits ? x : Arrays.copyOfRange(x, (T - 1) * dim, T * dim);
        float[] out = new float[n * c.vocabSize()];
        head(last, n, exit, new float[n * dim], out, Matmul.Regime.AUTO);
        return out;
    }

    /** out (n x vocab) = exit {@code exit}'s head of its final RMSNorm of the n rows of x, normed as scratch. */
    private void head(float[] x, int n, int exit, float[] normed, float[] out, Matmul.Regime regime) {
        Ops.rmsNorm(normed, null, x, w.normFor(exit), n, c.normEps(), Vec.SumOrder.TREE);
        Matmul.apply(w.outputFor(exit), normed, n, out, regime);
    }

    /** A thread's scratch for {@link #step}: a layer's buffers, the rows gathered for it and their angles, the exit's logits. */
    private static final class StepBuffers {
        final int rows;
        final LayerBuffers layer;
        final float[] states, angles;
        private float[] logits = new float[0];

        StepBuffers(LlamaConfig c, int rows) {
            this.rows = rows;
            layer = new LayerBuffers(c, rows);
            states = new float[rows * c.dim()];
            angles = new float[rows * c.headDim()];
        }

        /** Room for the logits of {@code n} rows, kept for the next pass. */
        float[] logits(int n, int vocab) {
            if (logits.length < n * vocab) logits = new float[n * vocab];
            return logits;
        }
    }

    /** Scratch space of one batched pass through a layer. */
    private static final class LayerBuffers {
        final float[] normed, q, k, v, attnOut, proj, gate, up;

        LayerBuffers(LlamaConfig c, int T) {
            normed = new float[T * c.dim()];
            q = new float[T * c.qDim()];
            k = new float[T * c.kvDim()];
            v = new float[T * c.kvDim()];
            attnOut = new float[T * c.qDim()];
            proj = new float[T * c.dim()];
            gate = new float[T * c.hiddenDim()];
            up = new float[T * c.hiddenDim()];
        }
    }

    private void attention(int l, Span[] spans, int spanCount, float[] x, int T, LayerBuffers b, float[] cosSin,
                           Matmul.Regime regime) {
        LlamaWeights.Layer layer = w.layers[l];
        int headDim = c.headDim(), kvDim = c.kvDim(), qDim = c.qDim();
        Ops.rmsNorm(b.normed, null, x, layer.attnNorm(), T, c.normEps(), Vec.SumOrder.TREE);
        Matmul.applyEach(new Tensor[] {layer.wq(), layer.wk(), layer.wv()}, b.normed, T, new float[][] {b.q, b.k, b.v}, regime);
        int[] spanOfRow = new int[T];
        int longest = 0;
        // rows in groups that end where a sequence's block of keys does (KVCache.keysAtOnce): a BF16 or Q8_0
        // cache's keys go down a block's columns, 16 positions to each cache line, so two cores storing rows of
        // one block would fight over its lines (a prefill chunk's stores took 2 us a row and layer, 6% of its time)
        int[] groupStart = runStarts(spans, spanCount, T, span -> KVCache.keysAtOnce(span.cache.type()));
        int groups = groupStart.length - 1;
        for (int s = 0; s < spanCount; s++) {
            Arrays.fill(spanOfRow, spans[s].row0, spans[s].row0 + spans[s].count, s);
            longest = Math.max(longest, spans[s].pos0 + spans[s].count);
        }
        // rotated and stored on every core: left to the calling thread, this serial work kept the other
        // cores waiting for a tenth of a batched decoding step (perf, 8 sequences)
        Parallel.forRange(groups, 1, (from, to) -> {
            for (int t = groupStart[from]; t < groupStart[to]; t++) {
                Span span = spans[spanOfRow[t]];
                rope.rotate(b.q, t * qDim, c.nHeads(), cosSin, t * headDim);
                rope.rotate(b.k, t * kvDim, c.nKvHeads(), cosSin, t * headDim);
                span.cache.store(l, span.pos0 + t - span.row0, b.k, b.v, t * kvDim); // rows store disjoint positions
            }
        });

        // scores go several keys at a time (KVCache.keysAtOnce: 4 or 16), into spare room after the last
        int headsPerKv = c.nHeads() / c.nKvHeads(), scoreLength = (longest + 15) & ~15;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        // a sequence's consecutive rows go to the cache up to four at a time (a prompt chunk's, cut as the rope's
        // groups are, at positions): it widens each of their keys and values once for all of them; one row at a
        // time, a chunk's attention was 13% of its pass
        int[] runStart = runStarts(spans, spanCount, T, span -> KVCache.QUERIES_AT_ONCE);
        int runCount = runStart.length - 1;
        // items run-major (every head of run 0, then of run 1, ...): a core's next item is mostly the next head of
        // the same run, whose keys and values the cache asks for while it attends to this one; a core that is done
        // with its own part of the runs takes heads from the back of the other's (Parallel)
        int heads = c.nHeads();
        Parallel.forRange(runCount * heads, 1, (from, to) -> {
            float[] scores = new float[KVCache.QUERIES_AT_ONCE * scoreLength];
            for (int item = from; item < to; item++) {
                int r = item / heads, h = item % heads, t = runStart[r], n = runStart[r + 1] - t;
                Span span = spans[spanOfRow[t]];
                int qOff = t * qDim + h * headDim, kvHead = h / headsPerKv;
                int first = span.pos0 + (t - span.row0) + 1; // causal: its sequence's positions 0 .. its own
                boolean nextHeadFollows = item + 1 < to && h + 1 < heads && (h + 1) / headsPerKv != kvHead;
                span.cache.attend(l, kvHead, b.q, qOff, qDim, n, first, scale, scores, scoreLength, b.attnOut, qOff, qDim, nextHeadFollows);
            }
        });
        Matmul.apply(layer.wo(), b.attnOut, T, b.proj, regime);
        Ops.addInPlace(x, b.proj, T * c.dim());
    }

    /**
     * The first rows of a pass's runs, then T: each of the first {@code spanCount} spans cut where it starts and
     * where its position is a multiple of {@code every(span)}.
     */
    private static int[] runStarts(Span[] spans, int spanCount, int T, ToIntFunction<Span> every) {
        int[] starts = new int[T + 1];
        int n = 0;
        for (int s = 0; s < spanCount; s++) {
            Span span = spans[s];
            int k = every.applyAsInt(span);
            for (int t = span.row0; t < span.row0 + span.count; t++) {
                if (t == span.row0 || (span.pos0 + t - span.row0) % k == 0) starts[n++] = t;
            }
        }
        starts[n] = T;
        return Arrays.copyOf(starts, n + 1);
    }

    private void feedForward(int l, float[] x, int T, LayerBuffers b, Matmul.Regime regime) {
        LlamaWeights.Layer layer = w.layers[l];
        Ops.rmsNorm(b.normed, null, x, layer.ffnNorm(), T, c.normEps(), Vec.SumOrder.TREE);
        Matmul.gated(layer.gate(), layer.up(), b.normed, T, b.gate, b.up, regime);
        Matmul.apply(layer.down(), b.gate, T, b.proj, regime);
        Ops.addInPlace(x, b.proj, T * c.dim());
    }
}
