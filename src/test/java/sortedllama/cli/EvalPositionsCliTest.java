package sortedllama.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sortedllama.cli.CliTest.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sortedllama.cli.CliTest.Run;
import sortedllama.io.Llama2cWriter;
import sortedllama.model.TestModels;

/** eval positions end to end on two tiny random models sharing the committed 600-token vocabulary. */
class EvalPositionsCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir static Path dir;
    static String a, b, tokenizer, data;

    @BeforeAll
    static void writeModels() throws Exception {
        tokenizer = Path.of(EvalPositionsCliTest.class.getResource("/tokenizer/wordnet_bpe_600.json").toURI()).toString();
        Llama2cWriter.write(dir.resolve("a.bin"), TestModels.random(TestModels.tinyConfig(3, 600, 256), 21, 6f).weights(), 0);
        Llama2cWriter.write(dir.resolve("b.bin"), TestModels.random(TestModels.tinyConfig(3, 600, 256), 22, 6f).weights(), 0);
        a = dir.resolve("a.bin").toString();
        b = dir.resolve("b.bin").toString();
        data = dir.resolve("instructions.jsonl").toString();
        Files.writeString(Path.of(data), """
                {"instruction": "Name a tree.", "input": ""}
                {"instruction": "Give a synonym.", "input": "happy"}
                """);
    }

    @Test
    void withinModelTheLastLayerIsTheReferenceAndPlotsAreWritten() throws Exception {
        Path out = dir.resolve("self");
        Run r = run("eval", "positions", "--model", a, "--tokenizer", tokenizer, "--data", data, "--positions", "6", "--json", "--out",
                out.toString());
        assertEquals(0, r.status(), r.err());
        JsonNode s = JSON.readTree(r.out());
        assertEquals(2, s.get("prompts").asInt());
        assertEquals(3, s.get("kl").size());
        assertEquals(6, s.get("kl").get(0).size());
        for (JsonNode kl : s.get("kl").get(2)) assertEquals(0, kl.asDouble(), 1e-9);
        for (JsonNode cos : s.get("cosine").get(2)) assertEquals(1, cos.asDouble(), 1e-6);
        assertEquals(s, JSON.readTree(Files.readString(out.resolve("positions.json"))));
        assertTrue(Files.size(out.resolve("positions-kl-per-position.png")) > 0);
        assertTrue(Files.size(out.resolve("positions-cosine-per-position.png")) > 0);
    }

    @Test
    void crossModelAgainstAnotherModelsLastLayer() throws Exception {
        Run r = run("eval", "positions", "--model", b, "--tokenizer", tokenizer, "--reference", a, "--data", data, "--positions", "4", "--json");
        assertEquals(0, r.status(), r.err());
        for (JsonNode kl : JSON.readTree(r.out()).get("kl").get(2)) assertTrue(kl.asDouble() > 1e-4, "another model's last layer differs");
        Run table = run("eval", "positions", "--model", b, "--tokenizer", tokenizer, "--reference", a, "--data", data, "--positions", "4");
        assertEquals(0, table.status(), table.err());
        assertTrue(table.out().contains("2 instructions x 4 positions"), table.out());
        Run missing = run("eval", "positions", "--model", b, "--tokenizer", tokenizer, "--reference", "/no/such.bin", "--data", data);
        assertEquals(2, missing.status());
        assertEquals(1, missing.err().strip().lines().count(), missing.err());
    }
}
