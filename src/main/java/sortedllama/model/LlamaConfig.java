package sortedllama.model;

import sortedllama.BadInputException;

/**
 * Hyper-parameters of a LLaMA-family model, whatever file it came from.
 *
 * @param dim            width of the residual stream
 * @param hiddenDim      width of the SwiGLU MLP
 * @param nLayers        number of transformer layers L; exits are 1..L
 * @param nHeads         query heads
 * @param nKvHeads       key/value heads (grouped-query attention when fewer than nHeads)
 * @param headDim        width of one head (usually dim / nHeads)
 * @param vocabSize      rows of the embedding and of the head
 * @param contextLength  longest sequence the KV cache is sized for
 * @param normEps        RMSNorm epsilon
 * @param ropeTheta      rotary base
 * @param ropeScaling    Llama 3.1 rope scaling, or null
 * @param ropeLayout     how rotary pairs are laid out in wq/wk
 * @param bosId          beginning-of-sequence token
 * @param eosId          end-of-sequence token (generation stops there)
 */
public record LlamaConfig(int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int headDim,
                          int vocabSize, int contextLength, float normEps, float ropeTheta,
                          RopeScaling ropeScaling, RopeLayout ropeLayout, int bosId, int eosId) {

    public LlamaConfig {
        if (dim <= 0 || hiddenDim <= 0 || nLayers <= 0 || nHeads <= 0 || nKvHeads <= 0 || headDim <= 0
                || vocabSize <= 0 || contextLength <= 0) {
            throw new BadInputException("model config has a non-positive size: " + describe(dim, hiddenDim, nLayers,
                    nHeads, nKvHeads, headDim, vocabSize, contextLength));
        }
        if (nHeads % nKvHeads != 0) {
            throw new BadInputException("model config: " + nHeads + " query heads is not a multiple of " + nKvHeads + " KV heads");
        }
        if (headDim % 2 != 0) {
            throw new BadInputException("model config: head size " + headDim + " is odd; rotary embeddings need pairs");
        }
    }

    public int kvDim() {
        return nKvHeads * headDim;
    }

    public int qDim() {
        return nHeads * headDim;
    }

    /** Throws a clear error unless 1 <= exitLayer <= nLayers. */
    public void checkExitLayer(int exitLayer) {
        if (exitLayer < 1 || exitLayer > nLayers) {
            throw new BadInputException("exit layer " + exitLayer + " is out of range: this model has layers 1.." + nLayers);
        }
    }

    private static String describe(int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int headDim,
                                   int vocabSize, int contextLength) {
        return "dim=" + dim + " hidden=" + hiddenDim + " layers=" + nLayers + " heads=" + nHeads + " kv_heads="
                + nKvHeads + " head_dim=" + headDim + " vocab=" + vocabSize + " context=" + contextLength;
    }
}
