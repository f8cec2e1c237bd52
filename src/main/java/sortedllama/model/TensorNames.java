package sortedllama.model;

import java.util.regex.Pattern;

/**
 * The names every loader maps its tensors to (GGUF's naming, the shortest of the lot), so that
 * {@link LlamaWeights} validates all formats with one piece of code.
 */
public final class TensorNames {
    private TensorNames() {}

    public static final String TOKEN_EMBEDDING = "token_embd.weight";
    public static final String FINAL_NORM = "output_norm.weight";
    public static final String OUTPUT = "output.weight";

    public static String attnNorm(int layer) { return "blk." + layer + ".attn_norm.weight"; }
    public static String wq(int layer) { return "blk." + layer + ".attn_q.weight"; }
    public static String wk(int layer) { return "blk." + layer + ".attn_k.weight"; }
    public static String wv(int layer) { return "blk." + layer + ".attn_v.weight"; }
    public static String wo(int layer) { return "blk." + layer + ".attn_output.weight"; }
    public static String ffnNorm(int layer) { return "blk." + layer + ".ffn_norm.weight"; }
    /** SwiGLU gate projection (w1 in Meta's code). */
    public static String gate(int layer) { return "blk." + layer + ".ffn_gate.weight"; }
    /** SwiGLU down projection (w2). */
    public static String down(int layer) { return "blk." + layer + ".ffn_down.weight"; }
    /** SwiGLU up projection (w3). */
    public static String up(int layer) { return "blk." + layer + ".ffn_up.weight"; }

    /**
     * An exit's own final norm and head (SFT+ICT's per-exit classifiers), for exit {@code k}
     * (1-based: after k layers). A model without them uses the shared ones at every exit.
     */
    public static String exitNorm(int k) { return "exit." + k + ".output_norm.weight"; }
    public static String exitOutput(int k) { return "exit." + k + ".output.weight"; }

    private static final Pattern EXIT_HEAD =
            Pattern.compile("exit\\.(\\d+)\\.(output_norm|output)\\.weight");

    /** The exit k of an {@link #exitNorm} or {@link #exitOutput} name, or -1 for any other name. */
    public static int exitOf(String name) {
        var m = EXIT_HEAD.matcher(name);
        if (!m.matches()) return -1;
        // a number too long for an int is no exit either: the loader names it as out of range
        return m.group(1).length() > 9 ? Integer.MAX_VALUE : Integer.parseInt(m.group(1));
    }
}
