package sortedllama.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sortedllama.io.Llama2cWriter;
import sortedllama.model.TestModels;

/** generate --json and --json-schema: a random model's output is JSON of the schema; bad schemas and modes are one-line errors. */
class JsonOutputCliTest {
    @TempDir static Path dir;
    static String model, tokenizer, schema;

    @BeforeAll
    static void write() throws Exception {
        tokenizer = Path.of(JsonOutputCliTest.class.getResource("/tokenizer/wordnet_bpe_600.json").toURI()).toString();
        Llama2cWriter.write(dir.resolve("m.bin"), TestModels.random(TestModels.tinyConfig(2, 600, 512), 5, 6f).weights(), 0);
        model = dir.resolve("m.bin").toString();
        schema = dir.resolve("schema.json").toString();
        Files.writeString(Path.of(schema), """
                {"type":"object","properties":{"tree":{"enum":["oak","elm"]},"tall":{"type":"boolean"}},"required":["tree","tall"]}""");
    }

    static CliTest.Run generate(String... extra) {
        String[] base = {"generate", "--model", model, "--tokenizer", tokenizer, "--prompt", "Name a tree.", "--max-tokens", "300"};
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return CliTest.run(args);
    }

    @Test
    void theOutputIsAValueOfTheSchemaAtFullDepthAtAnExitAndSpeculatively() throws Exception {
        for (String[] depth : new String[][] {{}, {"--exit-layer", "1"}}) {
            String[] args = new String[depth.length + 2];
            System.arraycopy(depth, 0, args, 0, depth.length);
            args[depth.length] = "--json-schema";
            args[depth.length + 1] = schema;
            CliTest.Run run = generate(args);
            assertEquals(0, run.status(), run.err());
            JsonNode v = new ObjectMapper().readTree(run.out());
            assertTrue(Set.of("oak", "elm").contains(v.path("tree").textValue()), run.out());
            assertTrue(v.path("tall").isBoolean(), run.out());
        }
        CliTest.Run free = generate();
        assertEquals(0, free.status(), free.err());
        assertTrue(!free.out().strip().startsWith("{"), "without it the model writes what it likes: " + free.out());
        CliTest.Run object = generate("--json");
        assertEquals(0, object.status(), object.err());
        assertTrue(object.out().strip().startsWith("{"), object.out());
        CliTest.Run speculative = generate("--json", "--mode", "speculative", "--draft-exit", "1");
        assertEquals(0, speculative.status(), speculative.err());
        assertEquals(object.out(), speculative.out(), "greedy speculation gives full depth's output");
    }

    @Test
    void badSchemasAndModesAreOneLineErrors() throws Exception {
        Path patterned = dir.resolve("patterned.json");
        Files.writeString(patterned, "{\"type\":\"object\",\"properties\":{\"tree\":{\"type\":\"string\",\"pattern\":\"^o\"}}}");
        CliTest.Run run = generate("--json-schema", patterned.toString());
        assertEquals(2, run.status());
        assertEquals("sorted-llama: " + patterned + ": schema.properties.tree.pattern is not supported\n", run.err());
        run = generate("--json", "--ignore-eos");
        assertEquals(2, run.status());
        assertTrue(run.err().contains("drop --ignore-eos") && run.err().lines().count() == 1, run.err());
        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{\"type\":");
        run = generate("--json-schema", broken.toString());
        assertEquals(2, run.status());
        assertTrue(run.err().startsWith("sorted-llama: " + broken + ": not JSON") && run.err().lines().count() == 1, run.err());
        run = generate("--json", "--json-schema", schema);
        assertEquals(2, run.status());
        assertEquals("sorted-llama: give --json or --json-schema, not both\n", run.err());
    }
}
