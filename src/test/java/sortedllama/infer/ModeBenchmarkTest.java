package sortedllama.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModeBenchmarkTest {
    private static Generator.Result result(int[] tokens, long nanos, double acceptance) {
        return new Generator.Result(tokens, new int[tokens.length], Generator.StopReason.MAX_TOKENS, 0, nanos, acceptance);
    }

    @Test
    void keepsEachDecodersFastestRunPerPromptAndRotatesWhoGoesFirst() {
        List<String> calls = new ArrayList<>();
        // decoder "b" is disturbed on prompt 0 in run 0 and on prompt 1 in run 1: its best is still clean
        long[][][] nanos = { // [run][prompt][decoder a, b]
                {{100, 900}, {200, 300}},
                {{110, 150}, {190, 800}},
                {{120, 160}, {210, 310}}};
        int[] run = {0};
        int[] seen = {0};
        Map<String, Generator.Result[]> fastest = ModeBenchmark.fastestPerPrompt(List.of("a", "b"), 2, 3, (d, i) -> {
            calls.add(d + i);
            long t = nanos[run[0]][i][d.equals("a") ? 0 : 1];
            if (++seen[0] % 4 == 0) run[0]++;
            return result(new int[] {1, 2}, t, Double.NaN);
        });
        assertEquals(100, fastest.get("a")[0].decodeNanos());
        assertEquals(190, fastest.get("a")[1].decodeNanos());
        assertEquals(150, fastest.get("b")[0].decodeNanos());
        assertEquals(300, fastest.get("b")[1].decodeNanos());
        // run 0: a,b on prompt 0 then b,a on prompt 1; run 1 starts with b
        assertEquals(List.of("a0", "b0", "b1", "a1", "b0", "a0", "a1", "b1", "a0", "b0", "b1", "a1"), calls);
    }

    @Test
    void agreementStopsAtTheFirstDivergence() {
        // the same tokens at positions 2-4 after a divergence at position 1 count for nothing
        var results = List.of(result(new int[] {5, 9, 7, 8, 6}, 1_000_000, Double.NaN));
        var reference = List.of(new int[] {5, 6, 7, 8, 6});
        assertEquals(1 / 5.0, ModeBenchmark.totals(results, reference).tokenAgreement(), 1e-12);
    }

    @Test
    void totalsCountTokensAfterTheFirstOverTheSumOfTimesAndCompareWithTheReference() {
        var results = List.of(result(new int[] {5, 6, 7}, 2_000_000, 0.5), result(new int[] {8, 9}, 1_000_000, 1.0));
        var reference = List.of(new int[] {5, 6, 7}, new int[] {8, 4});
        ModeBenchmark.Totals t = ModeBenchmark.totals(results, reference);
        assertEquals(3 / 0.003, t.tokensPerSecond(), 1e-6); // (2 + 1) tokens after the first in 3 ms
        assertEquals(1, t.identicalOutputs());
        assertEquals(4 / 5.0, t.tokenAgreement(), 1e-12); // 3 of 3, then 1 of 2 before the divergence
        assertEquals(3, ModeBenchmark.commonPrefix(new int[] {1, 2, 3, 4}, new int[] {1, 2, 3}));
        assertEquals(0, ModeBenchmark.commonPrefix(new int[] {1, 2}, new int[] {2, 2}));
        assertEquals((0.5 * 3 + 1.0 * 2) / 5, t.acceptance(), 1e-12); // weighted by tokens
    }
}
