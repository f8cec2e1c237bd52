package sortedllama.io;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import sortedllama.model.LlamaConfig;
import sortedllama.model.RopeLayout;
import sortedllama.tensor.Tensor;
import sortedllama.tokenizer.GgufVocabulary;
import sortedllama.tokenizer.Tokenizers;

/**
 * GGUF models of architecture "llama" (as llama.cpp writes them). Tensor names are already ours
 * ({@link sortedllama.model.TensorNames} follows GGUF). llama.cpp's converter permutes q/k back to
 * Meta's interleaved rotary layout; Llama 3.1 files carry {@code rope_freqs.weight}.
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
            int dim = (int) gguf.number("llama.embedding_length");
            int heads = (int) gguf.number("llama.attention.head_count");
            int kvHeads = (int) gguf.number("llama.attention.head_count_kv", heads);
            int headDim = (int) gguf.number("llama.attention.key_length", heads == 0 ? 0 : dim / Math.max(1, heads));
            Tensor embedding = gguf.tensors.get("token_embd.weight");
            if (embedding == null) throw f.error("missing tensor token_embd.weight");
            var vocab = vocabulary(gguf);
            int vocabSize = (int) gguf.number("llama.vocab_size", embedding.rows());
            var config = new LlamaConfig(dim, (int) gguf.number("llama.feed_forward_length"), (int) gguf.number("llama.block_count"),
                    heads, kvHeads, headDim, vocabSize, (int) gguf.number("llama.context_length"),
                    (float) gguf.number("llama.attention.layer_norm_rms_epsilon", 1e-5),
                    (float) gguf.number("llama.rope.freq_base", 10000), null, RopeLayout.INTERLEAVED,
                    vocab == null ? 1 : vocab.bosId(), vocab == null ? 2 : vocab.eosId());
            var tokenizer = vocab == null ? null : Tokenizers.fromGguf(vocab);
            if (tokenizer != null && tokenizer.vocabSize() != vocabSize) {
                throw f.error("embedded vocabulary has " + tokenizer.vocabSize() + " tokens but the model has " + vocabSize);
            }
            return new ModelFile(path, "GGUF v" + gguf.version, config, gguf.tensors, tokenizer, summary(gguf.metadata), arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** The embedded vocabulary, or null when the file has none. */
    static GgufVocabulary vocabulary(GgufFile gguf) {
        if (!(gguf.metadata.get("tokenizer.ggml.tokens") instanceof List<?> tokens)) return null;
        String[] pieces = tokens.stream().map(String::valueOf).toArray(String[]::new);
        float[] scores = null;
        if (gguf.metadata.get("tokenizer.ggml.scores") instanceof List<?> s) {
            scores = new float[s.size()];
            for (int i = 0; i < scores.length; i++) scores[i] = ((Number) s.get(i)).floatValue();
        }
        int[] types = null;
        if (gguf.metadata.get("tokenizer.ggml.token_type") instanceof List<?> t) {
            types = t.stream().mapToInt(x -> ((Number) x).intValue()).toArray();
        }
        String[] merges = gguf.metadata.get("tokenizer.ggml.merges") instanceof List<?> m
                ? m.stream().map(String::valueOf).toArray(String[]::new) : null;
        return new GgufVocabulary(gguf.text("tokenizer.ggml.model"), pieces, scores, types, merges,
                (int) gguf.number("tokenizer.ggml.bos_token_id", 1), (int) gguf.number("tokenizer.ggml.eos_token_id", 2),
                gguf.text("tokenizer.ggml.pre"), gguf.text("tokenizer.chat_template"));
    }

    /** Metadata for {@code info}: scalars as they are, arrays as their length. */
    private static Map<String, String> summary(Map<String, Object> metadata) {
        Map<String, String> out = new LinkedHashMap<>();
        metadata.forEach((k, v) -> {
            if (v instanceof List<?> list) out.put(k, "[array of " + list.size() + "]");
            else if (v instanceof String s && s.length() > 200) out.put(k, "[text of " + s.length() + " characters]");
            else out.put(k, String.valueOf(v));
        });
        return out;
    }
}
