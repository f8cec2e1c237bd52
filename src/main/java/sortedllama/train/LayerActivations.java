package sortedllama.train;

import sortedllama.model.LlamaConfig;

/**
 * What one layer's forward keeps for its backward, named for what it holds; [tokens, width]
 * row-major unless noted. The layer's input and output are the residual stream, kept by the pass.
 */
final class LayerActivations {
    final float[] attnNormed, attnRstd;   // RMSNorm before attention: output, and 1/rms per token
    final float[] q, k, v;                // projections, q and k after rotary
    final float[] att;                    // attention probabilities [B, nHeads, T, T]
    final float[] attnOut;                // attention's weighted values, before wo
    final float[] mid;                    // residual stream after attention: x + attnOut · wo^T
    final float[] ffnNormed, ffnRstd;     // RMSNorm before the MLP
    final float[] gate, up;               // MLP projections
    final float[] swiglu;                 // silu(gate) * up, before down

    LayerActivations(LlamaConfig c, int batchSize, int seqLen) {
        int n = batchSize * seqLen;
        attnNormed = new float[n * c.dim()];
        attnRstd = new float[n];
        q = new float[n * c.qDim()];
        k = new float[n * c.kvDim()];
        v = new float[n * c.kvDim()];
        att = new float[Math.multiplyExact(batchSize * c.nHeads(), seqLen * seqLen)];
        attnOut = new float[n * c.qDim()];
        mid = new float[n * c.dim()];
        ffnNormed = new float[n * c.dim()];
        ffnRstd = new float[n];
        gate = new float[n * c.hiddenDim()];
        up = new float[n * c.hiddenDim()];
        swiglu = new float[n * c.hiddenDim()];
    }
}
