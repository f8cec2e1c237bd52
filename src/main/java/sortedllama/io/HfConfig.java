package sortedllama.io;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import sortedllama.BadInputException;
import sortedllama.model.LlamaConfig;
import sortedllama.model.RopeLayout;
import sortedllama.model.RopeScaling;

/** A Hugging Face LLaMA {@code config.json}. HF checkpoints rotate half-split dimension pairs. */
record HfConfig(LlamaConfig config, boolean tieWordEmbeddings, String torchDtype) {

    static HfConfig read(Path path) {
        JsonNode j = SafetensorsReader.readJson(path);
        String type = j.path("model_type").asText("llama");
        if (!type.equals("llama") && !type.equals("mistral")) {
            throw new BadInputException(path + ": model_type \"" + type + "\" is not a LLaMA model");
        }
        int dim = required(j, "hidden_size", path), heads = required(j, "num_attention_heads", path);
        RopeScaling scaling = null;
        JsonNode rs = j.path("rope_scaling");
        if (rs.isObject()) {
            String kind = rs.path("rope_type").asText(rs.path("type").asText(""));
            if (!kind.equals("llama3")) throw new BadInputException(path + ": rope_scaling type \"" + kind + "\" is not supported (llama3 is)");
            scaling = new RopeScaling((float) rs.path("factor").asDouble(8), (float) rs.path("low_freq_factor").asDouble(1),
                    (float) rs.path("high_freq_factor").asDouble(4), rs.path("original_max_position_embeddings").asInt(8192));
        }
        var config = new LlamaConfig(dim, required(j, "intermediate_size", path), required(j, "num_hidden_layers", path), heads,
                j.path("num_key_value_heads").asInt(heads), j.path("head_dim").asInt(dim / Math.max(1, heads)),
                required(j, "vocab_size", path), j.path("max_position_embeddings").asInt(2048),
                (float) j.path("rms_norm_eps").asDouble(1e-6), (float) j.path("rope_theta").asDouble(10000), scaling,
                RopeLayout.HALF_SPLIT, firstId(j.path("bos_token_id"), 1), firstId(j.path("eos_token_id"), 2));
        return new HfConfig(config, j.path("tie_word_embeddings").asBoolean(false), j.path("torch_dtype").asText(""));
    }

    private static int required(JsonNode j, String key, Path path) {
        JsonNode v = j.get(key);
        if (v == null || !v.canConvertToInt()) throw new BadInputException(path + ": missing or non-integer \"" + key + "\"");
        return v.asInt();
    }

    /** Token ids may be a number or a list (Llama 3 lists several EOS ids); the first one is used. */
    private static int firstId(JsonNode v, int fallback) {
        if (v.isArray() && !v.isEmpty()) return v.get(0).asInt();
        return v.isNumber() ? v.asInt() : fallback;
    }
}
