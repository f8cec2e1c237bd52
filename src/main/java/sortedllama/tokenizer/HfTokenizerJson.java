package sortedllama.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import sortedllama.BadInputException;

/**
 * Reads a Hugging Face {@code tokenizer.json} holding a byte-level BPE (GPT-2, Llama 3), with
 * BOS/EOS and the chat template from a {@code tokenizer_config.json} beside it when there is one.
 */
final class HfTokenizerJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private HfTokenizerJson() {}

    static ByteLevelBpe read(Path path) {
        JsonNode root = readJson(path);
        JsonNode model = root.path("model");
        if (!"BPE".equals(model.path("type").asText())) {
            throw new BadInputException(path + ": tokenizer model type \"" + model.path("type").asText() + "\" is not supported (BPE is)");
        }
        if (model.path("byte_fallback").asBoolean(false)) {
            throw new BadInputException(path + ": a SentencePiece-style tokenizer.json (byte fallback); give the tokenizer.model instead");
        }
        String regex = splitRegex(root.path("pre_tokenizer"), path);
        Map<String, Integer> specials = new LinkedHashMap<>();
        int size = 0;
        for (JsonNode t : root.path("added_tokens")) {
            specials.put(t.path("content").asText(), t.path("id").asInt());
            size = Math.max(size, t.path("id").asInt() + 1);
        }
        JsonNode vocabNode = model.path("vocab");
        if (!vocabNode.isObject() || vocabNode.isEmpty()) throw new BadInputException(path + ": model.vocab is missing or empty");
        for (JsonNode id : vocabNode) size = Math.max(size, id.asInt() + 1);
        String[] tokens = new String[size];
        for (Iterator<Map.Entry<String, JsonNode>> it = vocabNode.properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            tokens[e.getValue().asInt()] = e.getKey();
        }
        specials.forEach((text, id) -> tokens[id] = text);
        List<String> merges = new ArrayList<>();
        for (JsonNode m : model.path("merges")) {
            merges.add(m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText());
        }
        Path configPath = path.resolveSibling("tokenizer_config.json");
        JsonNode config = Files.isRegularFile(configPath) ? readJson(configPath) : JSON.createObjectNode();
        int bos = specialId(config.path("bos_token"), specials, "<|begin_of_text|>", "<s>");
        int eos = specialId(config.path("eos_token"), specials, "<|end_of_text|>", "</s>");
        String template = config.path("chat_template").isTextual() ? config.path("chat_template").asText() : null;
        return new ByteLevelBpe(tokens, merges, specials, regex, model.path("ignore_merges").asBoolean(false), bos, eos, template);
    }

    /** The regex the pre-tokenizer splits with: GPT-2's for a plain ByteLevel, else the Split step's. */
    private static String splitRegex(JsonNode pre, Path path) {
        String type = pre.path("type").asText();
        if (type.equals("ByteLevel")) return ByteLevelBpe.GPT2_SPLIT;
        if (type.equals("Sequence")) {
            for (JsonNode step : pre.path("pretokenizers")) {
                if (step.path("type").asText().equals("Split") && step.path("pattern").has("Regex")) {
                    return step.path("pattern").path("Regex").asText();
                }
            }
            for (JsonNode step : pre.path("pretokenizers")) {
                if (step.path("type").asText().equals("ByteLevel") && step.path("use_regex").asBoolean(true)) return ByteLevelBpe.GPT2_SPLIT;
            }
        }
        throw new BadInputException(path + ": pre-tokenizer \"" + type + "\" is not supported (ByteLevel, or Split + ByteLevel, are)");
    }

    private static int specialId(JsonNode configured, Map<String, Integer> specials, String... fallbacks) {
        String text = configured.isTextual() ? configured.asText() : configured.path("content").asText(null);
        if (text != null && specials.containsKey(text)) return specials.get(text);
        for (String f : fallbacks) if (specials.containsKey(f)) return specials.get(f);
        return -1;
    }

    private static JsonNode readJson(Path path) {
        try {
            return JSON.readTree(Files.readString(path));
        } catch (IOException e) {
            throw new BadInputException(path + ": " + (e instanceof java.nio.file.NoSuchFileException ? "no such file"
                    : "malformed JSON: " + e.getMessage().lines().findFirst().orElse("")));
        }
    }
}
