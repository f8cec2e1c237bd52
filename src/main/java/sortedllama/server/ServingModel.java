package sortedllama.server;

import java.util.Set;
import java.util.TreeSet;
import sortedllama.infer.SpeculationMemory;
import sortedllama.infer.json.TokenTrie;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaConfig;
import sortedllama.model.LlamaModel;
import sortedllama.tokenizer.Tokenizer;

/**
 * The one model a server serves, with everything a request needs besides its own fields: the
 * tokenizer, the exits a budget may pick from, the chat template, the tokens that end a turn, and
 * what speculative decoding has measured on it so far.
 *
 * @param longestTokenBytes the most text bytes one token decodes to, for refusing a prompt that cannot fit the
 *                          context before tokenising it
 * @param vocabulary        the tokens' bytes, for constraining output to JSON (response_format)
 */
record ServingModel(LlamaModel model, Tokenizer tokenizer, String id, ExitSet exits, ChatTemplate chatTemplate,
                    int bosId, int eosId, Set<Integer> stopTokens, SpeculationMemory speculation, int longestTokenBytes,
                    TokenTrie vocabulary) {

    /**
     * Special tokens that also end a turn besides EOS: a Llama 3 tokenizer's EOS is
     * &lt;|end_of_text|&gt; for base models and &lt;|eot_id|&gt; for instruct models, and chat
     * needs both.
     */
    private static final String[] TURN_ENDS = {"<|eot_id|>", "<|end_of_text|>", "<|eom_id|>"};

    static ServingModel of(LlamaModel model, Tokenizer tokenizer, String id, ExitSet exits) {
        LlamaConfig c = model.config();
        Tokenizer.checkMatchesModel(tokenizer, c.vocabSize(), "given to the server");
        for (int exit : exits.layers()) c.checkExitLayer(exit);
        int bos = tokenizer.bosId() >= 0 ? tokenizer.bosId() : c.bosId();
        int eos = tokenizer.eosId() >= 0 ? tokenizer.eosId() : c.eosId();
        Set<Integer> stops = new TreeSet<>();
        stops.add(eos);
        for (String text : TURN_ENDS) tokenizer.specialTokenId(text).ifPresent(stops::add);
        return new ServingModel(model, tokenizer, id, exits, ChatTemplate.forTokenizer(tokenizer, bos, eos), bos, eos,
                Set.copyOf(stops), new SpeculationMemory(), longestTokenBytes(tokenizer), TokenTrie.of(tokenizer));
    }

    /** The most text bytes one token stands for: a text of B bytes has at least B / this many tokens. */
    private static int longestTokenBytes(Tokenizer tokenizer) {
        int longest = 1;
        for (int id = 0; id < tokenizer.vocabSize(); id++) longest = Math.max(longest, tokenizer.decodeBytes(id).length);
        return longest;
    }

    LlamaConfig config() {
        return model.config();
    }

    boolean isStopToken(int token) {
        return stopTokens.contains(token);
    }
}
