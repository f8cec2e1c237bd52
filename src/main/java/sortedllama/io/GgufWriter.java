package sortedllama.io;

import static sortedllama.io.GgufFile.*;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import sortedllama.BadInputException;
import sortedllama.model.LlamaConfig;
import sortedllama.model.LlamaWeights;
import sortedllama.model.QuantRecipe;
import sortedllama.model.RopeLayout;
import sortedllama.tensor.DType;
import sortedllama.tokenizer.GgufVocabulary;

/**
 * Writes GGUF v3 files as llama.cpp lays them out for architecture "llama": metadata with
 * llama.cpp's value types (sizes and token ids uint32, epsilon and rope base float32), tensor infos,
 * then the data aligned to 32 bytes. Matrices keep their stored type, norms are float32, q/k rows are
 * in the interleaved rotary layout, and Llama 3.1 rope scaling becomes {@code rope_freqs.weight}.
 * Given a vocabulary, the file is self-contained: {@code tokenizer.ggml.*} as llama.cpp's converter
 * writes them, which {@link GgufReader} turns back into the same tokenizer.
 */
public final class GgufWriter {
    static final int ALIGNMENT = GgufFile.DEFAULT_ALIGNMENT;
    /** {@code general.quantization_version}: the current layouts of ggml's block types. */
    static final int QUANTIZATION_VERSION = 2;

    private GgufWriter() {}

    /**
     * @param ropeFreqDivisors Llama 3.1's per-frequency divisors as read from a GGUF file
     *                         ({@link ModelFile#ropeFreqDivisors()}), or null
     * @param vocabulary       the vocabulary to embed ({@link sortedllama.tokenizer.Tokenizers#toGguf}), or
     *                         null for none; it must have as many tokens as the model
     */
    public static void write(Path target, LlamaWeights weights, float[] ropeFreqDivisors, GgufVocabulary vocabulary) {
        write(target, weights, ropeFreqDivisors, vocabulary, null);
    }

    /**
     * @param fileType llama.cpp's llama_ftype to record as {@code general.file_type}, or null for the
     *                 value llama.cpp's loader guesses from the matrices' types ({@link #guessFileType})
     */
    public static void write(Path target, LlamaWeights weights, float[] ropeFreqDivisors, GgufVocabulary vocabulary,
                             Integer fileType) {
        LlamaConfig c = weights.config;
        if (vocabulary != null && vocabulary.tokens().length != c.vocabSize()) {
            throw new BadInputException(target + ": the vocabulary has " + vocabulary.tokens().length + " tokens but the model has "
                    + c.vocabSize() + ": they do not belong together");
        }
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("general.architecture", "llama");
        meta.put("general.alignment", ALIGNMENT);
        meta.put("general.file_type", fileType != null ? fileType : guessFileType(weights));
        // the block layouts' version (ggml's GGML_QNT_VERSION); llama.cpp writes it into every file it quantizes
        meta.put("general.quantization_version", QUANTIZATION_VERSION);
        meta.put("llama.vocab_size", c.vocabSize());
        meta.put("llama.context_length", c.contextLength());
        meta.put("llama.embedding_length", c.dim());
        meta.put("llama.feed_forward_length", c.hiddenDim());
        meta.put("llama.block_count", c.nLayers());
        meta.put("llama.attention.head_count", c.nHeads());
        meta.put("llama.attention.head_count_kv", c.nKvHeads());
        if (c.headDim() != c.dim() / c.nHeads()) { // as llama.cpp: only when it is not the default
            meta.put("llama.attention.key_length", c.headDim());
            meta.put("llama.attention.value_length", c.headDim());
        }
        meta.put("llama.rope.dimension_count", c.headDim());
        meta.put("llama.rope.freq_base", c.ropeTheta());
        meta.put("llama.attention.layer_norm_rms_epsilon", c.normEps());
        if (vocabulary != null) {
            putVocabulary(meta, vocabulary, c);
        } else {
            putId(meta, "tokenizer.ggml.bos_token_id", c.bosId());
            putId(meta, "tokenizer.ggml.eos_token_id", c.eosId());
        }
        List<OutTensor> tensors = new ArrayList<>(OutTensor.llama(weights, RopeLayout.INTERLEAVED, null, DType.F32).values());
        float[] divisors = ropeDivisors(c, ropeFreqDivisors);
        if (divisors != null) tensors.add(OutTensor.of(ModelFile.ROPE_FREQS, divisors, DType.F32));
        write(target, meta, tensors);
    }

    /**
     * The llama_ftype of a file with these matrices, as llama.cpp's loader guesses it for files
     * without one: that of the type most matrices have (the first such type in file order on a tie).
     * For this project's recipes it is the recipe's own value (Q4_K_M's matrices are mostly Q4_K: 15).
     */
    public static int guessFileType(LlamaWeights weights) {
        Map<DType, Integer> counts = new LinkedHashMap<>();
        for (var t : weights.matrices().values()) counts.merge(t.type(), 1, Integer::sum);
        DType most = DType.F32;
        int best = 0;
        for (var e : counts.entrySet()) {
            if (e.getValue() > best) {
                best = e.getValue();
                most = e.getKey();
            }
        }
        return QuantRecipe.fileType(most);
    }

