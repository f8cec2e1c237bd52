package sortedllama.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import sortedllama.BadInputException;

/** Finds the right reader for a tokenizer file, or builds one from a GGUF vocabulary. */
public final class Tokenizers {
    /** Llama 3's pre-tokenizer pattern ("llama-bpe" in GGUF). */
    static final String LLAMA3_SPLIT = BpeTrainer.LLAMA3_SPLIT;

    private Tokenizers() {}

    /**
     * @param path           tokenizer.model, tokenizer.bin, tokenizer.json, or a directory holding one
     * @param modelVocabSize the model's vocabulary size, checked against the tokenizer's; -1 to skip
     */
    public static Tokenizer load(Path path, int modelVocabSize) {
        Path file = path;
        if (Files.isDirectory(path)) {
            file = Files.isRegularFile(path.resolve("tokenizer.json")) ? path.resolve("tokenizer.json") : path.resolve("tokenizer.model");
        }
        if (!Files.isRegularFile(file)) throw new BadInputException(path + ": no such tokenizer file");
        String name = file.getFileName().toString();
        Tokenizer t;
        if (name.endsWith(".json")) t = HfTokenizerJson.read(file);
        else if (name.endsWith(".bin")) t = Llama2cTokenizerReader.read(file, modelVocabSize);
        else t = SentencePieceModelReader.read(file);
        Tokenizer.checkMatchesModel(t, modelVocabSize, file.toString());
        return t;
    }

    public static Tokenizer fromGguf(GgufVocabulary v) {
        int n = v.tokens().length;
        if ("llama".equals(v.model())) {
            int[] types = v.tokenTypes() != null ? v.tokenTypes() : new int[n];
            if (v.tokenTypes() == null) Arrays.fill(types, SentencePieceBpe.NORMAL);
            float[] scores = v.scores() != null ? v.scores() : new float[n];
            int unk = 0;
            for (int i = 0; i < n; i++) if (types[i] == SentencePieceBpe.UNKNOWN) { unk = i; break; }
            return new SentencePieceBpe(v.tokens(), scores, types, unk, v.bosId(), v.eosId(), true, false, " \u2047 ");
        }
        if ("gpt2".equals(v.model())) {
            if (v.merges() == null) throw new BadInputException("GGUF gpt2 vocabulary without tokenizer.ggml.merges");
            Map<String, Integer> specials = new LinkedHashMap<>();
            if (v.tokenTypes() != null) {
                for (int i = 0; i < n; i++) {
                    if (v.tokenTypes()[i] == SentencePieceBpe.CONTROL || v.tokenTypes()[i] == SentencePieceBpe.USER_DEFINED) specials.put(v.tokens()[i], i);
                }
            }
            boolean llama3 = "llama-bpe".equals(v.pre());
            return new ByteLevelBpe(v.tokens(), Arrays.asList(v.merges()), specials, llama3 ? LLAMA3_SPLIT : ByteLevelBpe.GPT2_SPLIT,
                    llama3, v.bosId(), v.eosId(), v.chatTemplate());
        }
        throw new BadInputException("GGUF tokenizer model \"" + v.model() + "\" is not supported (llama and gpt2 are)");
    }
}
