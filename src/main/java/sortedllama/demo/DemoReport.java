package sortedllama.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.awt.BasicStroke;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;
import sortedllama.io.AtomicFiles;

/**
 * The demo's outputs: results.json, report.md, and PNG plots like the paper's figures (held-out
 * loss per layer, QA exact match and judged score per exit for each method, KL and cosine per
 * layer, speed against quality, training curves).
 */
public final class DemoReport {
    private DemoReport() {}

    public static Path write(Path out, DemoPipeline.Settings settings, DemoPipeline.Results results, double seconds) throws IOException {
        var variants = results.variants();
        writeJson(out.resolve("results.json"), settings, results, seconds);
        int layers = variants.get(0).heldOutLoss().length;
        plotPerLayer(out.resolve("heldout-loss-per-layer.png"), "Held-out loss at every layer", "cross-entropy (nats)", variants, layers,
                v -> v.heldOutLoss());
        plotPerExit(out.resolve("qa-exact-match-per-exit.png"), "Closed-book QA exact match (test split)", "exact match", variants,
                e -> e.qa().exactMatch());
        plotPerExit(out.resolve("judged-score-per-exit.png"), "Instruction answers judged against SFT at the same exit", "(wins - losses) / prompts",
                judgedOnly(variants), null);
        plotPerLayer(out.resolve("kl-per-layer.png"), "KL divergence of each layer's next-token distribution from the last layer's",
                "KL (nats)", analysed(variants), layers, v -> column(v, true));
        plotPerLayer(out.resolve("cosine-per-layer.png"), "Cosine similarity of each layer's hidden state with the last layer's",
                "cosine", analysed(variants), layers, v -> column(v, false));
        plotSpeedQuality(out.resolve("speed-vs-quality.png"), variants);
        plotCurves(out.resolve("training-loss.png"), variants.subList(0, 2));

        StringBuilder sb = new StringBuilder();
        if (settings.dataDir() == null) {
            sb.append("# sorted-llama demo: SFT, SoFT, SFT+ICT and extracted fine-tuning on WordNet tasks\n\n");
            sb.append(String.format(Locale.ROOT, "The committed base model (a %d-layer LLaMA pre-trained on WordNet text, see `pretraining.json` in the base "
                    + "folder) is fine-tuned on instruction and closed-book QA tasks (train split) by every method, %d steps of %d x %d tokens, "
                    + "the same batches in the same order; SoFT trains the exits %s with one shared final norm and head. Scores on the test "
                    + "split, which the fine-tuning never saw (its facts are in the pre-training text). Total time %.0f s.%n%n",
                    layers, settings.steps(), settings.batchSize(), settings.seqLen(), settings.exits(), seconds));
        } else {
            var scored = variants.get(0).exits().values().iterator().next();
            sb.append("# sorted-llama demo on real data: SFT, SoFT, SFT+ICT and extracted fine-tuning\n\n");
            sb.append(String.format(Locale.ROOT, "The committed base model (a %d-layer LLaMA pre-trained on WordNet text only) is fine-tuned by every "
                    + "method on the real subsets of %s (tasks: %s; Stanford Alpaca: all but the last %d + %d records, TriviaQA: all but the "
                    + "last %d + %d questions, the held-back records being validation and test), %d steps of %d x %d tokens, the same batches "
                    + "in the same order; SoFT trains the exits %s with one shared final norm and head. Closed-book QA is scored on %d of "
                    + "the last %d TriviaQA questions, instruction answers on %d of the last %d Alpaca records (against their reference "
                    + "outputs; held-out records whose prompt leaves no room for the answer in the %d-token context are left out). "
                    + "Total time %.0f s.%n%n", layers, settings.dataDir(), settings.tasks(), RealDataTasks.ALPACA_VALIDATION,
                    RealDataTasks.ALPACA_TEST, RealDataTasks.TRIVIAQA_VALIDATION, RealDataTasks.TRIVIAQA_TEST, settings.steps(),
                    settings.batchSize(), settings.seqLen(), settings.exits(), scored.qa().questions(), RealDataTasks.TRIVIAQA_TEST,
                    scored.answers().size(), RealDataTasks.ALPACA_TEST, results.contextLength(), seconds));
        }
        sb.append("## Held-out loss at every exit (validation split, nats)\n\n").append(exitTable(variants,
                (v, k) -> String.format(Locale.ROOT, "%.3f", v.exits().get(k).heldOutLoss()))).append('\n');
        sb.append("## Closed-book QA exact match (normalised, best over aliases; case-sensitive in brackets)\n\n");
        sb.append(exitTable(variants, (v, k) -> {
            var qa = v.exits().get(k).qa();
            return String.format(Locale.ROOT, "%.3f (%.3f)", qa.exactMatch(), qa.caseSensitiveExactMatch());
        })).append('\n');
        sb.append("## Instruction following: answers judged against SFT's at the same exit\n\n");
        sb.append("Score (wins - losses) / prompts in [-1, 1], as the paper scores PandaLM's verdicts; the judge prefers the answer with the "
                + "higher token F1 against the reference answer (no judge model can run in the demo; `eval judge` takes a model or an "
                + "OpenAI-compatible endpoint). Mean token F1 in brackets.\n\n");
        sb.append(exitTable(variants, (v, k) -> String.format(Locale.ROOT, "%+.3f (%.3f)", v.judged().get(k).score(),
                v.exits().get(k).instructionF1()))).append('\n');
        sb.append("![held-out loss per layer](heldout-loss-per-layer.png)\n\n![QA exact match per exit](qa-exact-match-per-exit.png)\n\n");
        sb.append("![judged score per exit](judged-score-per-exit.png)\n\n![speed vs quality](speed-vs-quality.png)\n\n");
        sb.append("## Analysis: how far each layer is from the last\n\n");
        sb.append("KL divergence of each layer's next-token distribution from the last layer's, and cosine similarity of hidden states, "
                + "over the validation text.\n\n");
        sb.append(analysisTable(analysed(variants))).append('\n');
        sb.append("![KL per layer](kl-per-layer.png)\n\n![cosine per layer](cosine-per-layer.png)\n\n![training loss](training-loss.png)\n\n");
        sb.append("## Dynamic inference\n\n");
        sb.append("Greedy decoding of 8 held-out instructions (48 tokens each) and 16 held-out questions (6 tokens each: short answers), "
                + "against full depth in the same run (" + DemoPipeline.LONG_ANSWER_RUNS + " and " + DemoPipeline.SHORT_ANSWER_RUNS
                + " timed runs, the modes taking turns on each prompt, each prompt's fastest run kept). Speculative decoding is lossless (identical outputs) and falls back to full depth "
                + "while it measures slower; adaptive early exit trades agreement for depth. Token agreement is the share of full depth's "
                + "tokens a mode reproduces before its first divergence (after it the two texts differ).\n\n");
        for (var v : variants) {
            v.modes().forEach((set, modes) -> {
                sb.append("### ").append(v.name()).append(": ").append(set).append("\n\n");
                sb.append("| mode | tokens/s | vs full | mean depth | accepted drafts | identical outputs | token agreement |\n");
                sb.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
                double full = modes.values().iterator().next().tokensPerSecond();
                int prompts = set.equals(DemoPipeline.SHORT_ANSWERS) ? 16 : 8;
                modes.forEach((mode, t) -> sb.append(String.format(Locale.ROOT, "| %s | %.0f | %.2fx | %.2f | %s | %d/%d | %.3f |%n", mode,
                        t.tokensPerSecond(), t.tokensPerSecond() / full, t.meanDepth(),
                        Double.isNaN(t.acceptance()) ? "-" : String.format(Locale.ROOT, "%.2f", t.acceptance()), t.identicalOutputs(),
                        prompts, t.tokenAgreement())));
                sb.append('\n');
            });
        }
        sb.append(FurtherReport.markdown(out, results));
        sb.append("## Greedy answers to one held-out instruction at every layer\n\n");
        for (var v : variants) {
            if (v.samples().isEmpty()) continue;
            sb.append("### ").append(v.name()).append("\n\n| layer | answer |\n| ---: | --- |\n");
            v.samples().forEach((layer, text) -> sb.append("| ").append(layer).append(" | ").append(text.replace("|", "\\|")).append(" |\n"));
            sb.append('\n');
        }
        Path md = out.resolve("report.md");
        AtomicFiles.writeString(md, sb.toString());
        return md;
    }

