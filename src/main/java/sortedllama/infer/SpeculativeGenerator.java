package sortedllama.infer;

import java.util.Arrays;
import sortedllama.BadInputException;
import sortedllama.model.KVCache;
import sortedllama.model.LlamaModel;
import sortedllama.tensor.Matmul;

/**
 * Self-speculative decoding: the model's own shallow exit K drafts G tokens, and the full model
 * verifies them all in one batched pass. Nothing is computed twice: the draft's keys and values
 * for layers 1..K are exactly the full model's for those layers (same tokens, same weights), so
 * verification runs only layers K+1..L, starting from the hidden states the draft left at layer K,
 * over the G+1 drafted positions at once. The cache is then cut back past the first rejected token.
 *
 * <p>Greedy output is identical to full-depth greedy decoding, bit for bit: the products are
 * batch-invariant ({@link sortedllama.tensor.WeightRows#dotTokens}). With sampling, drafts are accepted
 * with probability min(1, p/q) and a rejection is resampled from normalise(max(0, p - q)), so the
 * output follows the full model's distribution exactly (Leviathan et al., 2023; Chen et al., 2023).
 *
 * <p>The draft length adapts to what speculation measures on this machine ({@link SpeculationPlanner}:
 * acceptance rate, draft cost per position, verification cost per batch size), and while speculation
 * is expected to be slower per token than plain decoding (low acceptance, e.g. short answers), it
 * falls back to plain full-depth decoding, probing now and then. That schedule depends on timings,
 * and under sampling the schedule decides which random draws make which tokens, so a sampled
 * generation speculates on a fixed schedule instead (its draft length every round): its seed then
 * reproduces its text. Greedy output does not depend on the schedule, so only greedy generations adapt.
 */
public final class SpeculativeGenerator {
    /**
     * Verification runs G+1 positions; up to here the products take the batch-invariant row kernels
     * (sgemm from {@link Matmul#BLAS_MIN_TOKENS} sums in another order), so every verified position
     * gets the logits it would get decoded alone.
     */
    static final int MAX_DRAFT = Matmul.BLAS_MIN_TOKENS - 2;

    private final LlamaModel model;
    private final int draftExit;
    private final int initialDraft;
    private final boolean adaptive;
    private final boolean fallBack;
    private final SpeculationMemory memory;
    /** Draft lengths by {@link HeuristicDraftLength} instead of the planner. */
    private final boolean heuristic;

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

    /**
     * @param adaptive adapt the draft length to what speculation measures (greedy decoding only)
     * @param fallBack decode plainly while speculation measures slower (greedy decoding only); false:
     *                 speculate on every round, however slow (for tests of the speculation itself)
     * @param memory   what speculation has measured on this model so far, kept by the model's owner
     */
    public SpeculativeGenerator(LlamaModel model, int draftExit, int draftTokens, boolean adaptive, boolean fallBack,
                                SpeculationMemory memory) {
        new Limits(model.config().nLayers()).check(draftExit, draftTokens);
        this.model = model;
        this.draftExit = draftExit;
        this.initialDraft = draftTokens;
        this.adaptive = adaptive;
        this.fallBack = fallBack;
        this.memory = memory;
        this.heuristic = false;
    }

    private SpeculativeGenerator(SpeculativeGenerator g, boolean heuristic) {
        this.model = g.model;
        this.draftExit = g.draftExit;
        this.initialDraft = g.initialDraft;
        this.adaptive = g.adaptive;
        this.fallBack = g.fallBack;
        this.memory = g.memory;
        this.heuristic = heuristic;
    }

