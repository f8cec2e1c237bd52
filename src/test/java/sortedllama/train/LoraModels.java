package sortedllama.train;

import java.lang.foreign.Arena;
import java.util.Random;
import sortedllama.model.LlamaConfig;
import sortedllama.model.LlamaWeights;
import sortedllama.tensor.DType;

/** LoRA models for tests: a lively base stored as {@code type}, adapters on every projection. */
final class LoraModels {
    private LoraModels() {}

    /** The base weights of {@link Models#lively}, matrices converted to {@code type}, allocated in {@code arena}. */
    static LlamaWeights base(LlamaConfig c, long seed, DType type, Arena arena) {
        return Models.lively(c, seed, false).toWeights(arena).convertMatrices(type, arena);
    }

    /**
     * A LoRA model on {@code base}; with {@code liveB}, B drawn N(0, 0.3) instead of zero, so that
     * A's gradient and the adapter's part of every product are not zero (as after some training).
     */
    static TrainableModel lora(LlamaWeights base, LoraConfig config, boolean liveB) {
        TrainableModel m = TrainableModel.withStoredProjections(base, null);
        config.attach(m, 11);
        if (liveB) {
            Random rnd = new Random(12);
            for (Param p : m.adapterParams()) {
                if (p.name().endsWith(".lora_b")) for (int i = 0; i < p.size(); i++) p.value()[i] = (float) (0.3 * rnd.nextGaussian());
            }
        }
        return m;
    }

    static LoraConfig allTargets(int rank) {
        return new LoraConfig(rank, 2.0 * rank, LoraConfig.parseTargets(LoraConfig.ALL_TARGETS));
    }
}
