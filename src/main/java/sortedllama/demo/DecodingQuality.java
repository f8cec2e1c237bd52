package sortedllama.demo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import sortedllama.eval.AnswerNormalizer;
import sortedllama.eval.PairwiseScore;
import sortedllama.eval.QaEvaluator;
import sortedllama.eval.QaMetrics;
import sortedllama.infer.DecodePlan;
import sortedllama.infer.Sampler;
import sortedllama.infer.SpeculationMemory;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaModel;
import sortedllama.tokenizer.StreamingDecoder;
import sortedllama.tokenizer.Tokenizer;

/**
 * The quality columns of the paper's Table 2: what the decoding modes (speculative, instance-aware
 * early exit) cost in answer quality against plain autoregressive decoding at full depth, greedy
 * and sampled. Each mode answers the held-out questions (exact match) and instructions (judged
 * against the autoregressive answers of the same sampling by the reference-F1 judge). Sampling is
 * seeded per prompt, the same seed for every mode, so with an exact decoder (speculative decoding
 * keeps the full model's distribution) any difference is the sampling's, not the mode's.
 */
final class DecodingQuality {

    /** One mode under one sampling: QA exact match, instruction answers judged against autoregressive decoding, mean depth. */
    record Row(String mode, String sampling, double qaExactMatch, PairwiseScore judgedVsAutoregressive, double meanInstructionF1,
               double meanDepth) {}

    static final String AUTOREGRESSIVE = "autoregressive (full depth)";
    /** The sampled setting: temperature 0.7, nucleus 0.9 (a common chat setting; the paper does not state its own). */
    static final float TEMPERATURE = 0.7f, TOP_P = 0.9f;

    private DecodingQuality() {}

    static List<Row> measure(LlamaModel model, Tokenizer tokenizer, DemoTasks tasks, ExitSet exits, int questions, int instructions, long seed) {
        Map<String, DecodePlan> plans = new LinkedHashMap<>();
        DemoPipeline.MODES.forEach((label, m) -> plans.put(label.equals("full depth") ? AUTOREGRESSIVE : label,
                DecodePlan.of(m[0], null, null, m[1] == null ? null : Integer.valueOf(m[1]), null, true, m[2], null, exits, model.config())));
        var qs = tasks.testQuestions().subList(0, Math.min(questions, tasks.testQuestions().size()));
        var is = tasks.testInstructions().subList(0, Math.min(instructions, tasks.testInstructions().size()));
        var speculation = new SpeculationMemory(); // what speculation learns on this model, shared by its modes and samplings
        List<Row> rows = new ArrayList<>();
        for (boolean sampled : new boolean[] {false, true}) {
            double[] reference = null;
            for (var e : plans.entrySet()) {
                DecodePlan plan = e.getValue();
                double em = 0, depth = 0;
                long tokens = 0;
                for (int i = 0; i < qs.size(); i++) {
                    var q = qs.get(i);
                    var r = plan.generate(model, speculation, q.prompt(), ExitEvaluation.QA_MAX_TOKENS, sampler(sampled, seed, i), tokenizer.eosId(), null);
                    String answer = QaEvaluator.firstLine(StreamingDecoder.decodeAfter(tokenizer, q.prompt(), r.tokens()));
                    em += QaMetrics.score(answer, q.answers(), AnswerNormalizer.TRIVIAQA).exactMatch() / Math.max(1, qs.size());
                    depth += r.meanDepth() * r.tokens().length;
                    tokens += r.tokens().length;
                }
                double[] f1 = new double[is.size()];
                for (int i = 0; i < is.size(); i++) {
                    var p = is.get(i);
                    var r = plan.generate(model, speculation, p.prompt(), ExitEvaluation.INSTRUCTION_MAX_TOKENS, sampler(sampled, seed, qs.size() + i),
                            tokenizer.eosId(), null);
                    String answer = StreamingDecoder.decodeAfter(tokenizer, p.prompt(), r.tokens()).strip();
                    f1[i] = QaMetrics.score(answer, List.of(p.reference()), AnswerNormalizer.SQUAD).f1();
                    depth += r.meanDepth() * r.tokens().length;
                    tokens += r.tokens().length;
                }
                if (reference == null) reference = f1; // autoregressive comes first
                double meanF1 = 0;
                for (double x : f1) meanF1 += x / Math.max(1, f1.length);
                rows.add(new Row(e.getKey(), sampled ? "sampled" : "greedy", em, ReferenceJudge.compare(f1, reference), meanF1,
                        depth / Math.max(1, tokens)));
            }
        }
        return rows;
    }

    private static Sampler sampler(boolean sampled, long seed, int prompt) {
        return sampled ? new Sampler(TEMPERATURE, 0, TOP_P, seed * 1_000_003L + prompt) : Sampler.greedy();
    }
}
