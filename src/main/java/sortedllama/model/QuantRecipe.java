package sortedllama.model;

import java.util.List;
import java.util.Locale;
import sortedllama.BadInputException;
import sortedllama.tensor.DType;

/**
 * Which stored type each weight matrix gets under a {@code --quantize} value: either one type for
 * every matrix, or one of llama.cpp's mixes, Q4_K_M and Q5_K_M, which spend more bits where
 * quantization hurts most. Norms always stay float32.
 *
 * <p>The mixes follow llama.cpp's per-tensor choice (llama_tensor_get_type in src/llama-quant.cpp)
 * for a LLaMA without experts, simplified to the roles this project's models have:
 * <ul>
 *   <li>the head ({@code output.weight}, an exit's own head, and the embedding when the head is tied
 *       to it): Q6_K, or Q8_0 when its rows are not whole 256-value blocks;</li>
 *   <li>{@code attn_v} and {@code ffn_down} of the layers {@link #moreBits} picks (the first and last
 *       eighth of the layers and every third one between): Q6_K;</li>
 *   <li>every other matrix, the untied embedding included: the mix's base type (Q4_K, Q5_K).</li>
 * </ul>
 * Left out: llama.cpp's special cases for other architectures, experts, 70B models and fused QKV.
 *
 * <p>A 256-value block type given to a matrix whose rows are not a multiple of 256 falls back to a
 * 32-value type as llama.cpp does (Q4_K to Q5_0, Q5_K to Q5_1, Q6_K to Q8_0); rows that are not a
 * multiple of 32 either are refused (llama.cpp would store F16).
 *
 * @param name   the value as given to {@code --quantize} (upper case)
 * @param base   the type of every matrix the mix does not single out
 * @param mixed  whether this is a mix (Q4_K_M, Q5_K_M) or one type for every matrix
 */
public record QuantRecipe(String name, DType base, boolean mixed) {
    /** The values {@code --quantize} accepts, in the order the help lists them. */
    public static final List<String> NAMES = List.of(
            "F32", "F16", "BF16", "Q8_0", "Q6_K", "Q5_K_M", "Q5_K", "Q5_1", "Q5_0", "Q4_K_M", "Q4_K", "Q4_1", "Q4_0");

    /** What a matrix is for, which is what a mix decides by. */
    public enum Role { EMBEDDING, HEAD, ATTN_V, FFN_DOWN, OTHER }

    /** Every matrix stored as {@code type}. */
    public static QuantRecipe of(DType type) {
        return new QuantRecipe(type.name(), type, false);
    }

    /** A {@code --quantize} value: a type name or a mix name, in any case. */
    public static QuantRecipe parse(String value) {
        String name = value.strip().toUpperCase(Locale.ROOT);
        return switch (name) {
            case "Q4_K_M" -> new QuantRecipe(name, DType.Q4_K, true);
            case "Q5_K_M" -> new QuantRecipe(name, DType.Q5_K, true);
            default -> {
                if (!NAMES.contains(name)) {
                    throw new BadInputException("--quantize: unknown type \"" + value + "\" (" + String.join(", ", NAMES) + ")");
                }
                yield of(DType.valueOf(name));
            }
        };
    }

    /**
     * The type for one matrix.
     *
     * @param layer   its layer (0-based) for ATTN_V and FFN_DOWN, else ignored
     * @param nLayers the model's layer count
     * @param cols    its row length
     */
    public DType typeFor(Role role, int layer, int nLayers, int cols) {
        DType chosen = base;
        if (mixed) {
            switch (role) {
                case HEAD -> chosen = cols % DType.Q6_K.blockSize == 0 ? DType.Q6_K : DType.Q8_0;
                case ATTN_V, FFN_DOWN -> chosen = moreBits(layer, nLayers) ? DType.Q6_K : base;
                case EMBEDDING, OTHER -> chosen = base;
            }
        }
        return fallback(chosen, cols);
    }

    /**
     * llama.cpp's use_more_bits: the layers whose attn_v and ffn_down get more bits in the _M mixes,
     * the first and last eighth (whose errors matter most) and every third layer between.
     */
    public static boolean moreBits(int layer, int nLayers) {
        return layer < nLayers / 8 || layer >= 7 * nLayers / 8 || (layer - nLayers / 8) % 3 == 2;
    }

    /** A 256-value block type replaced by llama.cpp's 32-value fallback when {@code cols} does not fit it. */
    static DType fallback(DType type, int cols) {
        if (cols % type.blockSize == 0) return type;
        return switch (type) {
            case Q4_K -> DType.Q5_0;
            case Q5_K -> DType.Q5_1;
            case Q6_K -> DType.Q8_0;
            default -> type; // a 32-value type: the converter refuses rows it cannot hold
        };
    }

    /**
     * The llama_ftype llama.cpp records for this recipe ({@code general.file_type}): the mix's own
     * value, or that of the one type; fallbacks do not change it, as in llama.cpp.
     */
    public int fileType() {
        return switch (name) {
            case "Q4_K_M" -> 15;
            case "Q5_K_M" -> 17;
            default -> fileType(base);
        };
    }

    /**
     * llama.cpp's llama_ftype for a file whose matrices are mostly {@code type} (the value its loader
     * guesses for files without {@code general.file_type}); for the mixes it is also their own value
     * (Q4_K_M 15, Q5_K_M 17), since their most common type is Q4_K or Q5_K.
     */
    public static int fileType(DType type) {
        return switch (type) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q4_1 -> 3;
            case Q8_0 -> 7;
            case Q5_0 -> 8;
            case Q5_1 -> 9;
            case Q2_K -> 10;
            case Q3_K -> 12; // Q3_K_M
            case Q4_K -> 15; // Q4_K_M
            case Q5_K -> 17; // Q5_K_M
            case Q6_K -> 18;
            case IQ4_NL -> 25;
            case IQ4_XS -> 30;
            case BF16 -> 32;
        };
    }
}
