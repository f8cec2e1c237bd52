package sortedllama.infer;

import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;
import sortedllama.BadInputException;
import sortedllama.model.KVCache;
import sortedllama.model.LlamaModel;

/**
 * Self-speculative decoding: the model's own shallow exit K drafts G tokens, and the full model
 * verifies them all in one batched pass. Nothing is computed twice: the draft's keys and values
 * for layers 1..K are exactly the full model's for those layers (same tokens, same weights), so
 * verification runs only layers K+1..L, starting from the hidden states the draft left at layer K,
 * over the G+1 drafted positions at once. The cache is then cut back past the first rejected token.
 *
 * <p>Greedy output is identical to full-depth greedy decoding. With sampling, drafts are accepted
 * with probability min(1, p/q) and a rejection is resampled from normalise(max(0, p - q)), so the
 * output follows the full model's distribution exactly (Leviathan et al., 2023; Chen et al., 2023).
 *
 * <p>The draft length adapts: one more after a fully accepted draft, one fewer after a rejection.
 * When speculation measures slower per token than plain decoding (low acceptance, e.g. short
 * answers), it falls back to plain full-depth decoding for a while and then tries again.
 */
public final class SpeculativeGenerator {
    static final int MAX_DRAFT = 16;
    /** Tokens decoded in one mode before the other mode's speed is probed again. */
    static final int PROBE_EVERY = 32;

    private final LlamaModel model;
    private final int draftExit;
    private final int initialDraft;
    private final boolean adaptive;
    private final boolean fallBack;

    /** What a model of {@code layers} layers accepts as draft exit and draft length. */
    record Limits(int layers) {
        void check(int draftExit, int draftTokens) {
            if (draftExit < 1 || draftExit >= layers) {
                throw new BadInputException("draft exit " + draftExit + " is out of range: it must be in 1.." + (layers - 1)
                        + " (shallower than the full model's " + layers + " layers)");
            }
            if (draftTokens < 1 || draftTokens > MAX_DRAFT) {
                throw new BadInputException("draft tokens must be in 1.." + MAX_DRAFT + ", got " + draftTokens);
            }
        }
    }

    /** Speculates only while it measures faster than plain decoding. */
    public SpeculativeGenerator(LlamaModel model, int draftExit, int draftTokens, boolean adaptive) {
        this(model, draftExit, draftTokens, adaptive, true);
    }

    /** @param fallBack false: speculate on every round, however slow (for tests of the speculation itself) */
    public SpeculativeGenerator(LlamaModel model, int draftExit, int draftTokens, boolean adaptive, boolean fallBack) {
        new Limits(model.config().nLayers()).check(draftExit, draftTokens);
        this.model = model;
        this.draftExit = draftExit;
        this.initialDraft = draftTokens;
        this.adaptive = adaptive;
        this.fallBack = fallBack;
    }

    public Generator.Result generate(int[] prompt, int maxTokens, Sampler sampler, int eosId,
                                     Generator.TokenListener listener) {
        int layers = model.config().nLayers();
        KVCache cache = model.newCache(TokenSink.cacheCapacity(model.config(), prompt, maxTokens));
        var sink = new TokenSink(maxTokens, eosId, listener);
        var stats = new Stats();
        long t0 = System.nanoTime();
        int next = sampler.sample(model.forward(cache, prompt, layers, false));
        long t1 = System.nanoTime();
        int draft = initialDraft;
        ModeChooser speed = chooserFor(model, draftExit);
        boolean done = sink.emit(next, layers);
        while (!done) {
            int room = cache.capacity() - cache.length(); // positions left, the pending token's included
            if (room <= 0) {
                sink.stopAtContextEnd();
                break;
            }
            int g = Math.min(Math.min(draft, sink.remaining()), room - 1);
            long start = System.nanoTime();
            if (g < 1 || (fallBack && !speed.speculate())) {
                next = sampler.sample(model.forward(cache, new int[] {next}, layers, false));
                done = sink.emit(next, layers);
                speed.recordPlain(System.nanoTime() - start, 1);
                continue;
            }
            Round round = speculate(cache, next, g, sampler);
            stats.drafted += g;
            stats.accepted += round.accepted;
            int emitted = 0;
            for (int i = 0; i < round.accepted && !done; i++, emitted++) done = sink.emit(round.drafts[i], layers);
            if (!done) {
                done = sink.emit(round.next, layers);
                emitted++;
            }
            next = round.next;
            speed.recordSpeculative(System.nanoTime() - start, emitted);
            if (adaptive) draft = round.accepted == g ? Math.min(MAX_DRAFT, draft + 1) : Math.max(1, draft - 1);
        }
        double acceptance = stats.drafted == 0 ? Double.NaN : (double) stats.accepted / stats.drafted;
        return sink.result(t0, t1, acceptance);
    }

    /** One draft-and-verify round: the accepted drafts, and the full model's token after them. */
    private record Round(int[] drafts, int accepted, int next) {}

