package sortedllama.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import sortedllama.BadInputException;

/** Finds the right reader for a tokenizer file, or builds a tokenizer from a GGUF vocabulary. */
public final class Tokenizers {
    /** What a directory is searched for, in this order. */
    private static final String[] FILE_NAMES = {"tokenizer.json", "tokenizer.model", "tokenizer.bin"};

    private Tokenizers() {}

    /**
     * @param path           tokenizer.model (SentencePiece), tokenizer.bin (llama2.c), tokenizer.json
     *                       (Hugging Face), or a directory holding one of them
     * @param modelVocabSize the model's vocabulary size, checked against the tokenizer's; -1 to skip
     */
    public static Tokenizer load(Path path, int modelVocabSize) {
        Path file = Files.isDirectory(path) ? findIn(path) : path;
        if (!Files.isRegularFile(file)) throw new BadInputException(path + ": no such tokenizer file");
        String name = file.getFileName().toString();
        Tokenizer t;
        if (name.endsWith(".json")) t = HfTokenizerJson.read(file);
        else if (name.endsWith(".bin")) t = Llama2cTokenizerReader.read(file);
        else if (name.endsWith(".model")) t = SentencePieceModelReader.read(file);
        else throw new BadInputException(file + ": unknown kind of tokenizer file (expected .model, .bin or tokenizer.json)");
        Tokenizer.checkMatchesModel(t, modelVocabSize, file.toString());
        return t;
    }

    private static Path findIn(Path dir) {
        return find(dir).orElseThrow(() -> new BadInputException(dir + ": directory holds no " + String.join(", ", FILE_NAMES)));
    }

    /** The tokenizer file a directory holds (tokenizer.json, tokenizer.model or tokenizer.bin, in that order), if any. */
    public static java.util.Optional<Path> find(Path dir) {
        for (String name : FILE_NAMES) {
            if (Files.isRegularFile(dir.resolve(name))) return java.util.Optional.of(dir.resolve(name));
        }
        return java.util.Optional.empty();
    }

    /**
     * The tokenizer a GGUF file embeds: "llama" is SentencePiece's BPE with scores, "gpt2" a
     * byte-level BPE with merges, split as {@code tokenizer.ggml.pre} names.
     */
    public static Tokenizer fromGguf(GgufVocabulary v) {
        if (v.model() == null) throw new BadInputException("GGUF vocabulary without tokenizer.ggml.model");
        return switch (v.model()) {
            case "llama" -> sentencePieceFromGguf(v);
            case "gpt2" -> byteLevelFromGguf(v);
            default -> throw new BadInputException("GGUF tokenizer model \"" + v.model() + "\" is not supported (llama and gpt2 are)");
        };
    }

    private static SentencePieceBpe sentencePieceFromGguf(GgufVocabulary v) {
        String[] tokens = v.tokens();
        if (v.scores() == null) throw new BadInputException("GGUF llama vocabulary without tokenizer.ggml.scores");
        int[] types = v.tokenTypes() != null ? v.tokenTypes() : PieceTypes.llamaConventions(tokens, v.bosId(), v.eosId());
        boolean byteFallback = Arrays.stream(types).anyMatch(t -> t == PieceTypes.BYTE);
        return new SentencePieceBpe(tokens, v.scores(), types, v.bosId(), v.eosId(), byteFallback, SentencePieceNormalizer.LLAMA,
                " \u2047 ");
    }

    private static ByteLevelBpe byteLevelFromGguf(GgufVocabulary v) {
        if (v.merges() == null) throw new BadInputException("GGUF gpt2 vocabulary without tokenizer.ggml.merges");
        String[] tokens = v.tokens();
        // llama.cpp matches control and user-defined tokens literally in text, as Hugging Face does added tokens
        Map<String, Integer> specials = new LinkedHashMap<>();
        if (v.tokenTypes() != null) {
            for (int i = 0; i < tokens.length; i++) {
                int type = v.tokenTypes()[i];
                if (type == PieceTypes.CONTROL || type == PieceTypes.USER_DEFINED) specials.putIfAbsent(tokens[i], i);
            }
        }
        // tokenizer.ggml.pre names the split; llama.cpp also takes whole pieces found in Llama 3's vocabulary
        String pre = v.pre() == null ? "default" : v.pre();
        boolean llama3 = switch (pre) {
            case "default", "gpt-2", "gpt2" -> false;
            case "llama-bpe", "llama3", "smaug-bpe" -> true;
            default -> throw new BadInputException("GGUF pre-tokenizer \"" + pre
                    + "\" is not supported (default, gpt-2 and llama-bpe are)");
        };
        return new ByteLevelBpe(tokens, Arrays.asList(v.merges()), specials, List.of(),
                PreTokenizer.regex(llama3 ? PreTokenizer.LLAMA3_SPLIT : PreTokenizer.GPT2_SPLIT), llama3, v.bosId(), v.eosId(),
                v.chatTemplate());
    }
}
