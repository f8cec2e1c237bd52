package sortedllama.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import sortedllama.BadInputException;

/**
 * Reads a Hugging Face {@code tokenizer.json} holding a byte-level BPE (GPT-2, Llama 3), with
 * BOS, EOS and the chat template from a {@code tokenizer_config.json} beside it when there is one.
 * Settings that {@link ByteLevelBpe} does not reproduce are refused by name rather than ignored.
 */
final class HfTokenizerJson {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Ids beyond this are taken for corruption rather than allocated. */
    private static final int MAX_ID = 16 << 20;

    private HfTokenizerJson() {}

    static ByteLevelBpe read(Path path) {
        try {
            return parse(readJson(path), path);
        } catch (BadInputException e) {
            throw e.getMessage().startsWith(path.toString()) ? e : new BadInputException(path + ": " + e.getMessage(), e);
        }
    }

    private static ByteLevelBpe parse(JsonNode root, Path path) {
        JsonNode model = root.path("model");
        checkModel(model);
        Map<String, Integer> vocab = new LinkedHashMap<>();
        JsonNode vocabNode = model.path("vocab");
        if (!vocabNode.isObject() || vocabNode.isEmpty()) throw new BadInputException("model.vocab is missing or empty");
        vocabNode.properties().forEach(e -> vocab.put(e.getKey(), id(e.getValue(), "model.vocab[\"" + e.getKey() + "\"]")));
        Map<String, Integer> specials = new LinkedHashMap<>();
        List<Integer> userDefined = new ArrayList<>(); // added tokens not marked special (llama.cpp's user-defined)
        for (JsonNode t : root.path("added_tokens")) {
            int id = id(t.path("id"), "added token " + t.path("content"));
            specials.put(t.path("content").asText(), id);
            if (!t.path("special").asBoolean(true)) userDefined.add(id);
        }
        int size = 0;
        for (int id : vocab.values()) size = Math.max(size, id + 1);
        for (int id : specials.values()) size = Math.max(size, id + 1);
        String[] tokens = new String[size];
        vocab.forEach((text, id) -> tokens[id] = text);
        specials.forEach((text, id) -> tokens[id] = text);
        int[] types = ByteLevelBpe.defaultTypes(tokens, specials);
        for (int id : userDefined) types[id] = PieceTypes.USER_DEFINED;
        // without its merge rules a BPE vocabulary splits every word into bytes: tokens, but the wrong ones
        JsonNode mergeRules = model.path("merges");
        if (!mergeRules.isArray() || (mergeRules.isEmpty() && vocab.keySet().stream().anyMatch(t -> t.codePointCount(0, t.length()) > 1))) {
            throw new BadInputException("model.merges is " + (mergeRules.isArray() ? "empty" : "missing")
                    + ": a BPE vocabulary of multi-byte tokens needs its merge rules");
        }
        List<String> merges = new ArrayList<>();
        for (JsonNode m : mergeRules) {
            merges.add(m.isArray() && m.size() == 2 ? m.get(0).asText() + " " + m.get(1).asText() : m.asText());
        }
        Path configPath = path.resolveSibling("tokenizer_config.json");
        JsonNode config = Files.isRegularFile(configPath) ? readJson(configPath) : JSON.createObjectNode();
        int bos = specialId(config.path("bos_token"), specials, "<|begin_of_text|>", "<s>");
        int eos = specialId(config.path("eos_token"), specials, "<|end_of_text|>", "</s>");
        List<Normalizer.Form> normalization = normalization(root.path("normalizer"));
        PreTokenizer preTokenizer = preTokenizer(root.path("pre_tokenizer"));
        return new ByteLevelBpe(tokens, types, merges, specials, normalization, preTokenizer,
                model.path("ignore_merges").asBoolean(false), bos, eos, chatTemplate(config.path("chat_template")));
    }

    private static void checkModel(JsonNode model) {
        String type = model.path("type").asText("BPE");
        if (!type.equals("BPE")) throw new BadInputException("tokenizer model type \"" + type + "\" is not supported (BPE is)");
        if (model.path("byte_fallback").asBoolean(false)) {
            throw new BadInputException("a SentencePiece-style BPE (byte_fallback); give its tokenizer.model instead");
        }
        for (String field : new String[] {"continuing_subword_prefix", "end_of_word_suffix"}) {
            if (!model.path(field).asText("").isEmpty()) throw new BadInputException("model." + field + " is not supported");
        }
        if (model.path("dropout").asDouble(0) > 0) throw new BadInputException("BPE dropout is not supported");
    }

