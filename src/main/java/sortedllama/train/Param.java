package sortedllama.train;

import java.util.Arrays;
import sortedllama.tensor.Tensor;

/**
 * One trainable tensor: float32 values, a gradient buffer of the same shape that backward passes
 * add into, and whether it trains at all. Named like the model files' tensors (TensorNames).
 *
 * <p>A frozen base matrix under LoRA is the other form: {@link #stored} keeps the loaded tensor
 * in its own type (BF16, F16, Q8_0..., usually memory-mapped) with neither a float32 copy nor a
 * gradient buffer, and may carry a trainable {@link LoraAdapter} that {@link Linear} adds in.
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
    /** The loaded tensor of a {@link #stored} matrix; null for a float32 one. */
    private final Tensor stored;
    private LoraAdapter adapter;

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
        this.stored = null;
    }

    private Param(String name, Tensor stored) {
        this.name = name;
        this.kind = Kind.MATRIX;
        this.shape = stored.shape().clone();
        this.value = null;
        this.grad = null;
        this.stored = stored;
        this.trainable = false;
    }

    /** A frozen matrix read straight from {@code t}, in t's type: no float32 copy, no gradient. */
    static Param stored(String name, Tensor t) {
        if (t.shape().length != 2) throw new IllegalArgumentException(name + ": a stored Param must be a matrix, got " + t.shapeString());
        return new Param(name, t);
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
        return Math.toIntExact(stored != null ? stored.elementCount() : value.length);
    }

    /** The values themselves (not a copy): the optimizer updates them in place. Not for a {@link #stored} matrix. */
    public float[] value() {
        if (stored != null) throw new IllegalStateException(name + " is kept as " + stored.type() + ", not as float32 values");
        return value;
    }

    /** The gradient accumulated since the last {@link #zeroGrad()}; left at zero while frozen; null for a stored matrix. */
    public float[] grad() {
        return grad;
    }

    /** The tensor a frozen base matrix is read from (in its stored type), or null when the values are float32. */
    public Tensor storedTensor() {
        return stored;
    }

    /** The low-rank update this projection carries under LoRA, or null. */
    public LoraAdapter adapter() {
        return adapter;
    }

    void setAdapter(LoraAdapter adapter) {
        if (adapter != null && (adapter.b().rows() != rows() || adapter.a().cols() != cols())) {
            throw new IllegalArgumentException(name + ": adapter " + adapter + " does not fit " + Arrays.toString(shape));
        }
        this.adapter = adapter;
    }

    /** Whether a backward pass must reach this tensor: it trains, or its adapter does. */
    boolean needsGradient() {
        return trainable || adapter != null;
    }

    public boolean trainable() {
        return trainable;
    }

    /** A frozen parameter gets no gradient and no update: it stays bit-identical. */
    public void setTrainable(boolean trainable) {
        if (trainable && stored != null) throw new IllegalStateException(name + " is kept as " + stored.type() + " and cannot train");
        this.trainable = trainable;
    }

    public void zeroGrad() {
        if (grad != null) Arrays.fill(grad, 0f);
    }

    /** The gradient buffer to add into, or null when frozen (backward passes skip the work). */
    float[] gradOrNull() {
        return trainable ? grad : null;
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape) + (stored != null ? " " + stored.type() : "") + (trainable ? "" : " (frozen)")
                + (adapter != null ? " + " + adapter : "");
    }
}
