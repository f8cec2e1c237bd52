package sortedllama.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import sortedllama.io.GgufTokenizerFile;

/**
 * {@code --tokenizer FILE.gguf} on llama.cpp's own vocabulary-only files against llama.cpp's
 * tokenizer: its test cases ({@code .inp}/{@code .out} beside each file, plain text) and, with and
 * without parsed special tokens, the ids of src/test/resources/tokenizer/llamacpp_special.json
 * (tools/tokenizer/make_llamacpp_special_fixtures.mjs). The files are not committed: the test runs
 * where llama.cpp's source is (-Dsortedllama.llamacpp.models=DIR, default /opt/llamacpp/src/models).
 */
class LlamaCppVocabularyTest {
    private static final String SEPARATOR = "\n__ggml_vocab_test__\n";

    private static Path vocabulary(String name) {
        Path dir = Path.of(System.getProperty("sortedllama.llamacpp.models", "/opt/llamacpp/src/models"));
        Path file = dir.resolve(name);
        assumeTrue(Files.isRegularFile(file), "skipped: no " + file + " (-Dsortedllama.llamacpp.models=DIR)");
        return file;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"ggml-vocab-llama-spm.gguf", "ggml-vocab-llama-bpe.gguf"})
    void encodesAsLlamaCpp(String name) throws IOException {
        Path file = vocabulary(name);
        Tokenizer t = GgufTokenizerFile.read(file);
        String[] texts = Files.readString(file.resolveSibling(name + ".inp")).split(SEPARATOR, -1);
        List<String> expected = Files.readAllLines(file.resolveSibling(name + ".out"));
        for (int i = 0; i < expected.size(); i++) {
            StringBuilder got = new StringBuilder();
            for (int id : t.encode(texts[i])) got.append(' ').append(id);
            assertEquals(expected.get(i), got.toString(), TokenizerFixtures.visible(texts[i]));
        }
        for (JsonNode c : TokenizerFixtures.json("llamacpp_special.json").get("vocabularies").get(name)) {
            String text = c.get("text").asText();
            assertArrayEquals(TokenizerFixtures.ids(c.get("plain")), t.encode(text), "plain: " + TokenizerFixtures.visible(text));
            assertArrayEquals(TokenizerFixtures.ids(c.get("special")), t.encode(text, true), "parsed: " + TokenizerFixtures.visible(text));
        }
    }
}
