package sortedllama.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sortedllama.io.ModelFile;
import sortedllama.io.ModelLoader;

/**
 * The demo end to end on the committed base model, with a few steps and questions: every method
 * trains, every exit is scored, the report and plots are written, and the methods that share a
 * model at the last layer (SFT, SFT+ICT, EFT's full-depth model) score identically there.
 */
class DemoPipelineTest {

    @Test
    void shortRunProducesTheWholeReport(@TempDir Path out) throws Exception {
        var d = DemoPipeline.Settings.defaults(out);
        var settings = new DemoPipeline.Settings(out, null, 3, 4, 128, "every:2", d.learningRate(), 42, 2, 6, 3, null, "both", 2);
        StringWriter logText = new StringWriter();
        var run = new DemoPipeline(settings, new PrintWriter(logText, true)).run();
        List<DemoPipeline.Variant> variants = run.variants();
        Path report = DemoReport.write(out, settings, run, 1.0);

        assertEquals(List.of("SFT", "SoFT", "SoFT 2x steps", "SFT+ICT", "Extracted (EFT)"), variants.stream().map(DemoPipeline.Variant::name).toList());
        for (var v : variants) assertEquals(Set.of(2, 4, 6, 8), v.exits().keySet(), v.name());
        var sft = variants.get(0).exits().get(8);
        for (var same : List.of(variants.get(3), variants.get(4))) {
            var e = same.exits().get(8);
            assertEquals(sft.heldOutLoss(), e.heldOutLoss(), 1e-9, same.name() + " is SFT at the last layer");
            assertEquals(sft.qa(), e.qa(), same.name());
            assertEquals(sft.answers(), e.answers(), same.name());
            assertEquals(0.0, same.judged().get(8).score(), same.name());
        }
        assertTrue(variants.get(3).heldOutLoss()[1] != variants.get(0).heldOutLoss()[1], "ICT's exit 2 has its own head");

        String md = Files.readString(report);
        for (String section : List.of("## Held-out loss at every exit", "## Closed-book QA exact match", "## Instruction following",
                "## Analysis", "## Dynamic inference", "speculative, draft exit 2", "## Direct comparisons", "SoFT vs Extracted (EFT)",
                "## Decoding modes' answer quality", "## KL and cosine per generated position")) {
            assertTrue(md.contains(section), section);
        }
        for (String png : List.of("heldout-loss-per-layer", "qa-exact-match-per-exit", "judged-score-per-exit", "kl-per-layer",
                "cosine-per-layer", "speed-vs-quality", "training-loss", "positions-soft-kl-per-position", "positions-sft-cosine-per-position",
                "positions-sft-vs-soft-kl-per-position")) {
            assertTrue(Files.size(out.resolve(png + ".png")) > 5000, png);
        }
        JsonNode results = new ObjectMapper().readTree(out.resolve("results.json").toFile());
        assertEquals(5, results.get("variants").size());
        assertEquals(8, results.get("variants").get(1).get("kl_from_last_per_layer").size());
        assertEquals(0.0, results.get("variants").get(1).get("kl_from_last_per_layer").get(7).asDouble(), 1e-9);
        JsonNode further = results.get("further");
        // the QA curve: after steps 2 and 3 (the end), every exit; the last point is the final model's score
        JsonNode curve = further.get("qa_curve").get("SoFT");
        assertEquals(List.of(2, 3), StreamSupport.stream(curve.spliterator(), false).map(p -> p.get("step").asInt()).toList());
        assertEquals(variants.get(1).exits().get(4).qa().exactMatch(), curve.get(1).get("exact_match").get("4").asDouble(), 1e-12);
        // greedy speculative decoding is exact: its answers score as autoregressive decoding's, a tie with them
        JsonNode decoding = further.get("decoding_quality");
        assertEquals(10, decoding.size(), "5 modes x greedy and sampled");
        assertEquals(decoding.get(0).get("qa_exact_match"), decoding.get(1).get("qa_exact_match"));
        assertEquals(0.0, decoding.get(1).get("judged_vs_autoregressive").asDouble(), 1e-12);
        // SoFT against SFT directly is the judged table's SoFT column
        assertEquals(variants.get(1).judged().get(4).score(), further.get("direct_comparisons").get("SoFT vs SFT").get("4").asDouble(), 1e-12);
        var softSelf = results.path("further").get("per_position").get("SoFT").get("kl");
        for (JsonNode kl : softSelf.get(7)) assertEquals(0.0, kl.asDouble(), 1e-9, "SoFT's last layer against itself");
        try (ModelFile ict = ModelLoader.open(out.resolve("model-sft-ict"))) {
            assertEquals(Set.of(2, 4, 6), ict.weights().exitHeads.keySet());
            assertEquals(List.of(2, 4, 6, 8), Arrays.stream(ict.exitSet().layers()).boxed().toList());
        }
    }
}
