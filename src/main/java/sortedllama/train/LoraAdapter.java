package sortedllama.train;

import java.util.SplittableRandom;
import sortedllama.tensor.Vec;

/**
 * LoRA (Hu et al. 2021): a frozen projection W [out, in] plus a trainable low-rank update,
 * <pre>
 *   y = x · W^T + s · (x · A^T) · B^T,     A [r, in], B [out, r], s = alpha / r
 * </pre>
 * so the layer acts as W + s · B · A ({@link #addTo} merges it). B starts at zero, so training
 * starts from the base model exactly; A starts as PEFT's: Kaiming-uniform with a = sqrt(5), i.e.
 * U(-1/sqrt(in), 1/sqrt(in)), seeded by (seed, name). With B = 0 only B gets a gradient at first.
 *
 * <p>u = s · x · A^T [tokens, r] is recomputed in the backward rather than kept: it costs
 * r/out of the base product and saves a buffer per adapter.
 */
public final class LoraAdapter {
    private final Param a, b;
    private final float scale;

    LoraAdapter(Param a, Param b, float scale) {
        if (a.rows() != b.cols()) throw new IllegalArgumentException("LoRA A " + a + " and B " + b + " differ in rank");
        this.a = a;
        this.b = b;
        this.scale = scale;
    }

    /** A fresh adapter for {@code base}: A Kaiming-uniform, B zero. Names: the base's with lora_a / lora_b for weight. */
    static LoraAdapter init(Param base, int rank, double alpha, long seed) {
        int in = base.cols(), out = base.rows();
        String nameA = tensorName(base.name(), "lora_a"), nameB = tensorName(base.name(), "lora_b");
        float[] valuesA = new float[rank * in];
        double bound = 1 / Math.sqrt(in);
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + nameA.hashCode());
        for (int i = 0; i < valuesA.length; i++) valuesA[i] = (float) ((2 * rnd.nextDouble() - 1) * bound);
        return new LoraAdapter(new Param(nameA, Param.Kind.MATRIX, new long[] {rank, in}, valuesA),
                new Param(nameB, Param.Kind.MATRIX, new long[] {out, rank}, new float[out * rank]), (float) (alpha / rank));
    }

    /** "blk.0.attn_q.weight" -> "blk.0.attn_q.lora_a". */
    public static String tensorName(String baseName, String part) {
        return (baseName.endsWith(".weight") ? baseName.substring(0, baseName.length() - ".weight".length()) : baseName) + "." + part;
    }

    public Param a() {
        return a;
    }

    public Param b() {
        return b;
    }

    public int rank() {
        return a.rows();
    }

    /** alpha / rank. */
    public float scale() {
        return scale;
    }

    /** y += s · (x · A^T) · B^T. */
    void forward(float[] y, float[] x, int tokens) {
        int out = b.rows();
        float[] u = down(x, tokens);
        Gemm.gemm(false, true, tokens, out, rank(), u, 0, rank(), b.value(), 0, rank(), 1f, y, 0, out);
    }

    /**
     * With u = s · x · A^T and dy = dLoss/dy: dB += dy^T · u, du = s · dy · B, dA += du^T · x,
     * dx += du · A (always added: the base projection has written its part of dx already).
     */
    void backward(float[] dx, float[] dy, float[] x, int tokens) {
        int out = b.rows(), in = a.cols(), r = rank();
        float[] db = b.gradOrNull(), da = a.gradOrNull();
        if (db != null) Gemm.gemm(true, false, out, r, tokens, dy, 0, out, down(x, tokens), 0, r, 1f, db, 0, r);
        float[] du = new float[tokens * r];
        Gemm.gemm(false, false, tokens, r, out, dy, 0, out, b.value(), 0, r, 0f, du, 0, r);
        Vec.scale(du, 0, du.length, scale);
        if (da != null) Gemm.gemm(true, false, r, in, tokens, du, 0, r, x, 0, in, 1f, da, 0, in);
        Gemm.gemm(false, false, tokens, in, r, du, 0, r, a.value(), 0, in, 1f, dx, 0, in);
    }

    /** u = s · x · A^T [tokens, r]. */
    private float[] down(float[] x, int tokens) {
        int in = a.cols(), r = rank();
        float[] u = new float[tokens * r];
        Gemm.gemm(false, true, tokens, r, in, x, 0, in, a.value(), 0, in, 0f, u, 0, r);
        Vec.scale(u, 0, u.length, scale);
        return u;
    }

    /** w [out, in] += s · B · A: the projection this adapter makes of w. */
    void addTo(float[] w) {
        int out = b.rows(), in = a.cols(), r = rank();
        float[] scaledB = b.value().clone();
        Vec.scale(scaledB, 0, scaledB.length, scale);
        Gemm.gemm(false, false, out, in, r, scaledB, 0, r, a.value(), 0, in, 1f, w, 0, in);
    }

    @Override
    public String toString() {
        return "LoRA rank " + rank() + " scale " + scale;
    }
}
