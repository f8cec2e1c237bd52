package sortedllama.io;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import sortedllama.BadInputException;
import sortedllama.model.LlamaConfig;
import sortedllama.model.RopeLayout;
import sortedllama.model.TensorNames;
import sortedllama.tensor.Tensor;
import sortedllama.tokenizer.GgufVocabulary;
import sortedllama.tokenizer.Tokenizer;
import sortedllama.tokenizer.Tokenizers;

/**
 * GGUF models of architecture "llama", as llama.cpp writes them. Tensor names are already ours
 * ({@link TensorNames} follows GGUF). llama.cpp's converter permutes q/k back to Meta's interleaved
 * rotary layout; Llama 3.1 files carry {@code rope_freqs.weight} (per-frequency divisors) instead of
 * rope-scaling metadata, and it is kept under {@link ModelFile#ROPE_FREQS}.
 */
final class GgufReader {
    private GgufReader() {}

    static ModelFile read(Path path) {
        Arena arena = Arena.ofShared();
        try {
            MappedFile f = MappedFile.open(path, arena);
            GgufFile gguf = new GgufFile(f);
            String arch = gguf.text("general.architecture");
            if (!"llama".equals(arch)) {
                throw f.error("architecture \"" + arch + "\" is not supported (only \"llama\" is)");
            }
            String scaling = gguf.text("llama.rope.scaling.type");
            if (scaling != null && !scaling.equals("none")) {
                throw f.error("rope scaling type \"" + scaling + "\" is not supported");
            }
            GgufVocabulary vocab = vocabulary(gguf);
            LlamaConfig config = config(f, gguf, vocab);
            Tensor ropeFreqs = gguf.tensors.get(ModelFile.ROPE_FREQS);
            if (ropeFreqs != null && ropeFreqs.elementCount() != config.headDim() / 2) {
                throw f.error("tensor " + ModelFile.ROPE_FREQS + " has shape " + ropeFreqs.shapeString() + " but should be ["
                        + config.headDim() / 2 + "], one divisor per rotary pair");
            }
            Tokenizer tokenizer = null;
            if (vocab != null) {
                try {
                    tokenizer = Tokenizers.fromGguf(vocab);
                } catch (BadInputException e) {
                    throw f.error("embedded vocabulary: " + e.getMessage());
                }
                Tokenizer.checkMatchesModel(tokenizer, config.vocabSize(), path.toString());
            }
            return new ModelFile(path, "GGUF v" + gguf.version, config, gguf.tensors, tokenizer, summary(gguf.metadata), arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static LlamaConfig config(MappedFile f, GgufFile gguf, GgufVocabulary vocab) {
        int dim = gguf.integer("llama.embedding_length");
        int heads = gguf.integer("llama.attention.head_count");
        if (!gguf.metadata.containsKey("llama.attention.key_length") && heads > 0 && dim % heads != 0) {
            throw f.error("llama.embedding_length " + dim + " is not a multiple of llama.attention.head_count " + heads
                    + " (and there is no llama.attention.key_length)");
        }
        int headDim = gguf.integer("llama.attention.key_length", heads > 0 ? dim / heads : 0);
        int rotary = gguf.integer("llama.rope.dimension_count", headDim);
        if (rotary != headDim) {
            throw f.error("llama.rope.dimension_count " + rotary + " differs from the head size " + headDim
                    + " (partial rotary is not supported)");
        }
        int vocabSize = gguf.integer("llama.vocab_size", vocabSizeFromTensors(f, gguf, vocab));
        try {
            return new LlamaConfig(dim, gguf.integer("llama.feed_forward_length"), gguf.integer("llama.block_count"),
                    heads, gguf.integer("llama.attention.head_count_kv", heads), headDim, vocabSize,
                    gguf.integer("llama.context_length"),
                    (float) gguf.number("llama.attention.layer_norm_rms_epsilon", 1e-5),
                    (float) gguf.number("llama.rope.freq_base", 10000), null, RopeLayout.INTERLEAVED,
                    gguf.integer("tokenizer.ggml.bos_token_id", 1), gguf.integer("tokenizer.ggml.eos_token_id", 2));
        } catch (BadInputException e) {
            throw f.error(e.getMessage());
        }
    }

    /** Without llama.vocab_size: the embedded vocabulary's size, else the embedding's rows. */
    private static int vocabSizeFromTensors(MappedFile f, GgufFile gguf, GgufVocabulary vocab) {
        if (vocab != null) return vocab.tokens().length;
        Tensor embedding = gguf.tensors.get(TensorNames.TOKEN_EMBEDDING);
        if (embedding == null) throw f.error("missing tensor " + TensorNames.TOKEN_EMBEDDING);
        return embedding.rows();
    }

    /** The embedded vocabulary ({@code tokenizer.ggml.*}), or null when the file has none. */
    static GgufVocabulary vocabulary(GgufFile gguf) {
        List<?> tokens = gguf.list("tokenizer.ggml.tokens");
        if (tokens == null) return null;
        try {
            String[] pieces = tokens.stream().map(t -> (String) t).toArray(String[]::new);
            List<?> s = gguf.list("tokenizer.ggml.scores");
            float[] scores = null;
            if (s != null) {
                scores = new float[s.size()];
                for (int i = 0; i < scores.length; i++) scores[i] = ((Number) s.get(i)).floatValue();
            }
            List<?> t = gguf.list("tokenizer.ggml.token_type");
            int[] types = t == null ? null : t.stream().mapToInt(x -> ((Number) x).intValue()).toArray();
            List<?> m = gguf.list("tokenizer.ggml.merges");
            String[] merges = m == null ? null : m.stream().map(x -> (String) x).toArray(String[]::new);
            if ((scores != null && scores.length != pieces.length) || (types != null && types.length != pieces.length)) {
                throw new BadInputException(pieces.length + " tokens but " + (scores != null ? scores.length : types.length)
                        + " scores or token types");
            }
            return new GgufVocabulary(gguf.text("tokenizer.ggml.model"), pieces, scores, types, merges,
                    gguf.integer("tokenizer.ggml.bos_token_id", 1), gguf.integer("tokenizer.ggml.eos_token_id", 2),
                    gguf.text("tokenizer.ggml.pre"), gguf.text("tokenizer.chat_template"),
                    // llama.cpp's defaults for SentencePiece vocabularies: LLaMA's
                    gguf.bool("tokenizer.ggml.add_space_prefix", true), gguf.bool("tokenizer.ggml.remove_extra_whitespaces", false));
        } catch (ClassCastException | BadInputException e) {
            throw new BadInputException(gguf.path() + ": malformed tokenizer.ggml metadata: " + e.getMessage());
        }
    }

    /** Metadata for {@code info}: scalars as they are; arrays and long texts summarised. */
    private static Map<String, String> summary(Map<String, Object> metadata) {
        Map<String, String> out = new LinkedHashMap<>();
        metadata.forEach((k, v) -> {
            if (v instanceof List<?> list) out.put(k, "[array of " + list.size() + elementKind(list) + "]");
            else if (v instanceof String s && s.length() > 200) out.put(k, "[text of " + s.length() + " characters]");
            else out.put(k, String.valueOf(v));
        });
        return out;
    }

    private static String elementKind(List<?> list) {
        if (list.isEmpty()) return "";
        return switch (list.getFirst()) {
            case String _ -> " strings";
            case Long _ -> " integers";
            case Float _, Double _ -> " floats";
            case Boolean _ -> " booleans";
            default -> " arrays";
        };
    }
}
