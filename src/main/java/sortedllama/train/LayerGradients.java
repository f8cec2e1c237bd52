package sortedllama.train;

import sortedllama.model.LlamaConfig;

/** Scratch gradients of one layer's backward, shared by all layers (one backward runs at a time). */
final class LayerGradients {
    final float[] dNormed;          // into either RMSNorm's output
    final float[] dq, dk, dv;       // into the projections (dq, dk before undoing rotary)
    final float[] dAttnOut;         // into attention's output
    final float[] dSwiglu, dGate, dUp;

    LayerGradients(LlamaConfig c, int tokens) {
        dNormed = new float[tokens * c.dim()];
        dq = new float[tokens * c.qDim()];
        dk = new float[tokens * c.kvDim()];
        dv = new float[tokens * c.kvDim()];
        dAttnOut = new float[tokens * c.qDim()];
        dSwiglu = new float[tokens * c.hiddenDim()];
        dGate = new float[tokens * c.hiddenDim()];
        dUp = new float[tokens * c.hiddenDim()];
    }
}
