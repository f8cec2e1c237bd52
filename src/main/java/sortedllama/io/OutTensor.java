package sortedllama.io;

import static sortedllama.model.TensorNames.*;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;
import sortedllama.BadInputException;
import sortedllama.model.LlamaConfig;
import sortedllama.model.LlamaWeights;
import sortedllama.model.RopeLayout;
import sortedllama.tensor.DType;
import sortedllama.tensor.Dequantize;
import sortedllama.tensor.Quantize;
import sortedllama.tensor.Tensor;

/**
 * A tensor about to be written: its name in the target file, shape, stored type, and how to
 * produce its bytes. The writers first list these (the headers need every size up front), then
 * stream them out row by row, converting the type or reordering rows on the way when needed.
 */
record OutTensor(String name, long[] shape, DType type, Data data) {
    interface Data {
        void write(BinaryOut out) throws IOException;
    }

    long bytes() {
        return type.bytesFor(Tensor.elementCount(shape));
    }

    void write(BinaryOut out) throws IOException {
        data.write(out);
    }

    /** {@code t} stored as {@code as}, its rows in {@code rowOrder} (the source row of each row; null: as they are). */
    static OutTensor of(String name, Tensor t, DType as, int[] rowOrder) {
        int cols = t.cols();
        if (as.isQuantized() && cols % as.blockSize != 0) {
            throw new BadInputException("cannot store " + t.name() + " " + t.shapeString() + " as " + as + ": rows must be a multiple of "
                    + as.blockSize + " values");
        }
        return new OutTensor(name, t.shape(), as, out -> {
            if (as == t.type() && rowOrder == null) {
                out.segment(t.data());
                return;
            }
            long rows = t.elementCount() / cols, rowBytes = t.rowBytes();
            float[] values = new float[cols];
            MemorySegment converted = MemorySegment.ofArray(new byte[(int) as.bytesFor(cols)]);
            for (long r = 0; r < rows; r++) {
                MemorySegment row = t.data().asSlice((rowOrder == null ? r : rowOrder[(int) r]) * rowBytes, rowBytes);
                if (as == t.type()) {
                    out.segment(row);
                } else {
                    Dequantize.values(t.type(), row, cols, values, 0);
                    Quantize.encode(as, values, converted);
                    out.segment(converted);
                }
            }
        });
    }

    /** A vector (a norm's weights) stored as {@code as}. */
    static OutTensor of(String name, float[] values, DType as) {
        if (as.isQuantized()) throw new IllegalArgumentException("vectors are not stored quantized: " + name);
        return new OutTensor(name, new long[] {values.length}, as, out -> {
            MemorySegment encoded = MemorySegment.ofArray(new byte[(int) as.bytesFor(values.length)]);
            Quantize.encode(as, values, encoded);
            out.segment(encoded);
        });
    }

    /**
     * Every tensor of a model under its canonical name, in llama.cpp's order: q/k rows in rotary
     * layout {@code layout}, matrices as {@code matrixType} (null: as stored), norms as {@code normType}.
     * The head is listed only when it is not tied to the embedding; exits' own heads come last.
     */
    static Map<String, OutTensor> llama(LlamaWeights w, RopeLayout layout, DType matrixType, DType normType) {
        LlamaConfig c = w.config;
        int[] qRows = ropeRowOrder(c.nHeads(), c.headDim(), c.ropeLayout(), layout);
        int[] kRows = ropeRowOrder(c.nKvHeads(), c.headDim(), c.ropeLayout(), layout);
        Map<String, OutTensor> out = new LinkedHashMap<>();
        matrix(out, TOKEN_EMBEDDING, w.tokenEmbedding, matrixType, null);
        out.put(FINAL_NORM, of(FINAL_NORM, w.finalNorm, normType));
        if (!w.tiedOutput()) matrix(out, OUTPUT, w.output, matrixType, null);
        for (int l = 0; l < w.layers.length; l++) {
            LlamaWeights.Layer x = w.layers[l];
            out.put(attnNorm(l), of(attnNorm(l), x.attnNorm(), normType));
            matrix(out, wq(l), x.wq(), matrixType, qRows);
            matrix(out, wk(l), x.wk(), matrixType, kRows);
            matrix(out, wv(l), x.wv(), matrixType, null);
            matrix(out, wo(l), x.wo(), matrixType, null);
            out.put(ffnNorm(l), of(ffnNorm(l), x.ffnNorm(), normType));
            matrix(out, gate(l), x.gate(), matrixType, null);
            matrix(out, down(l), x.down(), matrixType, null);
            matrix(out, up(l), x.up(), matrixType, null);
        }
        w.exitHeads.forEach((k, own) -> {
            out.put(exitNorm(k), of(exitNorm(k), own.norm(), normType));
            matrix(out, exitOutput(k), own.output(), matrixType, null);
        });
        return out;
    }

    private static void matrix(Map<String, OutTensor> out, String name, Tensor t, DType as, int[] rowOrder) {
        out.put(name, of(name, t, as == null ? t.type() : as, rowOrder));
    }

    /**
     * The row order turning wq or wk from one rotary layout into the other (for each target row, its
     * source row), or null when the layouts agree. Within a head, interleaved row 2i + j (pair i,
     * element j) is half-split row j * headDim/2 + i: Hugging Face's permute in convert_llama_weights_to_hf.
     */
    static int[] ropeRowOrder(int heads, int headDim, RopeLayout from, RopeLayout to) {
        if (from == to) return null;
        int half = headDim / 2;
        int[] order = new int[heads * headDim];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < half; i++) {
                for (int j = 0; j < 2; j++) {
                    int interleaved = h * headDim + 2 * i + j, halfSplit = h * headDim + j * half + i;
                    if (to == RopeLayout.HALF_SPLIT) order[halfSplit] = interleaved;
                    else order[interleaved] = halfSplit;
                }
            }
        }
        return order;
    }
}
