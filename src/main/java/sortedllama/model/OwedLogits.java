package sortedllama.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The exit logits a batched pass ({@link LlamaModel#step}) owes its sequences and pays in as few head
 * products as it can. The exits of a sorted model share one final norm and one head, so logits
 * asked for at layer 6 and at layer 12 can come from one product at the end of the pass: a batch
 * bound by reading weights (a few vectors cost about what one does) then reads the 32,000-row head
 * once a step instead of once per exit that some sequence leaves at. Each row's logits have the bits
 * they would have from a product of their own (the head's few-vector products are batch-invariant).
 *
 * <p>A sequence that leaves at its exit whatever the logits say (a fixed exit, a draft) owes nothing
 * but waits. One that decides by them ({@link StepSequence#decidesAt}) may <em>ride along</em>: when
 * another sequence goes through the next layers anyway it goes on with it, undecided, and is decided
 * in exit order once the logits are paid; its deeper keys and values are then the ones a later
 * catch-up would have computed. Riders are settled early, in a product of their own, when no other
 * sequence goes deeper.
 */
final class OwedLogits {
    /** Exit {@code exit}'s logits of the {@code rows} hidden states in x ([rows, dim]). */
    interface Head {
        float[] logits(float[] x, int rows, int exit);

        /** Which head (norm and output matrix) serves {@code exit}: exits with the same key share products. */
        Object key(int exit);
    }

    /** Rows of one sequence waiting at one exit, with their states as they left that layer. */
    private record Owed(StepSequence sequence, int exit, int rows, float[] states) {}

    private final Head head;
    private final int dim, vocab;
    private final List<Owed> owed = new ArrayList<>();
    private final Set<StepSequence> riders = Collections.newSetFromMap(new IdentityHashMap<>());

    OwedLogits(Head head, int dim, int vocab) {
        this.head = head;
        this.dim = dim;
        this.vocab = vocab;
    }

    /** Owes s the logits of its last {@code rows} positions at {@code exit}; a rider when it stays in the pass. */
    void owe(StepSequence s, int exit, int rows, boolean rides) {
        int from = (s.end() - rows - s.statesFrom()) * dim;
        owed.add(new Owed(s, exit, rows, Arrays.copyOfRange(s.states(), from, from + rows * dim)));
        if (rides) riders.add(s);
    }

    boolean rides(StepSequence s) {
        return riders.contains(s);
    }

    boolean hasRiders() {
        return !riders.isEmpty();
    }

    /** Decides the riders now (their logits in products of their own); those that leave are removed from {@code active}. */
    void settleRiders(List<StepSequence> active) {
        List<Owed> theirs = new ArrayList<>(), rest = new ArrayList<>();
        for (Owed o : owed) (riders.contains(o.sequence) ? theirs : rest).add(o);
        owed.clear();
        owed.addAll(rest);
        riders.clear();
        Set<StepSequence> left = pay(theirs, false);
        active.removeIf(left::contains);
    }

    /** Pays everything at the end of the pass: every sequence owed logits must leave at one of its exits. */
    void payAll() {
        riders.clear();
        pay(owed, true);
        owed.clear();
    }

    /**
     * One product per head for the given rows, then each sequence's exits in order until it leaves;
     * returns the sequences that left.
     */
    private Set<StepSequence> pay(List<Owed> debts, boolean mustLeave) {
        Map<Object, List<Owed>> byHead = new LinkedHashMap<>();
        for (Owed o : debts) byHead.computeIfAbsent(head.key(o.exit), k -> new ArrayList<>()).add(o);
        Map<Owed, float[]> logits = new IdentityHashMap<>();
        for (List<Owed> group : byHead.values()) {
            int rows = 0;
            for (Owed o : group) rows += o.rows;
            float[] x = new float[rows * dim];
            int row = 0;
            for (Owed o : group) {
                System.arraycopy(o.states, 0, x, row * dim, o.rows * dim);
                row += o.rows;
            }
            float[] out = head.logits(x, rows, group.getFirst().exit);
            row = 0;
            for (Owed o : group) {
                logits.put(o, Arrays.copyOfRange(out, row * vocab, (row + o.rows) * vocab));
                row += o.rows;
            }
        }
        Map<StepSequence, List<Owed>> bySequence = new IdentityHashMap<>();
        for (Owed o : debts) bySequence.computeIfAbsent(o.sequence, k -> new ArrayList<>()).add(o);
        Set<StepSequence> left = Collections.newSetFromMap(new IdentityHashMap<>());
        for (var entry : bySequence.entrySet()) {
            List<Owed> exits = entry.getValue();
            exits.sort((a, b) -> Integer.compare(a.exit, b.exit));
            for (Owed o : exits) {
                if (entry.getKey().exitWith(o.exit, logits.get(o))) {
                    left.add(entry.getKey());
                    break;
                }
            }
            if (mustLeave && !left.contains(entry.getKey())) {
                throw new IllegalStateException("a sequence did not leave at exit " + exits.getLast().exit + ", the last it reached");
            }
        }
        return left;
    }
}
