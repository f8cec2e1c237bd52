package sortedllama.eval;

import sortedllama.infer.Generator;
import sortedllama.infer.Sampler;
import sortedllama.model.LlamaModel;
import sortedllama.tokenizer.StreamingDecoder;
import sortedllama.tokenizer.Tokenizer;

/** The text a model writes greedily after a prompt at one exit: what every evaluation here scores. */
final class GreedyAnswer {
    private GreedyAnswer() {}

    /**
     * Up to EOS, {@code maxTokens} tokens or the end of the context, decoded as the generate command
     * prints it (EOS left out). A prompt that fills the context gets "" rather than an error, so
     * that one long record does not stop an evaluation of thousands.
     */
    static String text(LlamaModel model, Tokenizer tokenizer, int[] prompt, int exit, int maxTokens) {
        int room = Math.min(maxTokens, model.config().generationRoom(prompt.length));
        if (room <= 0) return "";
        int eos = tokenizer.eosId() >= 0 ? tokenizer.eosId() : model.config().eosId(); // as the generate command stops
        var result = new Generator(model).generate(prompt, room, exit, Sampler.greedy(), eos, null);
        return StreamingDecoder.decodeAfter(tokenizer, prompt, result.tokens());
    }
}
