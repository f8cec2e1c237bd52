package sortedllama.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import sortedllama.BadInputException;
import sortedllama.eval.Answer;
import sortedllama.eval.JudgeFormat;
import sortedllama.eval.PairwiseJudge;
import sortedllama.eval.RemoteJudge;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaModel;
import sortedllama.model.TestModels;

/** The remote judge against this project's own OpenAI-compatible server on loopback. */
class RemoteJudgeServerTest {
    static final LlamaModel MODEL = TestModels.random(TestModels.tinyConfig(4, ByteTokenizer.VOCAB, 2048), 5, 6f);

    @Test
    void judgesThroughTheChatEndpointDeterministically() {
        var options = ServerOptions.defaults().withLogRequests(false).withLimits(2, 4);
        try (InferenceServer server = new InferenceServer(MODEL, new ByteTokenizer(), "judge", ExitSet.parse("4", 4), options).start(0)) {
            String url = "http://127.0.0.1:" + server.port() + "/v1";
            var judge = new RemoteJudge(url, "judge", null, 8, Duration.ofSeconds(60), JudgeFormat.PLAIN);
            var matches = List.of(
                    new PairwiseJudge.Match(new Answer("a", "Name a colour.", "", 4, "red"), new Answer("a", "Name a colour.", "", 4, "seven")),
                    new PairwiseJudge.Match(new Answer("b", "Double it.", "21", 4, "42"), new Answer("b", "Double it.", "21", 4, "21")));
            var first = PairwiseJudge.compare(judge, matches, () -> {});
            var again = PairwiseJudge.compare(judge, matches, () -> {});
            assertEquals(4, first.judgements().size(), "2 prompts x 2 orders");
            var t = first.score().combined();
            assertEquals(4, t.wins() + t.ties() + t.losses());
            for (int i = 0; i < 4; i++) {
                assertEquals(again.judgements().get(i).raw(), first.judgements().get(i).raw(), "temperature 0 is greedy");
                assertTrue(first.judgements().get(i).raw().length() > 0, "the server's text comes back");
            }

            var tooLong = List.of(new PairwiseJudge.Match(new Answer("c", "x".repeat(3000), "", 4, "1"), new Answer("c", "x".repeat(3000), "", 4, "2")));
            var e = assertThrows(BadInputException.class, () -> PairwiseJudge.compare(judge, tooLong, () -> {}));
            assertTrue(e.getMessage().startsWith("judge " + url + "/chat/completions: HTTP 400: "), e.getMessage());
            assertTrue(e.getMessage().contains("context"), "the server's own message: " + e.getMessage());
        }
    }
}
