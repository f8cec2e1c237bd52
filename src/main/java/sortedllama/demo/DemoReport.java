package sortedllama.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import sortedllama.io.AtomicFiles;

/** The demo's outputs: results.json, report.md, and PNG plots of held-out loss per layer and training curves. */
public final class DemoReport {
    private DemoReport() {}

    public static Path write(Path out, DemoPipeline.Settings settings, List<DemoPipeline.Variant> variants) throws IOException {
        writeJson(out.resolve("results.json"), settings, variants);
        plotHeldOut(out.resolve("heldout-loss-per-layer.png"), variants);
        plotCurves(out.resolve("training-loss.png"), variants);
        Path md = out.resolve("report.md");
        StringBuilder sb = new StringBuilder();
        sb.append("# sorted-llama demo: standard vs sorted fine-tuning on WordNet\n\n");
        sb.append(String.format(Locale.ROOT, "A %d-layer LLaMA (dim %d, vocabulary %d) trained twice from the same initialisation on the same "
                + "%d batches of %d x %d tokens: once on the last layer's loss, once on the mean loss of the exits %s (one shared final norm and head). "
                + "Held-out loss: WordNet entries of the held-out split.%n%n", settings.layers(), settings.dim(), settings.vocab(),
                settings.steps(), settings.batchSize(), settings.seqLen(), settings.sortedExits()));
        sb.append(table(variants)).append('\n');
        sb.append("![held-out loss per layer](heldout-loss-per-layer.png)\n\n![training loss](training-loss.png)\n\n");
        sb.append("## Dynamic inference on each trained model\n\n");
        sb.append("Greedy decoding of 48 tokens for 8 held-out prompts, against full depth measured in the same run. "
                + "Speculative decoding is lossless (identical outputs); adaptive early exit trades agreement for depth.\n\n");
        for (var v : variants) {
            sb.append("### ").append(v.name()).append(" (saved in ").append(v.modelDir().getFileName()).append("/)\n\n");
            sb.append("| mode | tokens/s | vs full | mean depth | accepted drafts | identical outputs | token agreement |\n");
            sb.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
            double full = v.modes().values().iterator().next().tokensPerSecond();
            v.modes().forEach((mode, t) -> sb.append(String.format(Locale.ROOT, "| %s | %.0f | %.2fx | %.2f | %s | %d/8 | %.3f |%n", mode,
                    t.tokensPerSecond(), t.tokensPerSecond() / full, t.meanDepth(),
                    Double.isNaN(t.acceptance()) ? "-" : String.format(Locale.ROOT, "%.2f", t.acceptance()), t.identicalOutputs(),
                    t.tokenAgreement())));
            sb.append('\n');
        }
        sb.append("## Greedy continuation of \"dog (noun):\" at every layer\n\n");
        for (var v : variants) {
            sb.append("### ").append(v.name()).append("\n\n| layer | text |\n| ---: | --- |\n");
            v.samples().forEach((layer, text) -> sb.append("| ").append(layer).append(" | ").append(text.replace("|", "\\|")).append(" |\n"));
            sb.append('\n');
        }
        AtomicFiles.writeString(md, sb.toString());
        return md;
    }

    /** Per-layer held-out loss and perplexity, both variants side by side. */
    public static String table(List<DemoPipeline.Variant> variants) {
        StringBuilder sb = new StringBuilder("| layer |");
        for (var v : variants) sb.append(' ').append(v.name()).append(" loss (ppl) |");
        sb.append("\n| ---: |");
        sb.append(" ---: |".repeat(variants.size())).append('\n');
        int layers = variants.get(0).heldOutLoss().length;
        for (int l = 0; l < layers; l++) {
            sb.append("| ").append(l + 1).append(" |");
            for (var v : variants) {
                double loss = v.heldOutLoss()[l];
                sb.append(String.format(Locale.ROOT, " %.3f (%.1f) |", loss, Math.exp(loss)));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    public static void printSummary(PrintWriter out, List<DemoPipeline.Variant> variants) {
        out.printf("%6s", "layer");
        for (var v : variants) out.printf(" %24s", v.name().length() > 24 ? v.name().substring(0, 24) : v.name());
        out.println();
        for (int l = 0; l < variants.get(0).heldOutLoss().length; l++) {
            out.printf("%6d", l + 1);
            for (var v : variants) out.printf(Locale.ROOT, " %24.3f", v.heldOutLoss()[l]);
            out.println();
        }
        out.println("(held-out cross-entropy in nats; lower is better)");
    }

    private static void writeJson(Path path, DemoPipeline.Settings settings, List<DemoPipeline.Variant> variants) throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("settings", settings.toString());
        List<Map<String, Object>> vs = new ArrayList<>();
        for (var v : variants) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", v.name());
            m.put("trained_exits", v.objective().exits());
            m.put("heldout_loss_per_layer", v.heldOutLoss());
            m.put("train_seconds", v.seconds());
            m.put("samples", v.samples());
            m.put("model_dir", v.modelDir().toString());
            m.put("decoding_modes", v.modes());
            vs.add(m);
        }
        root.put("variants", vs);
        AtomicFiles.writeString(path, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root));
    }

    private static void plotHeldOut(Path path, List<DemoPipeline.Variant> variants) throws IOException {
        XYChart chart = new XYChartBuilder().width(800).height(500).title("Held-out loss at every layer")
                .xAxisTitle("exit layer").yAxisTitle("cross-entropy (nats)").build();
        for (var v : variants) {
            double[] x = new double[v.heldOutLoss().length];
            for (int i = 0; i < x.length; i++) x[i] = i + 1;
            chart.addSeries(v.name(), x, v.heldOutLoss());
        }
        BitmapEncoder.saveBitmap(chart, path.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static void plotCurves(Path path, List<DemoPipeline.Variant> variants) throws IOException {
        XYChart chart = new XYChartBuilder().width(800).height(500).title("Training loss per trained exit")
                .xAxisTitle("step").yAxisTitle("cross-entropy (nats)").build();
        for (var v : variants) {
            int[] exits = v.objective().exits();
            for (int e = 0; e < exits.length; e++) {
                double[] x = new double[v.curve().size()], y = new double[x.length];
                for (int i = 0; i < x.length; i++) {
                    x[i] = i;
                    y[i] = v.curve().get(i)[e];
                }
                chart.addSeries(v.name().split(" ")[0] + " exit " + exits[e], x, y).setMarker(org.knowm.xchart.style.markers.SeriesMarkers.NONE);
            }
        }
        BitmapEncoder.saveBitmap(chart, path.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
