package sortedllama.infer;

import java.util.Arrays;
import sortedllama.model.LlamaModel;

/**
 * Self-speculation in the batch ({@link SpeculativeGenerator} alone): a round of G drafts takes
 * G + 1 steps. Each of the first G feeds one position up to the draft exit, which drafts the next
 * token; the last feeds the last draft up to the draft exit and then all G + 1 positions through
 * the remaining layers together (the drafted positions join the pass there as extra rows of this
 * sequence), whose full-depth logits verify the drafts. Nothing is computed twice, as alone.
 *
 * <p>The draft length is the plan's every round (or Hugging Face's rule when the plan asks for it),
 * not the timed planner's: in a batch one generation's timings say little, and a fixed schedule
 * keeps a seeded generation reproducible. Greedy output does not depend on the schedule.
 */
final class BatchedSpeculative extends BatchedGeneration {
    private final int draftExit, draftTokens, layers, dim, vocab;
    private final HeuristicDraftLength rule;
    // the round in progress: g drafts (0: a plain full-depth step) from position p, `drafted` made so far
    private int p, g, drafted;
    private boolean inRound;
    private int[] drafts;
    private float[][] draftProbs;
    private float[] hidden, logits;
    private long draftedTotal, acceptedTotal;

    BatchedSpeculative(LlamaModel model, DecodePlan plan, int[] prompt, Sampler sampler, int maxTokens, int eosId, int topLogprobs) {
        super(model, prompt, model.config().nLayers(), sampler, maxTokens, eosId, topLogprobs);
        new SpeculativeGenerator.Limits(model.config().nLayers()).check(plan.draftExit(), plan.draftTokens());
        this.draftExit = plan.draftExit();
        this.draftTokens = plan.draftTokens();
        this.rule = plan.heuristicDraft() ? new HeuristicDraftLength(draftTokens, SpeculativeGenerator.MAX_DRAFT) : null;
        this.layers = model.config().nLayers();
        this.dim = model.config().dim();
        this.vocab = model.config().vocabSize();
    }

    @Override
    void prepare() {
        if (!inRound) {
            inRound = true;
            p = cache.length();
            int limit = SpeculativeGenerator.draftLimit(sink, cache);
            g = Math.max(0, rule != null ? rule.next(limit) : Math.min(draftTokens, limit));
            drafted = 0;
            drafts = new int[g];
            draftProbs = sampler.isGreedy() ? null : new float[g][];
            hidden = new float[(g + 1) * dim]; // the states of positions p .. p+g
        }
        int token = drafted == 0 ? sink.last() : drafts[drafted - 1];
        System.arraycopy(model.embed(new int[] {token}), 0, hidden, drafted * dim, dim);
    }

    @Override
    boolean finish() {
        if (drafted < g) {
            drafts[drafted] = SpeculativeGenerator.draft(logits, sampler, draftProbs, drafted);
            drafted++;
            return false;
        }
        inRound = false;
        if (g == 0) return emit(sampler.sample(logits), logits, layers) || over();
        var verdict = SpeculativeGenerator.verify(logits, drafts, draftProbs, sampler, vocab);
        cache.truncate(p + verdict.accepted() + 1); // keep the pending token and the accepted drafts
        draftedTotal += g;
        acceptedTotal += verdict.accepted();
        if (rule != null) rule.record(g, verdict.accepted());
        for (int i = 0; i <= verdict.accepted(); i++) {
            int token = i < verdict.accepted() ? drafts[i] : verdict.next();
            if (emit(token, Arrays.copyOfRange(logits, i * vocab, (i + 1) * vocab), layers)) return true;
        }
        return over();
    }

    @Override
    double acceptance() {
        return draftedTotal == 0 ? Double.NaN : (double) acceptedTotal / draftedTotal;
    }

    @Override
    public int end() {
        return p + drafted + 1;
    }

    @Override
    public float[] states() {
        return hidden;
    }

    @Override
    public int statesFrom() {
        return p;
    }

    @Override
    public int logitsAt(int exit) {
        if (drafted < g) return exit == draftExit ? 1 : 0;
        return exit == layers ? g + 1 : 0;
    }

    @Override
    public boolean exitWith(int exit, float[] logits) {
        this.logits = logits;
        return true;
    }
}
