package sortedllama.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import sortedllama.BadInputException;
import sortedllama.model.LlamaConfig;
import sortedllama.model.RopeLayout;
import sortedllama.model.RopeScaling;

/**
 * A Hugging Face LLaMA {@code config.json}, read and written. Hugging Face checkpoints rotate
 * half-split dimension pairs ({@link RopeLayout#HALF_SPLIT}): its converter permutes Meta's wq/wk rows.
 */
record HfConfig(LlamaConfig config, boolean tieWordEmbeddings, String torchDtype, String sortedExits) {
    /** Our key in config.json for the exits a model was sorted-tuned at (Hugging Face ignores unknown keys). */
    static final String SORTED_EXITS = "sorted_exits";

    static final ObjectMapper JSON = new ObjectMapper();

    static HfConfig read(Path path) {
        JsonNode j = readJson(path);
        if (!j.isObject()) throw new BadInputException(path + ": not a JSON object");
        String type = text(j, "model_type", "llama");
        if (!type.equals("llama") && !type.equals("mistral")) {
            throw new BadInputException(path + ": model_type \"" + type + "\" is not a LLaMA model");
        }
        int dim = integer(j, "hidden_size", path), heads = integer(j, "num_attention_heads", path);
        if (j.path("head_dim").isMissingNode() && heads > 0 && dim % heads != 0) {
            throw new BadInputException(path + ": hidden_size " + dim + " is not a multiple of num_attention_heads " + heads
                    + " (and there is no head_dim)");
        }
        RopeScaling scaling = null;
        JsonNode rs = j.path("rope_scaling");
        if (rs.isObject()) {
            String kind = text(rs, "rope_type", text(rs, "type", ""));
            if (!kind.equals("llama3")) {
                throw new BadInputException(path + ": rope_scaling type \"" + kind + "\" is not supported (llama3 is)");
            }
            scaling = new RopeScaling((float) number(rs, "factor", 8, path), (float) number(rs, "low_freq_factor", 1, path),
                    (float) number(rs, "high_freq_factor", 4, path), integer(rs, "original_max_position_embeddings", 8192, path));
        }
        try {
            var config = new LlamaConfig(dim, integer(j, "intermediate_size", path), integer(j, "num_hidden_layers", path), heads,
                    integer(j, "num_key_value_heads", heads, path), integer(j, "head_dim", heads > 0 ? dim / heads : 0, path),
                    integer(j, "vocab_size", path), integer(j, "max_position_embeddings", 2048, path),
                    (float) number(j, "rms_norm_eps", 1e-6, path), (float) number(j, "rope_theta", 10000, path), scaling,
                    RopeLayout.HALF_SPLIT, firstId(j, "bos_token_id", 1, path), firstId(j, "eos_token_id", 2, path));
            String exits = null;
            if (j.path(SORTED_EXITS).isArray()) {
                StringBuilder sb = new StringBuilder();
                for (JsonNode e : j.path(SORTED_EXITS)) sb.append(sb.isEmpty() ? "" : ",").append(e.asInt());
                exits = sb.toString();
            }
            return new HfConfig(config, j.path("tie_word_embeddings").asBoolean(false), text(j, "torch_dtype", ""), exits);
        } catch (BadInputException e) {
            if (e.getMessage().startsWith(path.toString())) throw e;
            throw new BadInputException(path + ": " + e.getMessage());
        }
    }

    /** config.json for {@code c} (whose layout the caller has converted to half-split). */
    static ObjectNode toJson(LlamaConfig c, boolean tied, String torchDtype) {
        ObjectNode j = JSON.createObjectNode();
        j.putArray("architectures").add("LlamaForCausalLM");
        j.put("model_type", "llama");
        j.put("hidden_size", c.dim());
        j.put("intermediate_size", c.hiddenDim());
        j.put("num_hidden_layers", c.nLayers());
        j.put("num_attention_heads", c.nHeads());
        j.put("num_key_value_heads", c.nKvHeads());
        j.put("head_dim", c.headDim());
        j.put("vocab_size", c.vocabSize());
        j.put("max_position_embeddings", c.contextLength());
        j.put("rms_norm_eps", shortest(c.normEps()));
        j.put("rope_theta", shortest(c.ropeTheta()));
        if (c.ropeScaling() != null) {
            ObjectNode s = j.putObject("rope_scaling");
            s.put("rope_type", "llama3");
            s.put("factor", shortest(c.ropeScaling().factor()));
            s.put("low_freq_factor", shortest(c.ropeScaling().lowFreqFactor()));
            s.put("high_freq_factor", shortest(c.ropeScaling().highFreqFactor()));
            s.put("original_max_position_embeddings", c.ropeScaling().originalContextLength());
        }
        j.put("tie_word_embeddings", tied);
        j.put("bos_token_id", c.bosId());
        j.put("eos_token_id", c.eosId());
        j.put("hidden_act", "silu");
        j.put("torch_dtype", torchDtype);
        return j;
    }

    /** The float as its shortest decimal (1e-5f becomes 1.0E-5, not 9.99999974737875E-6), which reads back exactly. */
    private static double shortest(float f) {
        return Double.parseDouble(Float.toString(f));
    }

    static JsonNode readJson(Path path) {
        try {
            return JSON.readTree(Files.readString(path));
        } catch (NoSuchFileException e) {
            throw new BadInputException(path + ": no such file");
        } catch (IOException e) {
            throw new BadInputException(path + ": malformed JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
    }

    private static int integer(JsonNode j, String key, Path path) {
        JsonNode v = j.get(key);
        if (v == null || v.isNull()) throw new BadInputException(path + ": missing \"" + key + "\"");
        if (!v.canConvertToInt() || !v.isIntegralNumber()) throw new BadInputException(path + ": \"" + key + "\" is not an integer: " + v);
        return v.asInt();
    }

    /** Optional integer; absent or null means {@code fallback}. */
    private static int integer(JsonNode j, String key, int fallback, Path path) {
        JsonNode v = j.get(key);
        return v == null || v.isNull() ? fallback : integer(j, key, path);
    }

    private static double number(JsonNode j, String key, double fallback, Path path) {
        JsonNode v = j.get(key);
        if (v == null || v.isNull()) return fallback;
        if (!v.isNumber()) throw new BadInputException(path + ": \"" + key + "\" is not a number: " + v);
        return v.asDouble();
    }

    private static String text(JsonNode j, String key, String fallback) {
        JsonNode v = j.get(key);
        return v != null && v.isTextual() ? v.asText() : fallback;
    }

    /** Token ids may be a number or a list (Llama 3 lists several EOS ids): the first one is used. */
    private static int firstId(JsonNode j, String key, int fallback, Path path) {
        JsonNode v = j.get(key);
        if (v != null && v.isArray()) {
            if (v.isEmpty()) return fallback;
            if (!v.get(0).canConvertToInt()) throw new BadInputException(path + ": \"" + key + "\" is not a token id: " + v);
            return v.get(0).asInt();
        }
        return integer(j, key, fallback, path);
    }
}