    private static int id(JsonNode node, String what) {
        if (!node.canConvertToInt() || node.asInt() < 0 || node.asInt() > MAX_ID) {
            throw new BadInputException(what + " has id " + node + ", not a token id");
        }
        return node.asInt();
    }

    /** Unicode normal forms, the only normalisers that a byte-level BPE uses. */
    private static List<Normalizer.Form> normalization(JsonNode n) {
        if (n.isNull() || n.isMissingNode()) return List.of();
        String type = n.path("type").asText();
        if (type.equals("Sequence")) {
            List<Normalizer.Form> forms = new ArrayList<>();
            for (JsonNode step : n.path("normalizers")) forms.addAll(normalization(step));
            return forms;
        }
        return switch (type) {
            case "NFC" -> List.of(Normalizer.Form.NFC);
            case "NFD" -> List.of(Normalizer.Form.NFD);
            case "NFKC" -> List.of(Normalizer.Form.NFKC);
            case "NFKD" -> List.of(Normalizer.Form.NFKD);
            default -> throw new BadInputException("normalizer \"" + type + "\" is not supported (NFC, NFD, NFKC, NFKD are)");
        };
    }

    private static PreTokenizer preTokenizer(JsonNode pre) {
        List<PreTokenizer.Step> steps = new ArrayList<>();
        boolean byteLevel = addSteps(pre, steps);
        if (!byteLevel) throw new BadInputException("no ByteLevel pre-tokenizer: not a byte-level BPE");
        return new PreTokenizer(steps);
    }

    /** Appends the steps of one pre-tokenizer; true if it is or contains ByteLevel. */
    private static boolean addSteps(JsonNode pre, List<PreTokenizer.Step> steps) {
        String type = pre.path("type").asText();
        switch (type) {
            case "Sequence" -> {
                boolean byteLevel = false;
                for (JsonNode step : pre.path("pretokenizers")) byteLevel |= addSteps(step, steps);
                return byteLevel;
            }
            case "ByteLevel" -> {
                Pattern gpt2 = pre.path("use_regex").asBoolean(true) ? PreTokenizer.compile(PreTokenizer.GPT2_SPLIT) : null;
                steps.add(new PreTokenizer.Step(gpt2, pre.path("add_prefix_space").asBoolean(true)));
                return true;
            }
            case "Split" -> {
                if (!pre.path("behavior").asText("Isolated").equals("Isolated") || pre.path("invert").asBoolean(false)) {
                    throw new BadInputException("Split pre-tokenizer with behavior " + pre.path("behavior") + ", invert "
                            + pre.path("invert") + " is not supported (Isolated, not inverted, is)");
                }
                JsonNode pattern = pre.path("pattern");
                String regex = pattern.has("Regex") ? pattern.path("Regex").asText() : Pattern.quote(pattern.path("String").asText());
                steps.add(new PreTokenizer.Step(PreTokenizer.compile(regex), false));
                return false;
            }
            default -> throw new BadInputException("pre-tokenizer \"" + type
                    + "\" is not supported (ByteLevel, Split and Sequence are)");
        }
    }

    private static int specialId(JsonNode configured, Map<String, Integer> specials, String... fallbacks) {
        String text = configured.isTextual() ? configured.asText() : configured.path("content").asText(null);
        if (text != null && specials.containsKey(text)) return specials.get(text);
        for (String f : fallbacks) if (specials.containsKey(f)) return specials.get(f);
        return -1;
    }

    /** A string, or (newer configs) a list of named templates of which "default" is the one for chat. */
    private static String chatTemplate(JsonNode t) {
        if (t.isTextual()) return t.asText();
        if (t.isArray()) {
            for (JsonNode named : t) if (named.path("name").asText().equals("default")) return named.path("template").asText(null);
        }
        return null;
    }

    private static JsonNode readJson(Path path) {
        try {
            return JSON.readTree(Files.readString(path));
        } catch (NoSuchFileException e) {
            throw new BadInputException(path + ": no such file", e);
        } catch (IOException e) {
            throw new BadInputException(path + ": malformed JSON: " + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }
}
