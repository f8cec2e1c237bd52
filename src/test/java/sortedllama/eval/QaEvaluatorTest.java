package sortedllama.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaConfig;
import sortedllama.model.LlamaModel;
import sortedllama.model.RopeLayout;
import sortedllama.tokenizer.Tokenizer;
import sortedllama.tokenizer.Tokenizers;
import sortedllama.train.AdamW;
import sortedllama.train.Batch;
import sortedllama.train.ExitObjective;
import sortedllama.train.LrSchedule;
import sortedllama.train.TrainableModel;
import sortedllama.train.Trainer;
import sortedllama.train.data.Example;
import sortedllama.train.data.ExampleEncoder;
import sortedllama.train.data.TriviaQaFormat;

/**
 * A tiny model that has learnt two question-answer pairs (sorted training at exits 2 and 4) answers
 * them at both exits, and the evaluator scores that as 1 (case-sensitively 0.5); an untrained model
 * scores 0.
 */
class QaEvaluatorTest {
    @Test
    void scoresLearntAnswersAtTheTrainedExits() throws Exception {
        Tokenizer tok = Tokenizers.load(Path.of(QaEvaluatorTest.class.getResource("/tokenizer/wordnet_bpe_600.json").toURI()), 600);
        var encoder = new ExampleEncoder(tok);
        List<Example> qa = List.of(
                encoder.pair(TriviaQaFormat.prompt("which word means a domestic canine?"), TriviaQaFormat.response("dog"), List.of("dog", "Dog")),
                encoder.pair(TriviaQaFormat.prompt("which word means a tall plant?"), TriviaQaFormat.response("the tree"), List.of("tree")));
        var c = new LlamaConfig(32, 64, 4, 4, 2, 8, 600, 64, 1e-5f, 10000f, null, RopeLayout.INTERLEAVED, tok.bosId(), tok.eosId());
        TrainableModel model = TrainableModel.random(c, 7, true);
        ExitObjective objective = ExitObjective.equal(ExitSet.parse("2,4", 4));
        var trainer = new Trainer(model, objective, new Trainer.Settings(new LrSchedule(1e-2, 1e-3, 5, 120, LrSchedule.Decay.COSINE),
                AdamW.Settings.defaults(), 1.0, false));
        Batch batch = batchOf(qa);
        for (int step = 0; step < 120; step++) trainer.step(List.of(batch));

        try (Arena arena = Arena.ofShared()) {
            LlamaModel trained = new LlamaModel(model.toWeights(arena));
            var scores = QaEvaluator.evaluate(trained, tok, qa, ExitSet.parse("1,2,4", 4), 8);
            assertEquals(2, scores[1].questions());
            // "the tree" matches "tree" once articles are normalised away, but not case-sensitively
            assertEquals(1.0, scores[1].exactMatch(), "exit 2");
            assertEquals(1.0, scores[2].exactMatch(), "exit 4");
            assertEquals(1.0, scores[2].f1(), "exit 4");
            assertEquals(0.5, scores[2].caseSensitiveExactMatch(), "exit 4: \"dog\" exactly, \"the tree\" not");
            LlamaModel untrained = new LlamaModel(TrainableModel.random(c, 8, true).toWeights(arena));
            var before = QaEvaluator.evaluate(untrained, tok, qa, ExitSet.parse("4", 4), 8);
            assertEquals(0.0, before[0].exactMatch(), "an untrained model does not answer");
            assertTrue(before[0].f1() < 0.5, "an untrained model does not answer: " + before[0]);
        }
    }

    /** One row per example: inputs, next-token targets, loss on the response; padding after EOS. */
    static Batch batchOf(List<Example> examples) {
        int T = examples.stream().mapToInt(e -> e.tokens().length).max().orElseThrow() - 1;
        int n = examples.size() * T;
        int[] tokens = new int[n], targets = new int[n], segments = new int[n];
        boolean[] mask = new boolean[n];
        for (int b = 0; b < examples.size(); b++) {
            int[] ids = examples.get(b).tokens();
            for (int t = 0; t < T; t++) {
                int i = b * T + t;
                boolean real = t + 1 < ids.length;
                tokens[i] = real ? ids[t] : 0;
                targets[i] = real ? ids[t + 1] : 0;
                mask[i] = real && t + 1 >= examples.get(b).responseStart();
                segments[i] = real ? 0 : 1;
            }
        }
        return new Batch(examples.size(), T, tokens, targets, mask, segments);
    }
}
