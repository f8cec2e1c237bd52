package sortedllama.demo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import sortedllama.eval.PairwiseScore;
import sortedllama.eval.PositionAnalysis;
import sortedllama.eval.PositionPlots;

/**
 * The report's sections on the further experiments: direct comparisons of SoFT with SFT+ICT and
 * extracted fine-tuning exit by exit (the paper's Table 9), the decoding modes' answer quality
 * (Table 2), KL and cosine per generated position (Fig. 4/5, with plots), and the open
 * instructions' answer files.
 */
final class FurtherReport {
    private FurtherReport() {}

    /** The methods SoFT is compared with directly, by their names in the demo. */
    static final List<String> RIVALS = List.of("SFT", "SFT+ICT", "Extracted (EFT)");

    /** SoFT's judged score against each rival at each exit (reference-F1 judge, both orders). */
    static Map<String, Map<Integer, PairwiseScore>> directComparisons(List<DemoPipeline.Variant> variants) {
        var soft = byName(variants, "SoFT");
        Map<String, Map<Integer, PairwiseScore>> out = new LinkedHashMap<>();
        for (String rival : RIVALS) {
            var other = byName(variants, rival);
            Map<Integer, PairwiseScore> row = new LinkedHashMap<>();
            for (int k : soft.exits().keySet()) row.put(k, ReferenceJudge.compare(soft.exits().get(k).answerF1(), other.exits().get(k).answerF1()));
            out.put(rival, row);
        }
        return out;
    }

    static String markdown(Path out, DemoPipeline.Results results) throws IOException {
        var variants = results.variants();
        var further = results.further();
        StringBuilder sb = new StringBuilder();
        sb.append("## Direct comparisons: SoFT against each method at the same exit\n\n");
        sb.append("SoFT's instruction answers judged against the other method's at the same exit by the reference-F1 judge, both orders, "
                + "(wins - losses) / prompts (the paper's Table 9 compares SoFT with extracted fine-tuning and SFT+ICT so).\n\n");
        var direct = directComparisons(variants);
        sb.append("| exit |");
        for (String rival : direct.keySet()) sb.append(" SoFT vs ").append(rival).append(" |");
        sb.append("\n| ---: |").append(" ---: |".repeat(direct.size())).append('\n');
        for (int k : byName(variants, "SoFT").exits().keySet()) {
            sb.append("| ").append(k).append(" |");
            for (var row : direct.values()) {
                var c = row.get(k).combined();
                sb.append(String.format(Locale.ROOT, " %+.3f (%d/%d/%d) |", row.get(k).score(), c.wins(), c.ties(), c.losses()));
            }
            sb.append('\n');
        }
        sb.append("\n(win/tie/lose counts over both orders in brackets.)\n\n");

        sb.append("## Decoding modes' answer quality on the SoFT model (Table 2's quality columns)\n\n");
        sb.append(String.format(Locale.ROOT, "Each mode answers the held-out questions (exact match) and instructions (judged against autoregressive "
                + "decoding of the same sampling by the reference-F1 judge); sampled: temperature %.1f, top-p %.1f, the same seed per prompt "
                + "for every mode.%n%n", DecodingQuality.TEMPERATURE, DecodingQuality.TOP_P));
        sb.append("| mode | sampling | QA exact match | judged vs autoregressive | mean instruction F1 | mean depth |\n");
        sb.append("| --- | --- | ---: | ---: | ---: | ---: |\n");
        for (var r : further.decoding()) {
            sb.append(String.format(Locale.ROOT, "| %s | %s | %.3f | %+.3f | %.3f | %.2f |%n", r.mode(), r.sampling(), r.qaExactMatch(),
                    r.judgedVsAutoregressive().score(), r.meanInstructionF1(), r.meanDepth()));
        }
        sb.append('\n');

        sb.append("## KL and cosine per generated position (Fig. 4 and 5)\n\n");
        var first = further.positions().values().iterator().next();
        sb.append(String.format(Locale.ROOT, "The reference model writes %d tokens greedily after each of %d prompts (%d left out: no room in the "
                + "context); at each generated position every layer's next-token distribution is compared with the reference's last layer "
                + "(KL, nats) and its hidden state too (cosine). Within SoFT and within SFT each model is its own reference; in the "
                + "cross-model panel SFT's layers are compared with SoFT's last layer. Per layer: at position 0, and the mean over "
                + "positions 0-%d.%n%n", FurtherExperiments.POSITIONS, first.prompts(), first.skipped(), FurtherExperiments.POSITIONS - 1));
        sb.append("| layer |");
        for (String name : further.positions().keySet()) sb.append(' ').append(name).append(" KL pos 0 / mean | cosine pos 0 / mean |");
        sb.append("\n| ---: |").append(" ---: | ---: |".repeat(further.positions().size())).append('\n');
        for (int l = 1; l <= first.layers(); l++) {
            sb.append("| ").append(l).append(" |");
            for (var g : further.positions().values()) {
                sb.append(String.format(Locale.ROOT, " %.3f / %.3f | %.3f / %.3f |", g.kl()[l - 1][0], g.meanKl(l), g.cosine()[l - 1][0],
                        g.meanCosine(l)));
            }
            sb.append('\n');
        }
        sb.append('\n');
        for (var e : further.positions().entrySet()) {
            String prefix = plotPrefix(e.getKey());
            boolean self = !e.getKey().contains(" vs ");
            PositionPlots.write(out, prefix, self ? e.getKey() + "'s last layer" : "SoFT's last layer", Map.of(e.getKey(), e.getValue()), self);
            sb.append("![").append(e.getKey()).append(": KL per position](").append(prefix).append("-kl-per-position.png)\n\n");
            sb.append("![").append(e.getKey()).append(": cosine per position](").append(prefix).append("-cosine-per-position.png)\n\n");
        }

        if (!results.qaCurves().isEmpty()) {
            sb.append("## QA exact match during fine-tuning (Fig. 3)\n\n| method | step |");
            var firstCurve = results.qaCurves().values().iterator().next();
            for (int k : firstCurve.points().getFirst().exactMatch().keySet()) sb.append(" exit ").append(k).append(" |");
            sb.append("\n| --- | ---: |").append(" ---: |".repeat(firstCurve.points().getFirst().exactMatch().size())).append('\n');
            results.qaCurves().forEach((name, curve) -> curve.points().forEach(p -> {
                sb.append("| ").append(name).append(" | ").append(p.step()).append(" |");
                p.exactMatch().values().forEach(em -> sb.append(String.format(Locale.ROOT, " %.3f |", em)));
                sb.append('\n');
            }));
            QaCurve.plot(out.resolve("qa-over-steps.png"), results.qaCurves());
            sb.append("\n![QA exact match during fine-tuning](qa-over-steps.png)\n\n");
        }

        if (!further.openAnswers().isEmpty()) {
            sb.append("## Open instructions (PandaLM's evaluation set)\n\n");
            int exits = byName(variants, "SoFT").exits().size();
            sb.append(String.format(Locale.ROOT, "All %d instructions answered greedily at each of the %d exits by SFT and SoFT (%d prompts fill the "
                    + "context, their answers are empty): ", further.openInstructions(), exits, further.openTooLong()));
            List<String> files = new ArrayList<>();
            further.openAnswers().forEach((name, file) -> files.add("`" + file.getFileName() + "` (" + name + ")"));
            sb.append(String.join(", ", files)).append(". They have no reference answers, so a judge model scores them: `sorted-llama eval judge "
                    + "--a pandalm-answers-soft.jsonl --b pandalm-answers-sft.jsonl --per-exit --judge-url URL --judge-model-name NAME "
                    + "--judge-format pandalm` (PandaLM-7B behind any OpenAI-compatible server).\n\n");
        }
        return sb.toString();
    }

