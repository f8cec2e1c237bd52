package sortedllama.train;

import static sortedllama.train.FiniteDifferences.check;
import static sortedllama.train.FiniteDifferences.project;
import static sortedllama.train.FiniteDifferences.random;

import java.util.Random;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import sortedllama.model.LlamaConfig;
import sortedllama.model.RopeLayout;

/**
 * Every op's backward against central finite differences of its float32 forward. The scalar is
 * L = sum_i r_i * out_i for a fixed random r (so dL/dout = r is what the backward gets), summed
 * in double. Step h = 1e-2; tolerance {@value #TOL} of the largest gradient component (the
 * worst observed is 7e-5, FD's own float32 and truncation error; a wrong term gives O(1e-2..1)).
 */
class OpGradientTest {
    static final double H = 1e-2, TOL = 5e-4;
    static final int T = 7, B = 2;
    final Random rnd = new Random(42);

    static void report(String what, double worst) {
        System.out.printf("FD %-28s worst %.2e%n", what, worst);
    }

    @Test
    void rmsNorm() {
        int n = 24, tokens = 5;
        float[] x = random(rnd, tokens * n, 1), w = random(rnd, n, 0.3), r = random(rnd, tokens * n, 1);
        for (int i = 0; i < n; i++) w[i] += 1;
        float[] out = new float[tokens * n], rstd = new float[tokens];
        DoubleSupplier f = () -> {
            RmsNorm.forward(out, rstd, x, w, tokens, 1e-5f);
            return project(out, r);
        };
        f.getAsDouble();
        float[] dx = new float[x.length], dw = new float[n];
        RmsNorm.backward(dx, dw, r, x, w, rstd, tokens);
        report("rmsnorm dx", check("rmsnorm dx", x, dx, null, H, TOL, f));
        report("rmsnorm dw", check("rmsnorm dw", w, dw, null, H, TOL, f));
    }

    @Test
    void linear() {
        int in = 12, outDim = 9, tokens = 5;
        Param w = new Param("w", Param.Kind.MATRIX, new long[] {outDim, in}, random(rnd, outDim * in, 0.3));
        float[] x = random(rnd, tokens * in, 1), r = random(rnd, tokens * outDim, 1), y = new float[tokens * outDim];
        DoubleSupplier f = () -> {
            Linear.forward(y, x, w, tokens);
            return project(y, r);
        };
        float[] dx = new float[x.length];
        Linear.backward(dx, false, r, x, w, tokens);
        report("linear dx", check("linear dx", x, dx, null, H, TOL, f));
        report("linear dW", check("linear dW", w.value(), w.grad(), null, H, TOL, f));
    }

    @ParameterizedTest
    @EnumSource(RopeLayout.class)
    void rotary(RopeLayout layout) {
        LlamaConfig c = Models.tiny(1, 16, layout);
        Rotary rotary = new Rotary(c, null, 40);
        int heads = 3, width = heads * c.headDim(), tokens = 6;
        int[] positions = {0, 1, 5, 17, 39, 2};
        float[] x = random(rnd, tokens * width, 1), r = random(rnd, tokens * width, 1);
        DoubleSupplier f = () -> {
            float[] y = x.clone();
            rotary.forward(y, heads, positions);
            return project(y, r);
        };
        float[] dx = r.clone();
        rotary.backward(dx, heads, positions);
        report("rotary " + layout, check("rotary dx " + layout, x, dx, null, H, TOL, f));
    }

