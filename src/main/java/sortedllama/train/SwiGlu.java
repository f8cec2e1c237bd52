package sortedllama.train;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import sortedllama.tensor.Ops;
import sortedllama.tensor.Parallel;
import sortedllama.tensor.Vec;

/** SwiGLU's gating, element-wise: out = silu(gate) * up, silu(g) = g * sigmoid(g). */
final class SwiGlu {
    private SwiGlu() {}

    static void forward(float[] out, float[] gate, float[] up, int n) {
        Ops.swiglu(out, gate, up, n);
    }

    /** dUp = dOut * silu(g); dGate = dOut * up * silu'(g), silu'(g) = s * (1 + g * (1 - s)), s = sigmoid(g). */
    static void backward(float[] dGate, float[] dUp, float[] dOut, float[] gate, float[] up, int n) {
        Parallel.forRange(n, Ops.MIN_PER_THREAD, (from, to) -> {
            for (int i = from; i < to; i += Vec.L) {
                VectorMask<Float> m = Vec.S.indexInRange(i, to);
                FloatVector g = FloatVector.fromArray(Vec.S, gate, i, m);
                FloatVector dy = FloatVector.fromArray(Vec.S, dOut, i, m);
                FloatVector s = Vec.sigmoid(g);
                dy.mul(g.mul(s)).intoArray(dUp, i, m);
                FloatVector slope = s.mul(g.mul(s.neg().add(1f)).add(1f));
                dy.mul(FloatVector.fromArray(Vec.S, up, i, m)).mul(slope).intoArray(dGate, i, m);
            }
        });
    }
}
