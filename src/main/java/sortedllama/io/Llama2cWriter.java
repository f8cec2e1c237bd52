package sortedllama.io;

import static sortedllama.model.TensorNames.FINAL_NORM;
import static sortedllama.model.TensorNames.OUTPUT;
import static sortedllama.model.TensorNames.TOKEN_EMBEDDING;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import sortedllama.BadInputException;
import sortedllama.model.LlamaConfig;
import sortedllama.model.LlamaWeights;
import sortedllama.model.RopeLayout;
import sortedllama.model.TensorNames;
import sortedllama.tensor.DType;

/**
 * Writes llama2.c checkpoints in float32, the legacy layout (version 0) or version 1, in the tensor
 * order of llama2.c's export.py (see {@link Llama2cReader}). The format records only sizes: run.c
 * assumes rope theta 10000, RMSNorm eps 1e-5, head size dim / n_heads and no rope scaling, so a model
 * that differs is refused rather than written into a file that would run differently.
 */
public final class Llama2cWriter {
    private Llama2cWriter() {}

    /** @param version 0 (legacy) or 1 */
    public static void write(Path target, LlamaWeights weights, int version) {
        LlamaConfig c = weights.config;
        if (version != 0 && version != 1) throw new IllegalArgumentException("llama2.c version " + version + " (0 and 1 can be written)");
        String unrepresentable = c.ropeScaling() != null ? "rope scaling"
                : c.ropeTheta() != 10000f ? "rope theta " + c.ropeTheta() + " (llama2.c assumes 10000)"
                : c.normEps() != 1e-5f ? "RMSNorm epsilon " + c.normEps() + " (llama2.c assumes 1e-5)"
                : c.headDim() * c.nHeads() != c.dim() ? "head size " + c.headDim() + " != dim / heads"
                : !weights.exitHeads.isEmpty() ? "per-exit heads (exits " + weights.exitHeads.keySet()
                        + "; export one exit's sub-model with --exit-layer K instead)"
                : null;
        if (unrepresentable != null) {
            throw new BadInputException(target + ": a llama2.c file cannot record this model's " + unrepresentable);
        }
        Map<String, OutTensor> t = OutTensor.llama(weights, RopeLayout.INTERLEAVED, DType.F32, DType.F32);
        boolean shared = weights.tiedOutput();
        BinaryOut.writeAtomically(target, out -> {
            if (version == 0) {
                header(out, c, shared ? c.vocabSize() : -c.vocabSize()); // the sign says whether the classifier is shared
                t.get(TOKEN_EMBEDDING).write(out);
                for (IntFunction<String> kind : List.<IntFunction<String>>of(TensorNames::attnNorm, TensorNames::wq, TensorNames::wk,
                        TensorNames::wv, TensorNames::wo, TensorNames::ffnNorm, TensorNames::gate, TensorNames::down, TensorNames::up)) {
                    perLayer(out, t, c.nLayers(), kind);
                }
                t.get(FINAL_NORM).write(out);
                ropeTables(out, c);
            } else {
                out.i32(Llama2cReader.MAGIC);
                out.i32(1);
                header(out, c, c.vocabSize());
                out.i8(shared ? 1 : 0);
                while (out.position() < Llama2cReader.HEADER_BYTES) out.i8(0);
                perLayer(out, t, c.nLayers(), TensorNames::attnNorm);
                perLayer(out, t, c.nLayers(), TensorNames::ffnNorm);
                t.get(FINAL_NORM).write(out);
                t.get(TOKEN_EMBEDDING).write(out);
                for (IntFunction<String> kind : List.<IntFunction<String>>of(TensorNames::wq, TensorNames::wk, TensorNames::wv,
                        TensorNames::wo, TensorNames::gate, TensorNames::down, TensorNames::up)) {
                    perLayer(out, t, c.nLayers(), kind);
                }
            }
            if (!shared) t.get(OUTPUT).write(out);
        });
    }

    private static void header(BinaryOut out, LlamaConfig c, int signedVocab) throws IOException {
        for (int v : new int[] {c.dim(), c.hiddenDim(), c.nLayers(), c.nHeads(), c.nKvHeads(), signedVocab, c.contextLength()}) {
            out.i32(v);
        }
    }

    private static void perLayer(BinaryOut out, Map<String, OutTensor> t, int layers, IntFunction<String> name) throws IOException {
        for (int l = 0; l < layers; l++) t.get(name.apply(l)).write(out);
    }

    /** The legacy layout's precomputed rotary tables, cos then sin, [seq_len][head_size / 2] each (nothing reads them now). */
    private static void ropeTables(BinaryOut out, LlamaConfig c) throws IOException {
        int half = c.headDim() / 2;
        for (int part = 0; part < 2; part++) {
            for (int pos = 0; pos < c.contextLength(); pos++) {
                for (int i = 0; i < half; i++) {
                    double angle = pos / Math.pow(10000, 2.0 * i / c.headDim());
                    out.f32((float) (part == 0 ? Math.cos(angle) : Math.sin(angle)));
                }
            }
        }
    }
}
