package sortedllama.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sortedllama.TestModels;
import sortedllama.cli.CliTest.Run;
import sortedllama.io.GgufWriter;

/** {@code tokenize} with a GGUF file's vocabulary, and special tokens plain or parsed. */
class TokenizeCliTest {
    @Test
    void tokenizesWithTheVocabularyOfAGgufFile() throws Exception {
        String gguf = Path.of(TokenizeCliTest.class.getResource("/llamacpp/F32.gguf").toURI()).toString();
        Run plain = CliTest.run("tokenize", "--tokenizer", gguf, "--text", "hello </s>");
        assertEquals(0, plain.status(), plain.err());
        assertTrue(plain.out().startsWith("[") && !plain.out().contains(",2]"), plain.out());
        Run parsed = CliTest.run("tokenize", "--tokenizer", gguf, "--text", "hello </s>", "--parse-special");
        assertEquals(0, parsed.status(), parsed.err());
        assertTrue(parsed.out().endsWith(",2]\n"), parsed.out());
        // the same text without the special token, then EOS's id
        Run prefix = CliTest.run("tokenize", "--tokenizer", gguf, "--text", "hello ");
        assertEquals(prefix.out().strip().replace("]", ",2]"), parsed.out().strip());
    }

    @Test
    void sentencePieceToo() throws Exception {
        String gguf = CliTest.fixture("tied_gguf_f32.gguf");
        Run plain = CliTest.run("tokenize", "--tokenizer", gguf, "--text", "a</s>");
        Run parsed = CliTest.run("tokenize", "--tokenizer", gguf, "--text", "a</s>", "--parse-special");
        assertEquals(0, parsed.status(), parsed.err());
        assertTrue(!plain.out().contains(",2]") && parsed.out().endsWith(",2]\n"), plain.out() + parsed.out());
        Run gen = CliTest.run("generate", "--model", gguf, "--prompt", "a</s>", "--parse-special", "--max-tokens", "2", "--ids");
        assertEquals(0, gen.status(), gen.err());
    }

    @Test
    void aGgufFileWithoutVocabularyIsRefused(@TempDir Path dir) {
        Path bare = dir.resolve("bare.gguf");
        GgufWriter.write(bare, TestModels.withVocabulary(600), null, null);
        Run r = CliTest.run("tokenize", "--tokenizer", bare.toString(), "--text", "hi");
        assertEquals(2, r.status());
        assertEquals("sorted-llama: " + bare + ": holds no vocabulary (no tokenizer.ggml.tokens)\n", r.err());
    }
}
