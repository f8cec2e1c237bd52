package sortedllama.train;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import sortedllama.model.LlamaConfig;
import sortedllama.model.RopeLayout;
import sortedllama.model.TensorNames;

/** Small models for tests, with weights large enough that every part of the network matters. */
final class Models {
    private Models() {}

    /** dim 32, hidden 64, 4 query heads sharing 2 KV heads of size 8: GQA. */
    static LlamaConfig tiny(int layers, int vocab, RopeLayout layout) {
        return new LlamaConfig(32, 64, layers, 4, 2, 8, vocab, 64, 1e-5f, 10000f, null, layout, 1, 2);
    }

    /**
     * As the PyTorch fixtures: matrices N(0, 1/cols), norms 1 + N(0, 0.01), an untied embedding
     * N(0, 1). (TrainableModel.random's 0.02 makes layers nearly the identity: gradients of the
     * deeper parts would be tested only weakly.)
     */
    static TrainableModel lively(LlamaConfig c, long seed, boolean tied) {
        TrainableModel shapes = TrainableModel.random(c, 0, tied);
        Random rnd = new Random(seed);
        Map<String, float[]> values = new HashMap<>();
        for (Param p : shapes.params()) {
            float[] v = new float[p.size()];
            for (int i = 0; i < v.length; i++) {
                double g = rnd.nextGaussian();
                if (p.kind() == Param.Kind.NORM) v[i] = (float) (1 + 0.1 * g);
                else if (p.kind() == Param.Kind.EMBEDDING) v[i] = (float) g;
                else v[i] = (float) (g / Math.sqrt(p.cols()));
            }
            values.put(p.name(), v);
        }
        if (tied) values.remove(TensorNames.OUTPUT);
        return TrainableModel.fromValues(c, values);
    }
}
