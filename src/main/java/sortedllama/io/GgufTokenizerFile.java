package sortedllama.io;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import sortedllama.BadInputException;
import sortedllama.tokenizer.GgufVocabulary;
import sortedllama.tokenizer.Tokenizer;
import sortedllama.tokenizer.Tokenizers;

/**
 * The tokenizer a GGUF file embeds ({@code tokenizer.ggml.*}), read on its own: for
 * {@code --tokenizer FILE.gguf}, from a model file or a vocabulary-only file such as llama.cpp's
 * {@code ggml-vocab-*.gguf}. Only the header is parsed; the tensors are not checked against any
 * model, and nothing stays mapped afterwards.
 */
public final class GgufTokenizerFile {
    private GgufTokenizerFile() {}

    public static Tokenizer read(Path path) {
        try (Arena arena = Arena.ofConfined()) {
            MappedFile f = MappedFile.open(path, arena);
            GgufVocabulary vocabulary = GgufReader.vocabulary(new GgufFile(f));
            if (vocabulary == null) throw f.error("holds no vocabulary (no tokenizer.ggml.tokens)");
            try {
                return Tokenizers.fromGguf(vocabulary);
            } catch (BadInputException e) {
                throw f.error("embedded vocabulary: " + e.getMessage());
            }
        }
    }
}
