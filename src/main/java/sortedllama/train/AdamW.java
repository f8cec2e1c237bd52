package sortedllama.train;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import sortedllama.tensor.Ops;
import sortedllama.tensor.Parallel;
import sortedllama.tensor.Vec;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter), as torch.optim.AdamW computes it:
 * <pre>
 *   p -= lr * weightDecay * p                      (matrices only, see below)
 *   m = beta1 m + (1 - beta1) g;   v = beta2 v + (1 - beta2) g^2
 *   p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * </pre>
 * Weight decay applies to {@link Param.Kind#MATRIX} parameters (the projections and the head,
 * including a tied embedding-head: it is a head), not to norms (decaying a scale towards 0 is not
 * regularisation) nor to an untied input embedding (only the rows of tokens in the batch get
 * gradients, and decay would shrink the rows of all the others every step), as in nanoGPT's and
 * Hugging Face's practice for norms. Frozen parameters are skipped: no state, no change.
 * Moments are float32, updated element by element: the result does not depend on threading.
 */
public final class AdamW {

    public record Settings(double beta1, double beta2, double eps, double weightDecay) {
        /** LLaMA's pretraining settings. */
        public static Settings defaults() {
            return new Settings(0.9, 0.95, 1e-8, 0.1);
        }
    }

    private record Moments(float[] m, float[] v) {}

    private final List<Param> params;
    private final Settings s;
    private final Map<Param, Moments> state = new IdentityHashMap<>();
    private int t;

    public AdamW(List<Param> params, Settings settings) {
        this.params = List.copyOf(params);
        this.s = settings;
    }

    /** Optimizer steps taken so far. */
    public int steps() {
        return t;
    }

    /** The first and second moments of {@code p} (live arrays, not copies), or null before its first update; for checkpoints. */
    public float[][] moments(Param p) {
        Moments mv = state.get(p);
        return mv == null ? null : new float[][] {mv.m(), mv.v()};
    }

    /** Restores a checkpoint: the step count and, per parameter, its moments (copied; absent = no state yet). */
    public void restore(int steps, Map<Param, float[][]> moments) {
        if (steps < 0) throw new IllegalArgumentException("negative step count " + steps);
        t = steps;
        state.clear();
        moments.forEach((p, mv) -> state.put(p, new Moments(mv[0].clone(), mv[1].clone())));
    }

    public static boolean decays(Param p) {
        return p.kind() == Param.Kind.MATRIX;
    }

    /** One update of every trainable parameter from its gradient, at learning rate {@code lr}. */
    public void step(double lr) {
        t++;
        float b1 = (float) s.beta1(), b2 = (float) s.beta2();
        float stepSize = (float) (lr / (1 - Math.pow(s.beta1(), t)));
        float bc2Sqrt = (float) Math.sqrt(1 - Math.pow(s.beta2(), t));
        float eps = (float) s.eps();
        for (Param p : params) {
            if (!p.trainable()) continue;
            Moments mv = state.computeIfAbsent(p, x -> new Moments(new float[x.size()], new float[x.size()]));
            float keep = decays(p) ? (float) (1 - lr * s.weightDecay()) : 1f;
            float[] w = p.value(), g = p.grad(), m = mv.m(), v = mv.v();
            Parallel.forRange(p.size(), Ops.MIN_PER_THREAD, (from, to) -> {
                for (int i = from; i < to; i += Vec.L) {
                    VectorMask<Float> mask = Vec.S.indexInRange(i, to);
                    FloatVector gi = FloatVector.fromArray(Vec.S, g, i, mask);
                    FloatVector mi = FloatVector.fromArray(Vec.S, m, i, mask).mul(b1).add(gi.mul(1 - b1));
                    FloatVector vi = FloatVector.fromArray(Vec.S, v, i, mask).mul(b2).add(gi.mul(gi).mul(1 - b2));
                    FloatVector denom = vi.sqrt().div(bc2Sqrt).add(eps);
                    FloatVector wi = FloatVector.fromArray(Vec.S, w, i, mask).mul(keep);
                    wi.sub(mi.mul(stepSize).div(denom)).intoArray(w, i, mask);
                    mi.intoArray(m, i, mask);
                    vi.intoArray(v, i, mask);
                }
            });
        }
    }
}