    /** One row per exit of the exit set, one column per method; {@code cell} writes a method's value at an exit. */
    static String exitTable(List<DemoPipeline.Variant> variants, BiFunction<DemoPipeline.Variant, Integer, String> cell) {
        StringBuilder sb = header(variants);
        for (int k : variants.get(0).exits().keySet()) {
            sb.append("| ").append(k).append(" |");
            for (var v : variants) sb.append(' ').append(cell.apply(v, k)).append(" |");
            sb.append('\n');
        }
        return sb.toString();
    }

    private static String analysisTable(List<DemoPipeline.Variant> variants) {
        StringBuilder sb = new StringBuilder("| layer |");
        for (var v : variants) sb.append(' ').append(v.name()).append(" KL / cosine |");
        sb.append("\n| ---: |").append(" ---: |".repeat(variants.size())).append('\n');
        for (int l = 0; l < variants.get(0).analysis().length; l++) {
            sb.append("| ").append(l + 1).append(" |");
            for (var v : variants) {
                var a = v.analysis()[l];
                sb.append(String.format(Locale.ROOT, " %.3f / %.3f |", a.klFromLast(), a.cosineWithLast()));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    private static StringBuilder header(List<DemoPipeline.Variant> variants) {
        StringBuilder sb = new StringBuilder("| exit |");
        for (var v : variants) sb.append(' ').append(v.name()).append(" |");
        return sb.append("\n| ---: |").append(" ---: |".repeat(variants.size())).append('\n');
    }

    public static void printSummary(PrintWriter out, List<DemoPipeline.Variant> variants) {
        out.println("held-out loss (nats, lower is better) / closed-book QA exact match, by exit:");
        out.printf("%5s", "exit");
        for (var v : variants) out.printf(" %18s", v.name().length() > 18 ? v.name().substring(0, 18) : v.name());
        out.println();
        for (int k : variants.get(0).exits().keySet()) {
            out.printf("%5d", k);
            for (var v : variants) {
                var e = v.exits().get(k);
                out.printf(Locale.ROOT, " %10.3f / %5.3f", e.heldOutLoss(), e.qa().exactMatch());
            }
            out.println();
        }
    }

    private static List<DemoPipeline.Variant> analysed(List<DemoPipeline.Variant> variants) {
        return variants.stream().filter(v -> v.analysis() != null).toList();
    }

    private static List<DemoPipeline.Variant> judgedOnly(List<DemoPipeline.Variant> variants) {
        return variants.stream().filter(v -> !v.name().equals("SFT")).toList();
    }

    private static double[] column(DemoPipeline.Variant v, boolean kl) {
        double[] out = new double[v.analysis().length];
        for (int l = 0; l < out.length; l++) out[l] = kl ? v.analysis()[l].klFromLast() : v.analysis()[l].cosineWithLast();
        return out;
    }

    private static void writeJson(Path path, DemoPipeline.Settings settings, DemoPipeline.Results results, double seconds) throws IOException {
        var variants = results.variants();
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("settings", settings.toString());
        root.put("seconds", seconds);
        List<Map<String, Object>> vs = new ArrayList<>();
        for (var v : variants) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", v.name());
            m.put("trained_exits", v.trainedExits());
            m.put("train_seconds", v.seconds());
            m.put("heldout_loss_per_layer", nullIfNaN(v.heldOutLoss()));
            List<Map<String, Object>> exits = new ArrayList<>();
            v.exits().forEach((k, e) -> {
                Map<String, Object> x = new LinkedHashMap<>();
                x.put("layer", k);
                x.put("heldout_loss", e.heldOutLoss());
                x.put("qa_exact_match", e.qa().exactMatch());
                x.put("qa_f1", e.qa().f1());
                x.put("qa_case_sensitive_exact_match", e.qa().caseSensitiveExactMatch());
                x.put("qa_questions", e.qa().questions());
                x.put("instruction_f1", e.instructionF1());
                x.put("tokens_per_s", e.tokensPerSecond());
                var j = v.judged().get(k);
                if (j != null) {
                    var c = j.combined();
                    x.put("judged_vs_sft", Map.of("wins", c.wins(), "ties", c.ties(), "losses", c.losses(), "score", j.score(),
                            "consistency", j.consistency()));
                }
                exits.add(x);
            });
            m.put("exits", exits);
            if (v.analysis() != null) {
                m.put("kl_from_last_per_layer", column(v, true));
                m.put("cosine_with_last_per_layer", column(v, false));
            }
            if (!v.modes().isEmpty()) m.put("decoding_modes", v.modes());
            if (!v.samples().isEmpty()) m.put("samples", v.samples());
            vs.add(m);
        }
        root.put("variants", vs);
        root.put("further", FurtherReport.json(results));
        AtomicFiles.writeString(path, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root));
    }

    private static Double[] nullIfNaN(double[] values) {
        Double[] out = new Double[values.length];
        for (int i = 0; i < values.length; i++) out[i] = Double.isNaN(values[i]) ? null : values[i];
        return out;
    }

    private static XYChart chart(String title, String x, String y) {
        return new XYChartBuilder().width(800).height(500).title(title).xAxisTitle(x).yAxisTitle(y).build();
    }

    /** One series per method over the layers where it has a value. */
    private static void plotPerLayer(Path path, String title, String yTitle, List<DemoPipeline.Variant> variants, int layers,
                                     Function<DemoPipeline.Variant, double[]> values) throws IOException {
        XYChart chart = chart(title, "layer", yTitle);
        for (var v : variants) {
            double[] y = values.apply(v);
            List<Double> xs = new ArrayList<>(), ys = new ArrayList<>();
            for (int l = 0; l < Math.min(layers, y.length); l++) {
                if (Double.isNaN(y[l])) continue;
                xs.add(l + 1.0);
                ys.add(y[l]);
            }
            if (!xs.isEmpty()) chart.addSeries(v.name(), xs, ys);
        }
        BitmapEncoder.saveBitmap(chart, path.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** One series per method over the exits; {@code value} null plots the judged score. */
    private static void plotPerExit(Path path, String title, String yTitle, List<DemoPipeline.Variant> variants,
                                    ToDoubleFunction<ExitEvaluation> value) throws IOException {
        XYChart chart = chart(title, "exit layer", yTitle);
        for (var v : variants) {
            List<Double> xs = new ArrayList<>(), ys = new ArrayList<>();
            v.exits().forEach((k, e) -> {
                xs.add((double) k);
                ys.add(value != null ? value.applyAsDouble(e) : v.judged().get(k).score());
            });
            chart.addSeries(v.name(), xs, ys);
        }
        BitmapEncoder.saveBitmap(chart, path.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    /** Each exit of each method as a point: decoding speed at that depth against QA exact match. */
    private static void plotSpeedQuality(Path path, List<DemoPipeline.Variant> variants) throws IOException {
        XYChart chart = chart("Speed against quality: each exit of each method", "greedy tokens/s at that exit", "QA exact match");
        for (var v : variants) {
            List<Double> xs = new ArrayList<>(), ys = new ArrayList<>();
            v.exits().values().forEach(e -> {
                xs.add(e.tokensPerSecond());
                ys.add(e.qa().exactMatch());
            });
            chart.addSeries(v.name(), xs, ys).setLineStyle(new BasicStroke(0f));
        }
        BitmapEncoder.saveBitmap(chart, path.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static void plotCurves(Path path, List<DemoPipeline.Variant> variants) throws IOException {
        XYChart chart = chart("Training loss per trained exit", "step", "cross-entropy (nats)");
        for (var v : variants) {
            int[] exits = v.trainedExits();
            for (int e = 0; e < exits.length; e++) {
                double[] x = new double[v.curve().size()], y = new double[x.length];
                for (int i = 0; i < x.length; i++) {
                    x[i] = i;
                    y[i] = v.curve().get(i)[e];
                }
                chart.addSeries(v.name() + " exit " + exits[e], x, y).setMarker(SeriesMarkers.NONE);
            }
        }
        BitmapEncoder.saveBitmap(chart, path.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
