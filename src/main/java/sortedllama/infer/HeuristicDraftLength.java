package sortedllama.infer;

/**
 * Hugging Face transformers' "heuristic" rule for the draft length of assisted generation, offered
 * beside the cost-model {@link SpeculationPlanner}: start at G (4 by default), add 2 after a round
 * whose drafts were all accepted, take 1 away (never below 1) after a round with a rejection. It
 * looks at acceptance alone, not at what drafting and verifying cost on this machine, and it never
 * falls back to plain decoding. It depends on nothing but the tokens, so a seeded sampled generation
 * stays reproducible under it. One generation's rule starts afresh (as transformers'
 * "heuristic_transient"; its "heuristic" carries the length over to the next call).
 */
final class HeuristicDraftLength {
    static final int GROWTH = 2, SHRINK = 1;

    private final int max;
    private int length;

    HeuristicDraftLength(int start, int max) {
        this.length = Math.min(start, max);
        this.max = max;
    }

    /** The next round's draft length, at most {@code limit} (tokens left, room in the context). */
    int next(int limit) {
        return Math.min(length, limit);
    }

    /** After a round that drafted {@code drafted} tokens and had {@code accepted} of them accepted. */
    void record(int drafted, int accepted) {
        length = accepted == drafted ? Math.min(max, length + GROWTH) : Math.max(1, length - SHRINK);
    }
}
