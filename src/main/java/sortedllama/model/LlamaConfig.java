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

    /**
     * Upper bounds that no real LLaMA comes near (Llama 3.1 405B: 126 layers, width 16384, MLP 53248,
     * context 131072), so that a corrupt or hostile header is refused before anything is sized by it.
     */
    public static final int MAX_LAYERS = 4096, MAX_WIDTH = 1 << 20, MAX_VOCAB = 1 << 24, MAX_CONTEXT = 1 << 22;

    public LlamaConfig {
        checkRange("dim", dim, MAX_WIDTH);
        checkRange("hidden_dim", hiddenDim, MAX_WIDTH);
        checkRange("n_layers", nLayers, MAX_LAYERS);
        checkRange("n_heads", nHeads, MAX_WIDTH);
        checkRange("n_kv_heads", nKvHeads, MAX_WIDTH);
        checkRange("head_dim", headDim, MAX_WIDTH);
        checkRange("vocab_size", vocabSize, MAX_VOCAB);
        checkRange("context_length", contextLength, MAX_CONTEXT);
        // products in long: an int would wrap and let a corrupt header through the shape checks
        if ((long) nHeads * headDim > MAX_WIDTH) {
            throw new BadInputException("model config: n_heads " + nHeads + " x head_dim " + headDim + " is out of range (at most " + MAX_WIDTH + ")");
        }
        if (nHeads % nKvHeads != 0) {
            throw new BadInputException("model config: " + nHeads + " query heads is not a multiple of " + nKvHeads + " KV heads");
        }
        if (headDim % 2 != 0) {
            throw new BadInputException("model config: head size " + headDim + " is odd; rotary embeddings need pairs");
        }
        if (!(normEps > 0) || !Float.isFinite(normEps)) {
            throw new BadInputException("model config: the RMSNorm epsilon must be a positive number, got " + normEps);
        }
        if (!(ropeTheta > 0) || !Float.isFinite(ropeTheta)) {
            throw new BadInputException("model config: the rope theta must be a positive number, got " + ropeTheta);
        }
    }

    private static void checkRange(String field, int value, int max) {
        if (value < 1 || value > max) {
            throw new BadInputException("model config: " + field + " " + value + " is out of range (1.." + max + ")");
        }
    }

    public int kvDim() {
        return nKvHeads * headDim;
    }

    public int qDim() {
        return nHeads * headDim;
    }

    /**
     * How many tokens can be generated after a prompt of {@code promptTokens}: the context holds the
     * prompt and every generated token, so 0 when the prompt fills it. The one rule for whether an
     * answer fits: generation, the evaluations and the demo's test sets all ask it.
     */
    public int generationRoom(int promptTokens) {
        return Math.max(0, contextLength - promptTokens);
    }

    /** Throws a clear error unless 1 <= exitLayer <= nLayers. */
    public void checkExitLayer(int exitLayer) {
        if (exitLayer < 1 || exitLayer > nLayers) {
            throw new BadInputException("exit layer " + exitLayer + " is out of range: this model has layers 1.." + nLayers);
        }
    }
}