    @Test
    void attentionWithGqaAndSegments() {
        LlamaConfig c = Models.tiny(1, 16, RopeLayout.INTERLEAVED);
        int n = B * T;
        int[] segments = {0, 0, 0, 1, 1, 1, 1, /* second sequence: one document */ 0, 0, 0, 0, 0, 0, 0};
        Batch batch = new Batch(B, T, new int[n], new int[n], new boolean[n], segments);
        BatchLayout s = BatchLayout.of(batch, c, null);
        float[] q = random(rnd, n * c.qDim(), 1), k = random(rnd, n * c.kvDim(), 1), v = random(rnd, n * c.kvDim(), 1);
        float[] r = random(rnd, n * c.qDim(), 1), out = new float[n * c.qDim()];
        float[] att = new float[B * c.nHeads() * T * T];
        DoubleSupplier f = () -> {
            Attention.forward(out, att, q, k, v, s);
            return project(out, r);
        };
        f.getAsDouble();
        float[] dq = new float[q.length], dk = new float[k.length], dv = new float[v.length];
        Attention.backward(dq, dk, dv, r, q, k, v, att, s);
        report("attention dq", check("attention dq", q, dq, null, H, TOL, f));
        report("attention dk", check("attention dk", k, dk, null, H, TOL, f));
        report("attention dv", check("attention dv", v, dv, null, H, TOL, f));
    }

    @Test
    void swiglu() {
        int n = 53;
        float[] gate = random(rnd, n, 2), up = random(rnd, n, 1), r = random(rnd, n, 1), out = new float[n];
        DoubleSupplier f = () -> {
            SwiGlu.forward(out, gate, up, n);
            return project(out, r);
        };
        float[] dGate = new float[n], dUp = new float[n];
        SwiGlu.backward(dGate, dUp, r, gate, up, n);
        report("swiglu dgate", check("swiglu dgate", gate, dGate, null, H, TOL, f));
        report("swiglu dup", check("swiglu dup", up, dUp, null, H, TOL, f));
    }

    @Test
    void crossEntropy() {
        int vocab = 37, target = 11;
        float[] logits = random(rnd, vocab, 2);
        DoubleSupplier f = () -> CrossEntropy.lossAndGradient(logits.clone(), 0, vocab, target, 1f);
        float[] grad = logits.clone();
        CrossEntropy.lossAndGradient(grad, 0, vocab, target, 1f);
        report("cross-entropy", check("cross-entropy dlogits", logits, grad, null, H, TOL, f));
    }

    @Test
    void embedding() {
        int vocab = 10, dim = 6;
        int[] tokens = {3, 7, 3, 0, 9, 3};
        float[] table = random(rnd, vocab * dim, 1), r = random(rnd, tokens.length * dim, 1), out = new float[tokens.length * dim];
        DoubleSupplier f = () -> {
            Embedding.forward(out, table, tokens, dim);
            return project(out, r);
        };
        float[] dTable = new float[table.length];
        Embedding.backward(dTable, r, tokens, dim);
        report("embedding", check("embedding dtable", table, dTable, null, H, TOL, f));
    }

    @ParameterizedTest
    @EnumSource(RopeLayout.class)
    void wholeLayer(RopeLayout layout) {
        LlamaConfig c = Models.tiny(1, 16, layout);
        TrainableModel m = Models.lively(c, 7, false);
        TrainableModel.Layer p = m.layers[0];
        int n = B * T;
        int[] segments = {0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 2, 2};
        BatchLayout s = BatchLayout.of(new Batch(B, T, new int[n], new int[n], new boolean[n], segments), c,
                new Rotary(c, null, T));
        LayerActivations a = new LayerActivations(c, B, T);
        float[] x = random(rnd, n * c.dim(), 1), r = random(rnd, n * c.dim(), 1), out = new float[n * c.dim()];
        DoubleSupplier f = () -> {
            TransformerLayer.forward(p, x, out, a, s);
            return project(out, r);
        };
        f.getAsDouble();
        m.zeroGrads();
        float[] dx = r.clone(), before = out.clone();
        TransformerLayer.backward(p, x, a, dx, new LayerGradients(c, n), s);
        f.getAsDouble(); // the backward changes neither the weights nor the inputs
        Assertions.assertArrayEquals(before, out);
        report("layer dx " + layout, check("layer dx", x, dx, rnd.ints(48, 0, x.length).toArray(), H, TOL, f));
        for (Param param : p.params()) {
            int[] coords = rnd.ints(12, 0, param.size()).toArray();
            report("layer " + param.name(), check("layer " + param.name(), param.value(), param.grad(), coords, H, TOL, f));
        }
    }
}
