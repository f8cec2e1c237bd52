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
 * <p>The draft length is chosen as alone: a greedy generation's by the planner, which times its
 * rounds and plain tokens, here as the wall time of the steps they took. A step lasts as long as the
 * deepest generation in it needs, so beside full-depth requests a draft step costs a full step, a
 * round of G drafts costs G + 1 steps for at most G + 1 tokens, and the planner falls back to plain
 * decoding; alone (or beside shallow requests) drafts are cheap and it speculates. A sampled
 * generation drafts the plan's length every round (or by Hugging Face's rule when the plan asks for
 * it), so that its seed reproduces it. Greedy output does not depend on the schedule.
 *
 * <p>With an output constraint, each draft is drafted from logits masked in the constraint's state
 * after the drafts before it (followed on copies), and each verified position is masked in that
 * same state, so greedy output is the constrained full-depth output, and a sampled acceptance test
 * compares the two masked distributions.
 */
final class BatchedSpeculative extends BatchedGeneration {
    private final int draftExit, draftTokens, layers, dim, vocab;
    private final HeuristicDraftLength rule;
    private final SpeculationPlanner planner; // null: not timed (sampled)
    private final boolean adaptiveDraft;
    private long draftNanos, roundNanos;
    // the round in progress: g drafts (0: a plain full-depth step) from position p, `drafted` made so far
    private int p, g, drafted;
    private boolean inRound;
    private int[] drafts;
    private float[][] draftProbs;
    /** The constraint's state before each draft and after the last (null: unconstrained). */
    private OutputConstraint[] states;
    private float[] hidden, logits;
    private long draftedTotal, acceptedTotal;

    /** @param memory what speculation has measured in this batch, shared by its speculative generations */
    BatchedSpeculative(LlamaModel model, DecodePlan plan, SpeculationMemory memory, int[] prompt, Sampler sampler, int maxTokens,
                       int eosId, int topLogprobs) {
        super(model, prompt, model.config().nLayers(), sampler, maxTokens, eosId, topLogprobs);
        new SpeculativeGenerator.Limits(model.config().nLayers()).check(plan.draftExit(), plan.draftTokens());
        this.draftExit = plan.draftExit();
        this.draftTokens = plan.draftTokens();
        this.rule = plan.heuristicDraft() ? new HeuristicDraftLength(draftTokens, SpeculativeGenerator.MAX_DRAFT) : null;
        this.planner = sampler.isGreedy() ? memory.plannerFor(draftExit, draftTokens) : null;
        this.adaptiveDraft = plan.adaptiveDraft();
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
            g = SpeculativeGenerator.draftLength(rule, planner, adaptiveDraft, true, draftTokens, limit);
            drafted = 0;
            draftNanos = roundNanos = 0;
            drafts = new int[g];
            draftProbs = sampler.isGreedy() ? null : new float[g][];
            hidden = new float[(g + 1) * dim]; // the states of positions p .. p+g
            states = constraint == null ? null : new OutputConstraint[g + 1];
            if (states != null) states[0] = constraint.copy();
        }
        int token = drafted == 0 ? sink.last() : drafts[drafted - 1];
        System.arraycopy(model.embed(new int[] {token}), 0, hidden, drafted * dim, dim);
    }

    @Override
    boolean finish(long stepNanos) {
        roundNanos += stepNanos;
        if (drafted < g) {
            drafts[drafted] = SpeculativeGenerator.draft(states == null ? logits : restricted(states[drafted], logits), sampler,
                    draftProbs, drafted);
            if (states != null) {
                states[drafted + 1] = states[drafted].copy();
                states[drafted + 1].accept(drafts[drafted]);
            }
            drafted++;
            draftNanos += stepNanos;
            return false;
        }
        inRound = false;
        if (g == 0) {
            if (planner != null && rule == null) planner.recordPlain(stepNanos);
            return emitNext(logits, layers) || over();
        }
        float[] full = states == null ? logits : restrictedRows(logits);
        var verdict = SpeculativeGenerator.verify(full, drafts, draftProbs, sampler, vocab);
        cache.truncate(p + verdict.accepted() + 1); // keep the pending token and the accepted drafts
        draftedTotal += g;
        acceptedTotal += verdict.accepted();
        int emitted = 0;
        boolean done = false;
        for (int i = 0; i <= verdict.accepted() && !done; i++, emitted++) {
            int token = i < verdict.accepted() ? drafts[i] : verdict.next();
            done = emit(token, Arrays.copyOfRange(full, i * vocab, (i + 1) * vocab), layers);
        }
        if (rule != null) rule.record(g, verdict.accepted());
        else if (planner != null) planner.recordRound(g, verdict.accepted(), draftNanos, stepNanos, roundNanos, emitted);
        return done || over();
    }

    /** The verification's logits, position i masked in the constraint's state after draft i - 1. */
    private float[] restrictedRows(float[] logits) {
        float[] rows = new float[logits.length];
        for (int i = 0; i <= g; i++) {
            float[] row = restricted(states[i], Arrays.copyOfRange(logits, i * vocab, (i + 1) * vocab));
            System.arraycopy(row, 0, rows, i * vocab, vocab);
        }
        return rows;
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
