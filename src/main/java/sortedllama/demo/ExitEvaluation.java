package sortedllama.demo;

import java.util.ArrayList;
import java.util.List;
import sortedllama.eval.AnswerNormalizer;
import sortedllama.eval.QaEvaluator;
import sortedllama.eval.QaMetrics;
import sortedllama.infer.Generator;
import sortedllama.infer.Sampler;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaModel;
import sortedllama.tokenizer.StreamingDecoder;
import sortedllama.tokenizer.Tokenizer;

/**
 * What one sub-model (a model at one exit) scores on the demo's test split: closed-book QA exact
 * match and F1 (TriviaQA normalisation, best over the aliases; case-sensitive exact match too, as
 * the paper reports), and greedy answers to held-out instructions with their token F1 against the
 * reference answer and the decoding speed they were produced at.
 *
 * @param heldOutLoss      mean cross-entropy on the validation split's responses
 * @param instructionF1    mean token F1 of the instruction answers against the references
 * @param tokensPerSecond  greedy decoding speed while answering the instructions
 */
record ExitEvaluation(int layer, double heldOutLoss, QaEvaluator.ExitQaScore qa, double instructionF1, double tokensPerSecond,
                      List<String> answers, double[] answerF1) {

    static final int QA_MAX_TOKENS = 16, INSTRUCTION_MAX_TOKENS = 48;

    static ExitEvaluation of(LlamaModel model, Tokenizer tokenizer, DemoTasks tasks, int exit, double heldOutLoss,
                             int questions, int instructions) {
        var qa = QaEvaluator.evaluate(model, tokenizer, tasks.testQuestions().subList(0, Math.min(questions, tasks.testQuestions().size())),
                new ExitSet(new int[] {exit}), QA_MAX_TOKENS)[0];
        List<String> answers = new ArrayList<>();
        var prompts = tasks.testInstructions().subList(0, Math.min(instructions, tasks.testInstructions().size()));
        double[] f1 = new double[prompts.size()];
        long nanos = 0, tokens = 0;
        for (int i = 0; i < prompts.size(); i++) {
            var p = prompts.get(i);
            Generator.Result r = new Generator(model).generate(p.prompt(), INSTRUCTION_MAX_TOKENS, exit, Sampler.greedy(), tokenizer.eosId(), null);
            nanos += r.decodeNanos();
            tokens += Math.max(0, r.tokens().length - 1);
            String answer = StreamingDecoder.decodeAfter(tokenizer, p.prompt(), r.tokens()).strip();
            answers.add(answer);
            f1[i] = QaMetrics.score(answer, List.of(p.reference()), AnswerNormalizer.SQUAD).f1();
        }
        double meanF1 = 0;
        for (double x : f1) meanF1 += x / Math.max(1, f1.length);
        return new ExitEvaluation(exit, heldOutLoss, qa, meanF1, tokens / Math.max(1e-9, nanos / 1e9), answers, f1);
    }
}
