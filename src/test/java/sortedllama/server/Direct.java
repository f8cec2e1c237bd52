package sortedllama.server;

import java.util.Set;
import sortedllama.infer.ContinuousBatcher;
import sortedllama.infer.DecodePlan;
import sortedllama.infer.Generator;
import sortedllama.infer.Sampler;
import sortedllama.infer.json.JsonConstraint;
import sortedllama.infer.json.TokenTrie;
import sortedllama.infer.json.ValueGrammar;
import sortedllama.model.LlamaModel;
import sortedllama.tokenizer.StreamingDecoder;
import sortedllama.tokenizer.Tokenizer;

/** What calling the generators directly gives, as text: the reference the server must match. */
final class Direct {
    private Direct() {}

    /** The text of generated tokens as a client should see it: EOS dropped, bytes decoded as UTF-8. */
    static String text(Tokenizer tokenizer, int[] prompt, Generator.Result result) {
        var decoder = new StreamingDecoder(tokenizer, prompt[prompt.length - 1]);
        StringBuilder text = new StringBuilder();
        for (int t : result.tokens()) if (t != tokenizer.eosId()) text.append(decoder.feed(t));
        return text.append(decoder.flush()).toString();
    }

    static int[] withBos(Tokenizer tokenizer, String text) {
        int[] ids = tokenizer.encode(text);
        int[] out = new int[ids.length + 1];
        out[0] = tokenizer.bosId();
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    /** The text of a greedy generation whose output follows {@code grammar} (response_format), run in a batcher of its own. */
    static String constrained(LlamaModel model, Tokenizer tokenizer, int[] prompt, int maxTokens, DecodePlan plan, ValueGrammar grammar) {
        try (var batcher = new ContinuousBatcher(model, 1, ContinuousBatcher.DEFAULT_PREFILL_CHUNK)) {
            var constraint = new JsonConstraint(grammar, TokenTrie.of(tokenizer), Set.of(tokenizer.eosId()));
            return text(tokenizer, prompt, batcher.generate(prompt, maxTokens, plan, Sampler.greedy(), tokenizer.eosId(), -1, constraint,
                    (token, logprobs) -> {}));
        }
    }
}
