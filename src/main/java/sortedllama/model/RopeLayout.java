package sortedllama.model;

/**
 * How rotary embeddings pair up the dimensions of a head. The same trained model can be stored
 * either way: Meta's and llama2.c's files rotate neighbouring pairs (0,1),(2,3),...; Hugging Face's
 * conversion permutes the rows of wq and wk so that dimension i pairs with i + headDim/2.
 * GGUF files converted by llama.cpp are permuted back to the interleaved layout.
 */
public enum RopeLayout {
    INTERLEAVED,
    HALF_SPLIT
}