    /** The same generator with Hugging Face's draft-length rule ({@link HeuristicDraftLength}) instead of the cost model. */
    public SpeculativeGenerator withHeuristicDraft() {
        return new SpeculativeGenerator(this, true);
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
        // a fixed schedule keeps a seeded sampled generation reproducible (see the class comment)
        boolean timed = sampler.isGreedy();
        SpeculationPlanner planner = memory.plannerFor(draftExit, initialDraft);
        HeuristicDraftLength rule = heuristic ? new HeuristicDraftLength(initialDraft, MAX_DRAFT) : null;
        boolean done = sink.emit(next, layers);
        while (!done) {
            int room = cache.capacity() - cache.length(); // positions left, the pending token's included
            if (room <= 0) {
                sink.stopAtContextEnd();
                break;
            }
            int limit = draftLimit(sink, cache);
            int g = draftLength(rule, timed ? planner : null, adaptive, fallBack, initialDraft, limit);
            long start = System.nanoTime(); // both modes are timed with their emitting included
            if (g < 1) {
                next = sampler.sample(model.forward(cache, new int[] {next}, layers, false));
                done = sink.emit(next, layers);
                if (timed && rule == null) planner.recordPlain(System.nanoTime() - start);
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
            if (rule != null) rule.record(g, round.accepted);
            else if (timed) planner.recordRound(g, round.accepted, round.draftNanos, round.verifyNanos, System.nanoTime() - start, emitted);
        }
        double acceptance = stats.drafted == 0 ? Double.NaN : (double) stats.accepted / stats.drafted;
        return sink.result(t0, t1, acceptance);
    }

    /** One draft-and-verify round: the accepted drafts, the full model's token after them, and the time of each phase. */
    private record Round(int[] drafts, int accepted, int next, long draftNanos, long verifyNanos) {}

    private Round speculate(KVCache cache, int pending, int g, Sampler sampler) {
        var c = model.config();
        int dim = c.dim(), vocab = c.vocabSize(), layers = c.nLayers(), p = cache.length();
        int[] drafts = new int[g];
        float[][] draftProbs = sampler.isGreedy() ? null : new float[g][];
        float[] hidden = new float[(g + 1) * dim]; // layer-K states of positions p .. p+g

        // Draft: feed the pending token and g-1 drafts, plus the last draft so that verification
        // has its layer-K state too. Layers 1..K of the cache fill up to p+g+1.
        long t0 = System.nanoTime();
        int token = pending;
        for (int i = 0; i <= g; i++) {
            float[] x = model.embed(new int[] {token});
            model.runLayers(cache, x, 1, p + i, 0, draftExit);
            System.arraycopy(x, 0, hidden, i * dim, dim);
            if (i == g) break;
            token = drafts[i] = draft(model.logits(x, 1, false, draftExit), sampler, draftProbs, i);
        }

        // Verify: layers K+1..L over all g+1 positions in one batched pass.
        long t1 = System.nanoTime();
        model.runLayers(cache, hidden, g + 1, p, draftExit, layers);
        float[] full = model.logits(hidden, g + 1, true, layers);

        Verdict verdict = verify(full, drafts, draftProbs, sampler, vocab);
        cache.advanceTo(p + g + 1);
        cache.truncate(p + verdict.accepted + 1); // keep the pending token and the accepted drafts
        return new Round(drafts, verdict.accepted, verdict.next, t1 - t0, System.nanoTime() - t1);
    }

    /**
     * The next round's drafts (0: a plain full-depth token): by Hugging Face's rule when there is one,
     * else by the timed planner when there is one (greedy), else the fixed length.
     */
    static int draftLength(HeuristicDraftLength rule, SpeculationPlanner planner, boolean adaptive, boolean fallBack,
                           int initialDraft, int limit) {
        if (rule != null) return rule.next(limit);
        if (planner != null) return planner.next(adaptive ? 0 : initialDraft, fallBack, limit);
        return Math.max(0, Math.min(initialDraft, limit));
    }

    /** Drafts to the most the limits allow: tokens left, room in the context beside the pending token, batch invariance. */
    static int draftLimit(TokenSink sink, KVCache cache) {
        int room = cache.capacity() - cache.length(); // positions left, the pending token's included
        return Math.min(Math.min(MAX_DRAFT, sink.remaining()), room - 1);
    }

    /**
     * Draft i from the draft exit's logits: the most probable token when greedy, else a draw whose
     * distribution is kept in {@code draftProbs[i]} for the acceptance test.
     */
    static int draft(float[] logits, Sampler sampler, float[][] draftProbs, int i) {
        if (draftProbs == null) return Sampler.argmax(logits, 0, logits.length);
        draftProbs[i] = sampler.probabilities(logits);
        return sampler.sampleFrom(draftProbs[i]);
    }

    /** How many drafts the full model accepted, and its token after them. */
    record Verdict(int accepted, int next) {}

    /**
     * Checks the drafts against the full model's logits at their positions and after them
     * ({@code (drafts.length + 1) * vocab}): greedy, the longest prefix the full model's argmax
     * agrees with; sampled, each accepted with probability min(1, p/q), a rejection resampled from
     * the residual. The next token is the full model's at the first rejection, or after the last draft.
     */
    static Verdict verify(float[] full, int[] drafts, float[][] draftProbs, Sampler sampler, int vocab) {
        int g = drafts.length, accepted = 0, next = -1;
        for (int i = 0; i < g && next < 0; i++) {
            float[] target = Arrays.copyOfRange(full, i * vocab, (i + 1) * vocab);
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
            next = sampler.sample(Arrays.copyOfRange(full, g * vocab, (g + 1) * vocab));
        }
        return new Verdict(accepted, next);
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
}
