package sortedllama.train.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static sortedllama.train.data.DataFixtures.concat;
import static sortedllama.train.data.DataFixtures.tokenizer;

import java.util.List;
import org.junit.jupiter.api.Test;

class PromptCompletionFormatTest {

    @Test
    void lossOnTheCompletionOnly() {
        List<Example> examples = DataFixtures.read(DataFormat.JSONL, "prompt_completion.jsonl");
        var t = tokenizer();
        Example paris = examples.get(0);
        assertArrayEquals(concat(new int[] {t.bosId()}, t.encode("The capital of France is")), paris.prompt());
        assertArrayEquals(concat(t.encode(" Paris"), new int[] {t.eosId()}), paris.response());
        assertEquals(paris.response().length, paris.countedTargets());
    }

    @Test
    void anEmptyPromptLeavesBosToPredictFrom() {
        Example story = DataFixtures.read(DataFormat.JSONL, "prompt_completion.jsonl").get(1);
        var t = tokenizer();
        assertEquals(1, story.responseStart());
        assertArrayEquals(concat(new int[] {t.bosId()}, t.encode("Once upon a time"), new int[] {t.eosId()}), story.tokens());
    }
}
