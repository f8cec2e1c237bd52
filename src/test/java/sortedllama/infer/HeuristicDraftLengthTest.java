package sortedllama.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import sortedllama.BadInputException;
import sortedllama.model.ExitSet;

class HeuristicDraftLengthTest {

    @Test
    void plusTwoAfterAFullyAcceptedRoundMinusOneOtherwise() {
        var rule = new HeuristicDraftLength(4, 14);
        List<Integer> lengths = new ArrayList<>();
        int[][] rounds = {{4, 4}, {6, 6}, {8, 3}, {7, 0}, {6, 6}};
        for (int[] r : rounds) {
            int g = rule.next(99);
            assertEquals(r[0], g);
            rule.record(g, r[1]);
            lengths.add(rule.next(99));
        }
        assertEquals(List.of(6, 8, 7, 6, 8), lengths);
        assertEquals(3, rule.next(3), "never more than the tokens left");
    }

    @Test
    void staysWithinOneAndTheMaximum() {
        var rule = new HeuristicDraftLength(2, 5);
        rule.record(2, 0);
        rule.record(1, 0);
        assertEquals(1, rule.next(99));
        for (int i = 0; i < 5; i++) rule.record(rule.next(99), rule.next(99));
        assertEquals(5, rule.next(99));
        assertEquals(5, new HeuristicDraftLength(9, 5).next(99));
    }

    @Test
    void speculationUnderTheRuleIsLosslessAndReproducibleWhenSampled() {
        var model = SpeculativeGeneratorTest.MODEL;
        int[] prompt = {1, 5, 9};
        int[] full = new Generator(model).generate(prompt, 60, 4, Sampler.greedy(), -1, null).tokens();
        for (int exit = 1; exit <= 3; exit++) {
            for (int start : new int[] {1, 4}) {
                var result = new SpeculativeGenerator(model, exit, start, true, true, new SpeculationMemory()).withHeuristicDraft()
                        .generate(prompt, 60, Sampler.greedy(), -1, null);
                assertArrayEquals(full, result.tokens(), "draft exit " + exit + ", start " + start);
            }
        }
        var plan = DecodePlan.of("speculative", null, null, 2, 4, true, null, null, ExitSet.all(4), model.config()).withHeuristicDraft();
        int[] a = plan.generate(model, new SpeculationMemory(), prompt, 40, new Sampler(0.8f, 0, 1, 11), -1, null).tokens();
        int[] b = plan.generate(model, new SpeculationMemory(), prompt, 40, new Sampler(0.8f, 0, 1, 11), -1, null).tokens();
        assertArrayEquals(a, b, "the same seed, the same text");
        assertThrows(BadInputException.class,
                () -> DecodePlan.of("full", null, null, null, null, true, null, null, ExitSet.all(4), model.config()).withHeuristicDraft());
    }
}
