package sortedllama.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static sortedllama.cli.CliTest.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sortedllama.SharedData;
import sortedllama.cli.CliTest.Run;
import sortedllama.eval.Answer;
import sortedllama.eval.AnswerFile;
import sortedllama.io.Llama2cWriter;
import sortedllama.model.ExitSet;
import sortedllama.model.TestModels;
import sortedllama.server.InferenceServer;
import sortedllama.server.ServerOptions;
import sortedllama.tokenizer.Tokenizers;

/**
 * PandaLM's 170 prompts from answers to a verdict over HTTP, as the paper's evaluation runs with
 * PandaLM-7B behind an OpenAI-compatible server: {@code eval generate} answers all 170 at two exits
 * for two models, and {@code eval judge --per-exit --judge-format pandalm --judge-url} sends every
 * pair in both orders to a loopback judge. PandaLM-7B itself cannot run here, so the judge is a
 * stand-in that reads PandaLM's prompt strictly (refusing any other layout with a 400) and answers
 * as PandaLM writes ("2", then "### Reason:" and "### Reference:"), preferring the longer response:
 * a rule the test can score by itself. This project's own server stands in as a second judge.
 */
class PandaLmJudgeCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String HEADER = "Below are two responses for a given task. The task is defined by the Instruction. ";
    static final String HEADER_WITH_INPUT = "Below are two responses for a given task. The task is defined by the Instruction with an Input "
            + "that provides further context. ";
    static final String TASK = "Evaluate the responses and generate a reference answer for the task.\n\n";

    @TempDir static Path dir;
    static String tokenizer;
    static Path modelA, modelB;

    @BeforeAll
    static void writeModels() throws Exception {
        tokenizer = Path.of(PandaLmJudgeCliTest.class.getResource("/tokenizer/wordnet_bpe_600.json").toURI()).toString();
        modelA = dir.resolve("a.bin");
        modelB = dir.resolve("b.bin");
        // peaked random logits with different seeds: answers of different lengths, some sooner at EOS
        Llama2cWriter.write(modelA, TestModels.random(TestModels.tinyConfig(2, 600, 1024), 5, 6f).weights(), 0);
        Llama2cWriter.write(modelB, TestModels.random(TestModels.tinyConfig(2, 600, 1024), 9, 6f).weights(), 0);
    }

    private static Path answer(Path model, Path data, String name) {
        Path out = dir.resolve(name);
        Run r = run("eval", "generate", "--model", model.toString(), "--tokenizer", tokenizer, "--data", data.toString(), "--exits", "1,2",
                "--max-tokens", "6", "--out", out.toString());
        assertEquals(0, r.status(), r.err());
        return out;
    }

    /**
     * Response 1 and 2 of a prompt in PandaLM's layout, or null when the prompt is not in it: the
     * header that matches whether there is an input, the sections in order, "### Evaluation:\n" last.
     */
    static String[] pandaLmResponses(String p) {
        boolean input = p.contains("\n\n### Input:\n");
        if (!p.startsWith((input ? HEADER_WITH_INPUT : HEADER) + TASK + "### Instruction:\n") || !p.endsWith("\n\n### Evaluation:\n")) return null;
        int r1 = p.indexOf("### Response 1:\n"), r2 = p.indexOf("\n\n### Response 2:\n"), end = p.lastIndexOf("\n\n### Evaluation:\n");
        if (r1 < 0 || r2 < r1 || end < r2) return null;
        return new String[] {p.substring(r1 + "### Response 1:\n".length(), r2), p.substring(r2 + "\n\n### Response 2:\n".length(), end)};
    }

    /** The stand-in judge's rule: the longer response is better, equal lengths tie. */
    static String verdict(String first, String second) {
        return first.length() > second.length() ? "1" : first.length() < second.length() ? "2" : "Tie";
    }

    @Test
    void all170AnswersJudgedInPandaLmsFormatByAnOpenAiCompatibleEndpoint() throws Exception {
        Path data = SharedData.pandalm170();
        Path a = answer(modelA, data, "a.jsonl"), b = answer(modelB, data, "b.jsonl");
        List<JsonNode> requests = Collections.synchronizedList(new ArrayList<>());
        HttpServer judge = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        judge.createContext("/v1/chat/completions", exchange -> {
            JsonNode request = JSON.readTree(exchange.getRequestBody().readAllBytes());
            requests.add(request);
            String[] responses = pandaLmResponses(request.path("messages").path(0).path("content").asText());
            var reply = JSON.createObjectNode();
            int status = 200;
            if (responses == null) {
                status = 400;
                reply.putObject("error").put("message", "not PandaLM's prompt layout");
            } else {
                String v = verdict(responses[0], responses[1]);
                String content = v + "\n\n### Reason: " + (v.equals("Tie") ? "Both responses are equally long." : "Response " + v
                        + " is longer.") + "\n\n### Reference: An answer.";
                reply.putArray("choices").addObject().putObject("message").put("role", "assistant").put("content", content);
            }
            byte[] body = reply.toString().getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        judge.start();
        Path out = dir.resolve("judged");
        Run r;
        try {
            r = run("eval", "judge", "--a", a.toString(), "--b", b.toString(), "--per-exit", "--judge-format", "pandalm",
                    "--judge-url", "http://127.0.0.1:" + judge.getAddress().getPort() + "/v1", "--judge-model-name", "pandalm-7b",
                    "--json", "--out", out.toString());
        } finally {
            judge.stop(0);
        }
        assertEquals(0, r.status(), r.err());
        assertEquals(170 * 2 * 2, requests.size(), "170 prompts x 2 orders x 2 exits");
        for (JsonNode request : requests) {
            assertEquals("pandalm-7b", request.get("model").asText());
            assertEquals(0, request.get("temperature").asDouble());
        }

        // the score the rule gives, counted here from the answer files: A's wins minus losses over the 170 prompts
        Map<String, String> bOutputs = new HashMap<>();
        for (Answer x : AnswerFile.read(b)) bOutputs.put(x.id() + "@" + x.exit(), x.output());
        JsonNode rows = JSON.readTree(r.out()).get("comparisons");
        assertEquals(2, rows.size(), "exits 1 and 2");
        for (JsonNode row : rows) {
            int exit = row.get("a_exit").asInt(), net = 0, prompts = 0;
            for (Answer x : AnswerFile.read(a)) {
                if (x.exit() != exit) continue;
                prompts++;
                String v = verdict(x.output().strip(), bOutputs.get(x.id() + "@" + exit).strip());
                net += v.equals("1") ? 1 : v.equals("2") ? -1 : 0;
            }
            assertEquals(170, prompts);
            assertEquals(170, row.get("prompts").asInt());
            assertEquals((double) net / 170, row.get("score").asDouble(), 1e-12, "exit " + exit);
            assertEquals(1.0, row.get("consistency").asDouble(), "a rule without position bias agrees with itself in both orders");
            assertEquals(0, row.get("combined").get("invalid").asInt(), "PandaLM's reply layout is read");
        }
        assertTrue(rows.get(0).get("combined").get("wins").asInt() > 0 && rows.get(0).get("combined").get("losses").asInt() > 0,
                "the answers differ in length both ways, so the check can fail: " + rows.get(0));
        var judgements = EvalJudgeCliTest.jsonLines(out.resolve("judgements.jsonl"));
        assertEquals(680, judgements.size());
        assertTrue(judgements.get(0).get("raw").asText().contains("### Reason: "), judgements.get(0).toString());
    }

    @Test
    void thisProjectsServerJudgesInPandaLmsFormat() throws Exception {
        Path data = dir.resolve("alpaca.json");
        Files.writeString(data, """
                [{"instruction": "Give a word for a small dog.", "input": "", "output": "puppy"},
                 {"instruction": " ", "input": "Truthfulness", "output": ""}]
                """);
        Path a = answer(modelA, data, "own-a.jsonl"), b = answer(modelB, data, "own-b.jsonl");
        var judgeModel = TestModels.random(TestModels.tinyConfig(2, 600, 1024), 13, 6f);
        var options = ServerOptions.defaults().withLogRequests(false).withLimits(2, 8);
        Path out = dir.resolve("own-judged");
        try (InferenceServer server = new InferenceServer(judgeModel, Tokenizers.load(Path.of(tokenizer), 600), "judge", ExitSet.all(2), options)
                .start(0)) {
            Run r = run("eval", "judge", "--a", a.toString(), "--b", b.toString(), "--a-exit", "2", "--b-exit", "2", "--judge-format",
                    "pandalm", "--judge-url", "http://127.0.0.1:" + server.port() + "/v1", "--judge-model-name", "judge",
                    "--judge-max-tokens", "4", "--json", "--out", out.toString());
            assertEquals(0, r.status(), r.err());
            JsonNode row = JSON.readTree(r.out()).get("comparisons").get(0);
            assertEquals(2, row.get("prompts").asInt());
            JsonNode combined = row.get("combined");
            assertEquals(4, combined.get("wins").asInt() + combined.get("ties").asInt() + combined.get("losses").asInt());
        }
        var judgements = EvalJudgeCliTest.jsonLines(out.resolve("judgements.jsonl"));
        assertEquals(4, judgements.size(), "2 prompts x 2 orders");
        for (JsonNode j : judgements) assertTrue(!j.get("raw").asText().isEmpty(), "the server's text comes back: " + j);
    }
}