    /** The further experiments for results.json. */
    static Map<String, Object> json(DemoPipeline.Results results) {
        Map<String, Object> m = new LinkedHashMap<>();
        Map<String, Object> direct = new LinkedHashMap<>();
        directComparisons(results.variants()).forEach((rival, row) -> {
            Map<String, Double> scores = new LinkedHashMap<>();
            row.forEach((k, s) -> scores.put(String.valueOf(k), s.score()));
            direct.put("SoFT vs " + rival, scores);
        });
        m.put("direct_comparisons", direct);
        List<Map<String, Object>> decoding = new ArrayList<>();
        for (var r : results.further().decoding()) {
            decoding.add(Map.of("mode", r.mode(), "sampling", r.sampling(), "qa_exact_match", r.qaExactMatch(), "judged_vs_autoregressive",
                    r.judgedVsAutoregressive().score(), "mean_instruction_f1", r.meanInstructionF1(), "mean_depth", r.meanDepth()));
        }
        m.put("decoding_quality", decoding);
        Map<String, Object> positions = new LinkedHashMap<>();
        results.further().positions().forEach((name, g) -> positions.put(name, Map.of("kl", g.kl(), "cosine", g.cosine(), "prompts", g.prompts(),
                "skipped", g.skipped())));
        m.put("per_position", positions);
        Map<String, String> files = new LinkedHashMap<>();
        results.further().openAnswers().forEach((name, file) -> files.put(name, file.getFileName().toString()));
        m.put("open_answers", files);
        m.put("open_too_long", results.further().openTooLong());
        Map<String, Object> curves = new LinkedHashMap<>();
        results.qaCurves().forEach((name, curve) -> {
            List<Map<String, Object>> points = new ArrayList<>();
            for (var p : curve.points()) {
                Map<String, Double> em = new LinkedHashMap<>();
                p.exactMatch().forEach((k, v) -> em.put(String.valueOf(k), v));
                points.add(Map.of("step", p.step(), "exact_match", em));
            }
            curves.put(name, points);
        });
        m.put("qa_curve", curves);
        return m;
    }

    private static String plotPrefix(String name) {
        return "positions-" + name.toLowerCase(Locale.ROOT).replace("'s last layer", "").replace(" ", "-");
    }

    private static DemoPipeline.Variant byName(List<DemoPipeline.Variant> variants, String name) {
        return variants.stream().filter(v -> v.name().equals(name)).findFirst().orElseThrow();
    }
}
