package sortedllama;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the test data in ../shared (beside the checkout); tests skip with a message without it. */
public final class SharedData {
    private SharedData() {}

    public static final Path ROOT = Path.of("..", "shared", "data");

    /** The file under ../shared/data, or a skipped test saying what is missing. */
    public static Path require(String relative) {
        Path p = ROOT.resolve(relative);
        assumeTrue(Files.isRegularFile(p), "skipped: " + p.toAbsolutePath().normalize()
                + " is absent (the ../shared test data beside the checkout; see ../shared/README.md)");
        return p;
    }

    public static Path stories260k() {
        return require("llama2c-260k/stories260K.bin");
    }

    public static Path llama2TokenizerModel() {
        return require("llama2-tokenizer/tokenizer.model");
    }

    public static Path llama2TokenizerBin() {
        return require("llama2-tokenizer/tokenizer.bin");
    }
}
