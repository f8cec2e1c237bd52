package sortedllama;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the test data in ../shared (beside the checkout); tests skip with a message without it,
 * except under CI=true, where the data is provisioned and its absence is a failure.
 */
public final class SharedData {
    private SharedData() {}

    public static final Path ROOT = Path.of("..", "shared", "data");

    /** The file under ../shared/data, or a skipped test saying what is missing. */
    public static Path require(String relative) {
        Path p = ROOT.resolve(relative);
        if ("true".equals(System.getenv("CI")) && !Files.isRegularFile(p)) {
            fail(p.toAbsolutePath().normalize() + " is absent, and CI=true says ../shared is provisioned");
        }
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

    /** Stanford Alpaca, 1,000 records (a JSON array). */
    public static Path alpaca1k() {
        return require("alpaca/alpaca_data_1k.json");
    }

    /** PandaLM's 170 evaluation instructions (a JSON array; one has a blank instruction). */
    public static Path pandalm170() {
        return require("pandalm/testset-inference-v1.json");
    }

    /** 2,000 TriviaQA dev questions in Hugging Face's lower-case layout (a JSON array). */
    public static Path triviaqa2000() {
        return require("triviaqa/triviaqa-dev-subset.json");
    }
}
