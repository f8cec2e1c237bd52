package sortedllama.io;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import sortedllama.FuzzInvariant;
import sortedllama.tokenizer.Tokenizer;
import sortedllama.tokenizer.Tokenizers;

/**
 * Arbitrary bytes as every kind of file a user hands us: a GGUF, llama2.c or safetensors model, a
 * Hugging Face config.json, a llama2.c tokenizer.bin, a tokenizer.json, a SentencePiece
 * tokenizer.model. Loading (and checking the weights, or encoding and decoding a text) ends normally
 * or in one BadInputException, within the heap the input justifies ({@link FuzzInvariant}).
 *
 * <p>One target reaches every reader (an input's first byte picks it), because Jazzer fuzzes one
 * target per JVM: CI's time-boxed run covers them all, and the fuzzer learns which byte leads where.
 * Seeds: {@code src/test/resources/sortedllama/io/FileReadersFuzzTestInputs/anyFile/}, written by
 * {@link FuzzSeeds}, each named after its reader.
 */
class FileReadersFuzzTest {
    /** The readers, in the order {@link #anyFile}'s first byte picks them. */
    enum Kind {
        GGUF, LLAMA2C, SAFETENSORS, CONFIG, TOKENIZER_BIN, TOKENIZER_JSON, TOKENIZER_MODEL;

        /** The name of this kind's seeds (their prefix). */
        String target() {
            return List.of("gguf", "llama2c", "safetensors", "config", "tokenizerBin", "tokenizerJson", "tokenizerModel").get(ordinal());
        }

        void read(byte[] data) {
            switch (this) {
                case GGUF -> model(FuzzInvariant.file("gguf/model.gguf", data), data.length);
                case LLAMA2C -> model(FuzzInvariant.file("llama2c/model.bin", data), data.length);
                case SAFETENSORS -> { // beside a valid config.json
                    FuzzInvariant.file("safetensors/config.json", FuzzSeeds.tinyConfigJson());
                    model(FuzzInvariant.file("safetensors/model.safetensors", data).getParent(), data.length);
                }
                case CONFIG -> { // beside a valid model.safetensors
                    FuzzInvariant.file("config/model.safetensors", FuzzSeeds.tinySafetensors());
                    model(FuzzInvariant.file("config/config.json", data).getParent(), data.length);
                }
                case TOKENIZER_BIN -> tokenizer(FuzzInvariant.file("tokenizer-bin/tokenizer.bin", data), data.length);
                case TOKENIZER_JSON -> tokenizer(FuzzInvariant.file("tokenizer-json/tokenizer.json", data), data.length);
                case TOKENIZER_MODEL -> tokenizer(FuzzInvariant.file("tokenizer-model/tokenizer.model", data), data.length);
            }
        }
    }

    @FuzzTest(maxDuration = "30s")
    void anyFile(byte[] data) {
        if (data.length == 0) return;
        Kind.values()[Byte.toUnsignedInt(data[0]) % Kind.values().length].read(Arrays.copyOfRange(data, 1, data.length));
    }

    private static void model(Path path, long bytes) {
        FuzzInvariant.check(bytes, () -> {
            try (ModelFile f = ModelLoader.open(path)) {
                f.model();
            }
        });
    }

    private static void tokenizer(Path file, long bytes) {
        FuzzInvariant.check(bytes, () -> {
            Tokenizer t = Tokenizers.load(file, -1);
            t.decode(t.encode("Hello, wörld! 12 \uD83D\uDE00 <s>"));
        });
    }
}