    private Round speculate(KVCache cache, int pending, int g, Sampler sampler) {
        var c = model.config();
        int dim = c.dim(), vocab = c.vocabSize(), layers = c.nLayers(), p = cache.length();
        int[] drafts = new int[g];
        float[][] draftProbs = sampler.isGreedy() ? null : new float[g][];
        float[] hidden = new float[(g + 1) * dim]; // layer-K states of positions p .. p+g

        // Draft: feed the pending token and g-1 drafts, plus the last draft so that verification
        // has its layer-K state too. Layers 1..K of the cache fill up to p+g+1.
        int token = pending;
        for (int i = 0; i <= g; i++) {
            float[] x = model.embed(new int[] {token});
            model.runLayers(cache, x, 1, p + i, 0, draftExit);
            System.arraycopy(x, 0, hidden, i * dim, dim);
            if (i == g) break;
            float[] logits = model.logits(x, 1, false, draftExit);
            if (draftProbs == null) {
                token = Sampler.argmax(logits, 0, vocab);
            } else {
                draftProbs[i] = sampler.probabilities(logits);
                token = sampler.sampleFrom(draftProbs[i]);
            }
            drafts[i] = token;
        }

        // Verify: layers K+1..L over all g+1 positions in one batched pass.
        model.runLayers(cache, hidden, g + 1, p, draftExit, layers);
        float[] full = model.logits(hidden, g + 1, true, layers);

        int accepted = 0, next = -1;
        for (int i = 0; i < g && next < 0; i++) {
            float[] target = java.util.Arrays.copyOfRange(full, i * vocab, (i + 1) * vocab);
            if (draftProbs == null) {
                int best = Sampler.argmax(target, 0, vocab);
                if (best == drafts[i]) accepted++;
                else next = best;
            } else {
                float[] pFull = sampler.probabilities(target), q = draftProbs[i];
                int d = drafts[i];
                if (sampler.nextUniform() * q[d] < pFull[d]) {
                    accepted++;
                } else {
                    next = sampler.sampleFrom(residual(pFull, q));
                }
            }
        }
        if (next < 0) { // every draft accepted: the bonus token comes from the last position
            next = sampler.sample(java.util.Arrays.copyOfRange(full, g * vocab, (g + 1) * vocab));
        }
        cache.advanceTo(p + g + 1);
        cache.truncate(p + accepted + 1); // keep the pending token and the accepted drafts
        return new Round(drafts, accepted, next);
    }

    /** normalise(max(0, p - q)): where rejected mass is redistributed. */
    static float[] residual(float[] p, float[] q) {
        float[] r = new float[p.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            r[i] = Math.max(0f, p[i] - q[i]);
            sum += r[i];
        }
        if (sum == 0) return p; // p == q: rejection had probability 0, any choice from p is exact
        for (int i = 0; i < r.length; i++) r[i] /= (float) sum;
        return r;
    }

    private static final class Stats {
        long drafted, accepted;
    }

    /**
     * Measured time per emitted token of each mode for one model and draft exit, kept across
     * generations (a short answer alone is too short to learn from) and shared by concurrent ones.
     */
    private static final Map<LlamaModel, Map<Integer, ModeChooser>> MEMORY = new WeakHashMap<>();

    private static ModeChooser chooserFor(LlamaModel model, int draftExit) {
        synchronized (MEMORY) {
            return MEMORY.computeIfAbsent(model, m -> new HashMap<>()).computeIfAbsent(draftExit, k -> new ModeChooser());
        }
    }

    /**
     * Chooses between speculating and plain decoding by measured time per token: speculation runs
     * while it is the faster one, and every {@link #PROBE_EVERY} tokens the other mode is retried,
     * so a change in acceptance (another kind of prompt) is noticed.
     */
    static final class ModeChooser {
        /** Longest wait between probes of the losing mode: its cost then stays below 1%. */
        private static final int MAX_PROBE_INTERVAL = 32 * PROBE_EVERY;
        private double plainNanosPerToken = Double.NaN, specNanosPerToken = Double.NaN;
        private int tokensSinceProbe, probeInterval = PROBE_EVERY;
        private boolean speculating = true, probing;

        synchronized boolean speculate() {
            if (Double.isNaN(plainNanosPerToken) && !Double.isNaN(specNanosPerToken)) return false; // measure plain once early
            probing = tokensSinceProbe >= probeInterval;
            if (probing) { // time to measure the other mode once
                tokensSinceProbe = 0;
                return !speculating;
            }
            return speculating;
        }

        synchronized void recordPlain(long nanos, int tokens) {
            plainNanosPerToken = update(plainNanosPerToken, (double) nanos / tokens, probing && speculating);
            settle(tokens);
        }

        synchronized void recordSpeculative(long nanos, int tokens) {
            specNanosPerToken = update(specNanosPerToken, (double) nanos / tokens, probing && !speculating);
            settle(tokens);
        }

        /**
         * A probe that clearly (by more than a fifth) confirms the current mode doubles the wait
         * before the next one; a switch or a close call resets it, so noise cannot push probes apart.
         */
        private void settle(int tokens) {
            tokensSinceProbe += tokens;
            if (Double.isNaN(plainNanosPerToken) || Double.isNaN(specNanosPerToken)) return;
            boolean faster = specNanosPerToken <= plainNanosPerToken;
            boolean clear = Math.abs(specNanosPerToken - plainNanosPerToken) > 0.2 * Math.min(specNanosPerToken, plainNanosPerToken);
            if (probing) probeInterval = faster == speculating && clear ? Math.min(MAX_PROBE_INTERVAL, 2 * probeInterval) : PROBE_EVERY;
            probing = false;
            speculating = faster;
        }

        /**
         * The running mode's time per token moves smoothly (mean of recent samples); a probe of the
         * other mode replaces that mode's estimate: it is the only fresh sample, and the old one may
         * date from before the JIT compiled that mode's path (a first plain token measured while
         * cold would otherwise keep a slower speculation running for thousands of tokens).
         */
        private static double update(double old, double sample, boolean probe) {
            return Double.isNaN(old) || probe ? sample : 0.8 * old + 0.2 * sample;
        }
    }
}
