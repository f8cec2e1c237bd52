package sortedllama.train;

import java.util.Arrays;

/**
 * One trainable tensor: float32 values, a gradient buffer of the same shape that backward passes
 * add into, and whether it trains at all. Named like the model files' tensors (TensorNames).
 */
public final class Param {

    /** What the tensor does; decides e.g. weight decay (see {@link AdamW}). */
    public enum Kind {
        /** A weight matrix multiplied with activations (projections, the head, a tied embedding-head). */
        MATRIX,
        /** An input embedding table that is not also the head: rows are looked up, not multiplied. */
        EMBEDDING,
        /** An RMSNorm scale vector. */
        NORM
    }

    private final String name;
    private final Kind kind;
    private final long[] shape;
    private final float[] value;
    private final float[] grad;
    private boolean trainable = true;

    Param(String name, Kind kind, long[] shape, float[] value) {
        long n = 1;
        for (long d : shape) n *= d;
        if (n != value.length) {
            throw new IllegalArgumentException(name + ": " + value.length + " values for shape " + Arrays.toString(shape));
        }
        this.name = name;
        this.kind = kind;
        this.shape = shape.clone();
        this.value = value;
        this.grad = new float[value.length];
    }

    public String name() {
        return name;
    }

    public Kind kind() {
        return kind;
    }

    public long[] shape() {
        return shape.clone();
    }

    /** Rows of a matrix (the output width of a projection); a vector's length. */
    public int rows() {
        return (int) shape[0];
    }

    /** Columns of a matrix (the input width of a projection); a vector's length. */
    public int cols() {
        return (int) shape[shape.length - 1];
    }

    public int size() {
        return value.length;
    }

    /** The values themselves (not a copy): the optimizer updates them in place. */
    public float[] value() {
        return value;
    }

    /** The gradient accumulated since the last {@link #zeroGrad()}; left at zero while frozen. */
    public float[] grad() {
        return grad;
    }

    public boolean trainable() {
        return trainable;
    }

    /** A frozen parameter gets no gradient and no update: it stays bit-identical. */
    public void setTrainable(boolean trainable) {
        this.trainable = trainable;
    }

    public void zeroGrad() {
        Arrays.fill(grad, 0f);
    }

    /** The gradient buffer to add into, or null when frozen (backward passes skip the work). */
    float[] gradOrNull() {
        return trainable ? grad : null;
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape) + (trainable ? "" : " (frozen)");
    }
}
