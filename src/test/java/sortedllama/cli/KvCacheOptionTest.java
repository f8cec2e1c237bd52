package sortedllama.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import sortedllama.BadInputException;
import sortedllama.model.LlamaModel;
import sortedllama.model.TestModels;
import sortedllama.tensor.DType;

class KvCacheOptionTest {
    private static final LlamaModel MODEL = TestModels.random(TestModels.wideConfig(2, 61, 64), 5, 4f); // head dim 64

    private static KvCacheOption option(String value) {
        var option = new KvCacheOption();
        option.kvCache = value;
        return option;
    }

    @Test
    void theTypeAskedForIsTheCachesType() {
        assertSame(MODEL, option("F32").apply(MODEL), "the default leaves the model as it is");
        LlamaModel bf16 = option(" bf16 ").apply(MODEL);
        assertEquals(DType.BF16, bf16.kvCacheType());
        assertEquals(DType.BF16, bf16.newCache(8).type());
        assertSame(MODEL.weights(), bf16.weights(), "the same weights, not a copy");
    }

    @Test
    void anythingElseIsOneLine() {
        assertEquals("--kv-cache must be F32, BF16 or Q8_0, got fp8",
                assertThrows(BadInputException.class, () -> option("fp8").apply(MODEL)).getMessage());
        assertEquals("a KV cache is F32, BF16 or Q8_0, not Q4_0",
                assertThrows(BadInputException.class, () -> option("q4_0").apply(MODEL)).getMessage());
    }
}
