package sortedllama.train;

import sortedllama.model.LlamaConfig;
import sortedllama.tensor.Ops;

/**
 * One pre-norm LLaMA layer, forward and backward:
 * <pre>
 *   mid = x + wo · Attention(rotary(wq · n1), rotary(wk · n1), wv · n1),   n1 = RMSNorm(x)
 *   out = mid + down · (silu(gate · n2) * (up · n2)),                      n2 = RMSNorm(mid)
 * </pre>
 * The backward walks the same steps in reverse. Gradients into the residual stream add up in
 * {@code dx}: it holds dLoss/d(out) on entry and dLoss/dx on return.
 */
final class TransformerLayer {
    private TransformerLayer() {}

    static void forward(TrainableModel.Layer p, float[] x, float[] out, LayerActivations a, BatchLayout s) {
        LlamaConfig c = s.config();
        int n = s.tokens();
        // attention block
        RmsNorm.forward(a.attnNormed, a.attnRstd, x, p.attnNorm().value(), n, c.normEps());
        Linear.forward(a.q, a.attnNormed, p.wq(), n);
        Linear.forward(a.k, a.attnNormed, p.wk(), n);
        Linear.forward(a.v, a.attnNormed, p.wv(), n);
        s.rotary().forward(a.q, c.nHeads(), s.positions());
        s.rotary().forward(a.k, c.nKvHeads(), s.positions());
        Attention.forward(a.attnOut, a.att, a.q, a.k, a.v, s);
        Linear.forward(a.mid, a.attnOut, p.wo(), n);
        Ops.addInPlace(a.mid, x, n * c.dim());
        // MLP block
        RmsNorm.forward(a.ffnNormed, a.ffnRstd, a.mid, p.ffnNorm().value(), n, c.normEps());
        Linear.forward(a.gate, a.ffnNormed, p.gate(), n);
        Linear.forward(a.up, a.ffnNormed, p.up(), n);
        SwiGlu.forward(a.swiglu, a.gate, a.up, n * c.hiddenDim());
        Linear.forward(out, a.swiglu, p.down(), n);
        Ops.addInPlace(out, a.mid, n * c.dim());
    }

    static void backward(TrainableModel.Layer p, float[] x, LayerActivations a, float[] dx, LayerGradients g, BatchLayout s) {
        LlamaConfig c = s.config();
        int n = s.tokens();
        // MLP block; the residual passes dx through unchanged, the branch adds to it
        Linear.backward(g.dSwiglu, false, dx, a.swiglu, p.down(), n);
        SwiGlu.backward(g.dGate, g.dUp, g.dSwiglu, a.gate, a.up, n * c.hiddenDim());
        Linear.backward(g.dNormed, false, g.dGate, a.ffnNormed, p.gate(), n);
        Linear.backward(g.dNormed, true, g.dUp, a.ffnNormed, p.up(), n);
        RmsNorm.backward(dx, p.ffnNorm().gradOrNull(), g.dNormed, a.mid, p.ffnNorm().value(), a.ffnRstd, n);
        // attention block
        Linear.backward(g.dAttnOut, false, dx, a.attnOut, p.wo(), n);
        Attention.backward(g.dq, g.dk, g.dv, g.dAttnOut, a.q, a.k, a.v, a.att, s);
        s.rotary().backward(g.dq, c.nHeads(), s.positions());
        s.rotary().backward(g.dk, c.nKvHeads(), s.positions());
        Linear.backward(g.dNormed, false, g.dq, a.attnNormed, p.wq(), n);
        Linear.backward(g.dNormed, true, g.dk, a.attnNormed, p.wk(), n);
        Linear.backward(g.dNormed, true, g.dv, a.attnNormed, p.wv(), n);
        RmsNorm.backward(dx, p.attnNorm().gradOrNull(), g.dNormed, x, p.attnNorm().value(), a.attnRstd, n);
    }
}
