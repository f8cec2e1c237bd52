package sortedllama.train;

import java.util.Arrays;
import sortedllama.model.LlamaConfig;
import sortedllama.tensor.Parallel;
import sortedllama.tensor.Vec;

/**
 * Causal self-attention with grouped-query heads over packed sequences: the query at position t
 * reads the keys and values at positions [segmentStart(t), t] of its sequence.
 *
 * <p>Per (sequence, head) it is three matrix products and a row-wise softmax, done as llm.c
 * does: S = scale · Q K^T over the full T x T square, softmax of each row over its visible
 * range (zeros elsewhere), O = P V. The products run on single-threaded OpenBLAS calls, one
 * (sequence, KV head) group per task: computing the masked half of S as well costs less than
 * hand-written loops over short head dimensions would. Q, K, V are read in place (their rows
 * are strided by the projection widths), so nothing is copied.
 *
 * <p>One task handles all query heads that share a KV head, in order: the backward sums their
 * key and value gradients in a fixed order, whatever the threading.
 *
 * <p>Layouts: q, dq, out [B*T, nHeads*headDim]; k, v, dk, dv [B*T, nKvHeads*headDim];
 * att [B, nHeads, T, T] holds the probabilities P (row t: zero outside [segmentStart(t), t]).
 */
final class Attention {
    private Attention() {}

    /** out = softmax(q k^T / sqrt(headDim)) v, keeping the probabilities in att for the backward. */
    static void forward(float[] out, float[] att, float[] q, float[] k, float[] v, BatchLayout s) {
        Dims d = new Dims(s);
        Parallel.forRange(s.batchSize() * d.kvHeads, 1, (from, to) -> {
            for (int group = from; group < to; group++) {
                int b = group / d.kvHeads, g = group % d.kvHeads, kv = d.kvOffset(b, g);
                for (int h = g * d.rep; h < (g + 1) * d.rep; h++) {
                    int qo = d.qOffset(b, h), p = d.attOffset(b, h);
                    Gemm.tile(false, true, d.T, d.T, d.headDim, d.scale, q, qo, d.qDim, k, kv, d.kvDim, 0f, att, p, d.T);
                    for (int t = 0; t < d.T; t++) {
                        int row = p + t * d.T, start = s.segmentStarts()[b * d.T + t];
                        Arrays.fill(att, row, row + start, 0f);
                        Vec.softmax(att, row + start, t - start + 1);
                        Arrays.fill(att, row + t + 1, row + d.T, 0f);
                    }
                    Gemm.tile(false, false, d.T, d.headDim, d.T, 1f, att, p, d.T, v, kv, d.kvDim, 0f, out, qo, d.qDim);
                }
            }
        });
    }

    /**
     * dq, dk, dv (overwritten) from dOut. Per head: dP = dOut v^T; the softmax's backward
     * dS = P * (dP - rowsum(P * dP)); then dq = scale · dS k, dk += scale · dS^T q, dv += P^T dOut.
     */
    static void backward(float[] dq, float[] dk, float[] dv, float[] dOut, float[] q, float[] k, float[] v,
                         float[] att, BatchLayout s) {
        Dims d = new Dims(s);
        Parallel.forRange(s.batchSize() * d.kvHeads, 1, (from, to) -> {
            float[] dS = new float[d.T * d.T];
            for (int group = from; group < to; group++) {
                int b = group / d.kvHeads, g = group % d.kvHeads, kv = d.kvOffset(b, g);
                for (int h = g * d.rep; h < (g + 1) * d.rep; h++) {
                    int qo = d.qOffset(b, h), p = d.attOffset(b, h);
                    float firstHead = h == g * d.rep ? 0f : 1f; // overwrite dk, dv, then add the group's other heads
                    Gemm.tile(false, true, d.T, d.T, d.headDim, 1f, dOut, qo, d.qDim, v, kv, d.kvDim, 0f, dS, 0, d.T);
                    for (int t = 0; t < d.T; t++) {
                        int row = t * d.T, start = s.segmentStarts()[b * d.T + t], n = t - start + 1;
                        float pdp = Vec.dotInOrder(att, p + row + start, dS, row + start, n);
                        Arrays.fill(dS, row, row + start, 0f);
                        for (int j = row + start; j <= row + t; j++) dS[j] = att[p + j] * (dS[j] - pdp);
                        Arrays.fill(dS, row + t + 1, row + d.T, 0f);
                    }
                    Gemm.tile(false, false, d.T, d.headDim, d.T, d.scale, dS, 0, d.T, k, kv, d.kvDim, 0f, dq, qo, d.qDim);
                    Gemm.tile(true, false, d.T, d.headDim, d.T, d.scale, dS, 0, d.T, q, qo, d.qDim, firstHead, dk, kv, d.kvDim);
                    Gemm.tile(true, false, d.T, d.headDim, d.T, 1f, att, p, d.T, dOut, qo, d.qDim, firstHead, dv, kv, d.kvDim);
                }
            }
        });
    }

    /** Sizes and where a (sequence, head)'s block starts in each array. */
    private static final class Dims {
        final int T, heads, kvHeads, rep, headDim, qDim, kvDim;
        final float scale;

        Dims(BatchLayout s) {
            LlamaConfig c = s.config();
            T = s.seqLen();
            heads = c.nHeads();
            kvHeads = c.nKvHeads();
            rep = heads / kvHeads;
            headDim = c.headDim();
            qDim = c.qDim();
            kvDim = c.kvDim();
            scale = (float) (1.0 / Math.sqrt(headDim));
        }

        int qOffset(int b, int h) {
            return b * T * qDim + h * headDim;
        }

        int kvOffset(int b, int g) {
            return b * T * kvDim + g * headDim;
        }

        int attOffset(int b, int h) {
            return (b * heads + h) * T * T;
        }
    }
}
