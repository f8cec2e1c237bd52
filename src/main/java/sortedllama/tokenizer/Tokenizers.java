package sortedllama.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import sortedllama.BadInputException;
import sortedllama.io.GgufTokenizerFile;

/** Finds the right reader for a tokenizer file, or builds a tokenizer from a GGUF vocabulary. */
public final class Tokenizers {
    /** What a directory is searched for, in this order. */
    private static final String[] FILE_NAMES = {"tokenizer.json", "tokenizer.model", "tokenizer.bin"};

    private Tokenizers() {}

    /**
     * @param path           tokenizer.model (SentencePiece), tokenizer.bin (llama2.c), tokenizer.json
     *                       (Hugging Face), a GGUF file's embedded vocabulary (*.gguf), or a directory
     *                       holding one of the first three
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
        else if (name.endsWith(".gguf")) t = GgufTokenizerFile.read(file);
        else throw new BadInputException(file + ": unknown kind of tokenizer file (expected .model, .bin, tokenizer.json or .gguf)");
        Tokenizer.checkMatchesModel(t, modelVocabSize, file.toString());
        return t;
    }

    private static Path findIn(Path dir) {
        return find(dir).orElseThrow(() -> new BadInputException(dir + ": directory holds no " + String.join(", ", FILE_NAMES)));
    }

    /** The tokenizer file a directory holds (tokenizer.json, tokenizer.model or tokenizer.bin, in that order), if any. */
    public static Optional<Path> find(Path dir) {
        for (String name : FILE_NAMES) {
            if (Files.isRegularFile(dir.resolve(name))) return Optional.of(dir.resolve(name));
        }
        return Optional.empty();
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

    /**
     * The vocabulary to embed in a GGUF file, from which {@link #fromGguf} builds a tokenizer that
     * encodes and decodes as this one does.
     *
     * @throws BadInputException when GGUF cannot record how this tokenizer works; the message says what
     */
    public static GgufVocabulary toGguf(Tokenizer tokenizer) {
        return switch (tokenizer) {
            case SentencePieceBpe sp -> sp.toGgufVocabulary();
            case ByteLevelBpe bpe -> bpe.toGgufVocabulary();
            default -> throw new BadInputException(tokenizer.getClass().getSimpleName() + " has no GGUF form");
        };
    }

    private static SentencePieceBpe sentencePieceFromGguf(GgufVocabulary v) {
        String[] tokens = v.tokens();
        if (v.scores() == null) throw new BadInputException("GGUF llama vocabulary without tokenizer.ggml.scores");
        int[] types = v.tokenTypes() != null ? v.tokenTypes() : PieceTypes.llamaConventions(tokens, v.bosId(), v.eosId());
        boolean byteFallback = Arrays.stream(types).anyMatch(t -> t == PieceTypes.BYTE);
        var normalizer = new SentencePieceNormalizer(v.addSpacePrefix(), v.removeExtraWhitespaces(), true);
        return new SentencePieceBpe(tokens, v.scores(), types, v.bosId(), v.eosId(), byteFallback, normalizer,
                SentencePieceBpe.DEFAULT_UNK_SURFACE);
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
        String pre = v.pre() == null ? "default" : v.pre();
        PreTokenizer.GgufSplit split = PreTokenizer.ggufSplit(pre);
        if (split == null) {
            throw new BadInputException("GGUF pre-tokenizer \"" + pre + "\" is not supported (" + String.join(", ",
                    PreTokenizer.GGUF_SPLITS.stream().flatMap(s -> s.names().stream()).toList()) + " are)");
        }
        return new ByteLevelBpe(tokens, v.tokenTypes(), Arrays.asList(v.merges()), specials, List.of(),
                PreTokenizer.regex(split.regex()), split.ignoreMerges(), v.bosId(), v.eosId(), v.chatTemplate());
    }
}
