package sortedllama.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import sortedllama.tensor.Parallel;
import sortedllama.tensor.Tensor;

/**
 * The logits a batched pass ({@link LlamaModel#step}) owes its sequences, computed together when
 * the pass needs them instead of at each exit. The head (32,000 x 768 in stories110M) is read
 * whole by each product, about as much memory as three or four layers, so a pass whose requests
 * leave at two exits and took a product at each read it twice, which cost more than the
 * shallow requests saved in the upper layers.
 *
 * <p>A sequence that leaves where it asks for logits (a fixed exit, a draft) leaves the pass at
 * once; its rows wait here for the next product. One that decides from its logits whether to go
 * on (adaptive depth) waits here too while the pass goes deeper for others anyway, if it
 * {@link StepSequence#mayDecideLater may}: it goes along, and decides when the logits come, from the
 * exits in order. The product runs when nothing else needs the pass to go on: when every sequence
 * still in it is waiting to decide, when one waiting cannot decide later, or when none is left. Each
 * row's logits have the bits a product of that row alone gives (the products of a pass are
 * batch-invariant), so the order of the work changes no output.
 */
final class PendingLogits {
    /** The rows of one sequence at one exit: its last {@code count} states as they left layer {@code exit}. */
    private record Entry(StepSequence sequence, int exit, int count, float[] states) {}

    /** The logits of n rows, {@code n * dim} states, at an exit's norm and head, in the caller's scratch. */
    interface Head {
        float[] logits(int exit, float[] states, int n);
    }

    private final LlamaWeights w;
    private final Head head;
    private final List<Entry> entries = new ArrayList<>();

    PendingLogits(LlamaWeights w, Head head) {
        this.w = w;
        this.head = head;
    }

    /**
     * After layer {@code exit} has run: takes the rows of each active sequence that wants this exit's
     * logits, and removes those that leave here whatever the logits say. Returns whether the logits
     * must be computed now ({@link #flush}) rather than with a deeper exit's.
     */
    boolean collect(int exit, List<StepSequence> active) {
        int dim = w.config.dim();
        for (var it = active.iterator(); it.hasNext(); ) {
            StepSequence s = it.next();
            int n = s.logitsAt(exit);
            if (n == 0) continue;
            int from = (s.end() - n - s.statesFrom()) * dim;
            entries.add(new Entry(s, exit, n, Arrays.copyOfRange(s.states(), from, from + n * dim)));
            if (!s.mayStay(exit)) it.remove();
        }
        if (entries.isEmpty()) return false;
        // the sequences owed logits: those of them still active wait to decide, the others have left
        Set<StepSequence> waiting = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Entry e : entries) waiting.add(e.sequence);
        boolean goesDeeper = false; // some sequence needs the next layer whatever any logits say
        for (StepSequence s : active) {
            if (!waiting.contains(s)) goesDeeper = true;
            else if (!s.mayDecideLater()) return true;
        }
        return !goesDeeper;
    }

    /**
     * Computes the logits owed (one product per head: one in all when the exits share the model's
     * head) and hands them out, each sequence's exits in order; a sequence that leaves is removed
     * from {@code active}, and skips its deeper exits' logits.
     */
    void flush(List<StepSequence> active) {
        List<Entry> owed = List.copyOf(entries);
        entries.clear();
        float[][] logits = new float[owed.size()][];
        boolean[] done = new boolean[owed.size()];
        for (int first = 0; first < owed.size(); first++) {
            if (done[first]) continue;
            Entry e = owed.get(first);
            Tensor output = w.outputFor(e.exit);
            float[] norm = w.normFor(e.exit);
            // the entries that share this one's head, gathered as the rows of one product
            List<Integer> group = new ArrayList<>();
            int rows = 0;
            for (int j = first; j < owed.size(); j++) {
                Entry o = owed.get(j);
                if (!done[j] && w.outputFor(o.exit) == output && w.normFor(o.exit) == norm) {
                    group.add(j);
                    done[j] = true;
                    rows += o.count;
                }
            }
            int dim = w.config.dim(), vocab = w.config.vocabSize();
            float[] x = new float[rows * dim];
            int[] firstRow = new int[group.size()];
            for (int g = 0, row = 0; g < group.size(); row += owed.get(group.get(g)).count, g++) {
                firstRow[g] = row;
                Entry o = owed.get(group.get(g));
                System.arraycopy(o.states, 0, x, row * dim, o.count * dim);
            }
            float[] out = head.logits(e.exit, x, rows);
            // each entry's rows in an array of its own, copied on every core: on the batch thread alone these
            // copies (128 KiB a row at a 32,000-token vocabulary) kept the other cores waiting
            Parallel.forRange(group.size(), 1, (from, to) -> {
                for (int g = from; g < to; g++) {
                    int row = firstRow[g], count = owed.get(group.get(g)).count;
                    logits[group.get(g)] = Arrays.copyOfRange(out, row * vocab, (row + count) * vocab);
                }
            });
        }
        Set<StepSequence> left = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < owed.size(); i++) {
            Entry e = owed.get(i);
            if (left.contains(e.sequence)) continue; // left at a shallower exit: its deeper logits are not its own
            if (e.sequence.exitWith(e.exit, logits[i])) left.add(e.sequence);
            else if (!e.sequence.mayStay(e.exit)) {
                throw new IllegalStateException("a sequence stayed in the pass at exit " + e.exit + ", where it may not");
            }
        }
        active.removeIf(left::contains);
    }
}
