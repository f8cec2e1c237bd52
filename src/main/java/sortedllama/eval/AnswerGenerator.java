package sortedllama.eval;

import java.util.function.Consumer;
import sortedllama.model.ExitSet;
import sortedllama.model.LlamaModel;
import sortedllama.tokenizer.Tokenizer;
import sortedllama.train.data.AlpacaFormat.Instruction;
import sortedllama.train.data.ExampleEncoder;

/**
 * Answers instructions greedily at every exit, with the prompt the model was fine-tuned on
 * (Alpaca's template, encoded as training encodes it: BOS, then the prompt alone).
 */
public final class AnswerGenerator {
    private final LlamaModel model;
    private final Tokenizer tokenizer;
    private final ExampleEncoder encoder;
    private final int maxTokens;

    public AnswerGenerator(LlamaModel model, Tokenizer tokenizer, int maxTokens) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.encoder = new ExampleEncoder(tokenizer);
        this.maxTokens = maxTokens;
    }

    /**
     * One answer per exit, shallowest first. The output is stripped: the template ends at
     * "### Response:", so answers begin with a space or a newline that says nothing about quality.
     */
    public void answer(Instruction instruction, ExitSet exits, Consumer<Answer> out) {
        int[] prompt = encoder.prompt(instruction.prompt());
        for (int exit : exits.layers()) {
            String text = GreedyAnswer.text(model, tokenizer, prompt, exit, maxTokens).strip();
            out.accept(new Answer(instruction.id(), instruction.instruction(), instruction.input(), exit, text));
        }
    }

    /** Whether the prompt leaves no room for an answer in the model's context (its answers are ""). */
    public boolean tooLong(Instruction instruction) {
        return model.config().generationRoom(encoder.prompt(instruction.prompt()).length) == 0;
    }
}