    /** The tokenizer.ggml.* keys in the order llama.cpp's converter writes them. */
    private static void putVocabulary(Map<String, Object> meta, GgufVocabulary v, LlamaConfig c) {
        meta.put("tokenizer.ggml.model", v.model());
        if (v.pre() != null) meta.put("tokenizer.ggml.pre", v.pre());
        meta.put("tokenizer.ggml.tokens", v.tokens());
        if (v.scores() != null) meta.put("tokenizer.ggml.scores", v.scores());
        if (v.tokenTypes() != null) meta.put("tokenizer.ggml.token_type", v.tokenTypes());
        if (v.merges() != null) meta.put("tokenizer.ggml.merges", v.merges());
        // a vocabulary without BOS or EOS of its own uses the model's, as Tokenizer.encodeAfterBos does
        int bos = v.bosId() >= 0 ? v.bosId() : c.bosId();
        putId(meta, "tokenizer.ggml.bos_token_id", bos);
        putId(meta, "tokenizer.ggml.eos_token_id", v.eosId() >= 0 ? v.eosId() : c.eosId());
        putId(meta, "tokenizer.ggml.unknown_token_id", v.unknownId());
        // what this project does: BOS before every prompt when there is one, never an appended EOS
        meta.put("tokenizer.ggml.add_bos_token", bos >= 0);
        meta.put("tokenizer.ggml.add_eos_token", false);
        if (v.model().equals("llama")) {
            meta.put("tokenizer.ggml.add_space_prefix", v.addSpacePrefix());
            meta.put("tokenizer.ggml.remove_extra_whitespaces", v.removeExtraWhitespaces());
        }
        if (v.chatTemplate() != null) meta.put("tokenizer.chat_template", v.chatTemplate());
    }

    /** A token id, left out when there is none (-1): GGUF ids are unsigned. */
    private static void putId(Map<String, Object> meta, String key, int id) {
        if (id >= 0) meta.put(key, id);
    }

    /**
     * GGUF has no rope-scaling metadata for Llama 3.1: llama.cpp stores base frequency / scaled
     * frequency per rotary pair, which the model divides by. Computed in float32 as {@link
     * sortedllama.model.Rope} computes the frequencies; null when nothing is scaled.
     */
    static float[] ropeDivisors(LlamaConfig c, float[] given) {
        if (c.ropeScaling() == null) return given;
        float[] out = new float[c.headDim() / 2];
        for (int i = 0; i < out.length; i++) {
            float base = (float) (1.0 / Math.pow(c.ropeTheta(), (2.0f * i) / (float) c.headDim()));
            float scaled = (float) c.ropeScaling().scale(base);
            if (given != null) scaled /= given[i];
            out[i] = base / scaled;
        }
        return out;
    }

    /**
     * The low-level writer: {@code metadata} values may be String, Boolean, Integer (written as
     * uint32, llama.cpp's type for sizes and ids), Long (int64), Float, Double, String[], float[]
     * or int[] (arrays of int32, like token types).
     */
    static void write(Path target, Map<String, Object> metadata, List<OutTensor> tensors) {
        BinaryOut.writeAtomically(target, out -> {
            out.i32(MAGIC);
            out.i32(3);
            out.i64(tensors.size());
            out.i64(metadata.size());
            for (var e : metadata.entrySet()) {
                string(out, e.getKey());
                value(out, e.getKey(), e.getValue());
            }
            long offset = 0;
            for (OutTensor t : tensors) {
                string(out, t.name());
                out.i32(t.shape().length);
                for (int d = t.shape().length - 1; d >= 0; d--) out.i64(t.shape()[d]); // innermost first
                out.i32(t.type().ggmlId);
                out.i64(offset);
                offset = align(offset + t.bytes());
            }
            out.padTo(ALIGNMENT);
            for (OutTensor t : tensors) {
                t.write(out);
                out.padTo(ALIGNMENT);
            }
        });
    }

    private static long align(long n) {
        return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
    }

    private static void string(BinaryOut out, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.i64(b.length);
        out.bytes(b);
    }

    private static void value(BinaryOut out, String key, Object v) throws IOException {
        switch (v) {
            case String s -> { out.i32(STRING); string(out, s); }
            case Boolean b -> { out.i32(BOOL); out.i8(b ? 1 : 0); }
            case Integer i -> {
                if (i < 0) throw new IllegalArgumentException("metadata " + key + " is negative; GGUF sizes are uint32");
                out.i32(UINT32);
                out.i32(i);
            }
            case Long l -> { out.i32(INT64); out.i64(l); }
            case Float f -> { out.i32(FLOAT32); out.f32(f); }
            case Double d -> { out.i32(FLOAT64); out.f64(d); }
            case String[] a -> {
                arrayHeader(out, STRING, a.length);
                for (String s : a) string(out, s);
            }
            case float[] a -> {
                arrayHeader(out, FLOAT32, a.length);
                out.floats(a);
            }
            case int[] a -> {
                arrayHeader(out, INT32, a.length);
                for (int x : a) out.i32(x);
            }
            default -> throw new IllegalArgumentException("metadata " + key + " has a type GGUF cannot store: " + v.getClass());
        }
    }

    private static void arrayHeader(BinaryOut out, int elementType, int length) throws IOException {
        out.i32(ARRAY);
        out.i32(elementType);
        out.i64(length);
    }
}
