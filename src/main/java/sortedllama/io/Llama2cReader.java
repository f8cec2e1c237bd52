package sortedllama.io;

import static sortedllama.model.TensorNames.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntFunction;
import sortedllama.BadInputException;
import sortedllama.model.LlamaConfig;
import sortedllama.model.RopeLayout;
import sortedllama.tensor.DType;
import sortedllama.tensor.Tensor;

/**
 * llama2.c checkpoints, as its {@code export.py} writes them:
 * <ul>
 *   <li>legacy (v0): 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len), a
 *       negative vocab_size meaning the classifier is stored separately; then float32 token embedding,
 *       per-kind-then-per-layer weights, final norm, two unused rope tables, [classifier];</li>
 *   <li>version 1: magic "ak42", version, the 7 ints, a shared-classifier byte, zero padding to 256
 *       bytes; float32 norms first, then the matrices;</li>
 *   <li>version 2: as version 1 plus the int32 group size in the header; norms float32, and each matrix
 *       as its int8 values followed by its float32 scales (one per group of values, groups running
 *       through the flattened matrix).</li>
 * </ul>
 * Version 2 matrices are expanded to float32 on load (exact: value = q * scale) into memory allocated
 * in the ModelFile's arena, so they use 4 bytes per weight in RAM; everything else is a slice of the
 * mapping. Tensors are named after llama2.c's run.c fields ("wq[3]"), since the file has no names.
 * llama2.c names the SwiGLU matrices w1 (gate), w2 (down), w3 (up); rotary pairs are interleaved;
 * run.c fixes rope theta 10000, RMSNorm eps 1e-5, BOS 1, EOS 2 and head size dim / n_heads.
 */
final class Llama2cReader {
    static final int MAGIC = 0x616b3432; // "ak42"
    static final int HEADER_BYTES = 256;
    static final int LEGACY_HEADER_BYTES = 28;

    private Llama2cReader() {}

    /** The 7 header ints, or null when they do not look like a llama2.c model (so the file is something else). */
    static int[] plausibleLegacyHeader(MappedFile f) {
        if (f.size() < LEGACY_HEADER_BYTES) return null;
        int[] p = new int[7];
        for (int i = 0; i < 7; i++) p[i] = f.readInt(4L * i, "header");
        int dim = p[0], hidden = p[1], layers = p[2], heads = p[3], kvHeads = p[4], vocab = Math.abs(p[5]), seqLen = p[6];
        boolean plausible = dim > 0 && dim <= 1 << 20 && hidden > 0 && hidden <= 1 << 22 && layers > 0 && layers <= 4096
                && heads > 0 && heads <= dim && kvHeads > 0 && kvHeads <= heads && vocab > 0 && vocab <= 1 << 24
                && seqLen > 0 && seqLen <= 1 << 24;
        return plausible ? p : null;
    }

    static ModelFile read(Path path) {
        Arena arena = Arena.ofShared();
        try {
            MappedFile f = MappedFile.open(path, arena);
            MappedFile.Cursor in = f.cursor(0);
            boolean versioned = f.size() >= 4 && f.readInt(0, "magic") == MAGIC;
            int version = 0;
            if (versioned) {
                in.i32("magic");
                version = in.i32("version");
                if (version != 1 && version != 2) throw f.error("unsupported llama2.c file version " + version + " (1 and 2 are)");
            }
            int[] p = new int[7];
            for (int i = 0; i < 7; i++) p[i] = in.i32("header");
            int dim = p[0], hidden = p[1], layers = p[2], heads = p[3], kvHeads = p[4], vocab = Math.abs(p[5]), seqLen = p[6];
            boolean shared = versioned ? in.i8("header") != 0 : p[5] > 0;
            int groupSize = version == 2 ? in.i32("header group size") : 0;
            if (version == 2 && groupSize <= 0) throw f.error("bad quantisation group size " + groupSize);
            if (heads <= 0 || dim % heads != 0) {
                throw f.error("not a llama2.c checkpoint: the header says dim " + dim + " with " + heads + " heads");
            }
            LlamaConfig config;
            try {
                config = new LlamaConfig(dim, hidden, layers, heads, kvHeads, dim / heads, vocab, seqLen, 1e-5f, 10000f, null,
                        RopeLayout.INTERLEAVED, 1, 2);
            } catch (BadInputException e) {
                throw f.error(e.getMessage());
            }
            var weights = new Weights(f, f.cursor(versioned ? HEADER_BYTES : LEGACY_HEADER_BYTES), version, groupSize, arena);
            Map<String, Tensor> t = version == 0 ? weights.legacy(config, shared) : weights.versioned(config, shared);
            long end = weights.in.position();
            if (end != f.size()) {
                throw f.error("the header describes " + end + " bytes of model but the file has " + f.size()
                        + ": not a llama2.c checkpoint, or a corrupt one");
            }
            String format = switch (version) {
                case 0 -> "llama2.c legacy float32";
                case 1 -> "llama2.c version 1 float32";
                default -> "llama2.c version 2 (int8, group " + groupSize + ", expanded to float32)";
            };
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("shared_classifier", String.valueOf(shared));
            if (version == 2) meta.put("group_size", String.valueOf(groupSize));
            return new ModelFile(path, format, config, t, null, meta, arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Reads the consecutive tensors after the header. */
    private static final class Weights {
        final MappedFile f;
        final MappedFile.Cursor in;
        final int version, groupSize;
        final Arena arena;

        Weights(MappedFile f, MappedFile.Cursor in, int version, int groupSize, Arena arena) {
            this.f = f;
            this.in = in;
            this.version = version;
            this.groupSize = groupSize;
            this.arena = arena;
        }

        /** A float32 tensor: a slice of the mapping. */
        Tensor f32(String name, long... shape) {
            long n = Tensor.elementCount(shape);
            return new Tensor(name, DType.F32, shape, in.bytes(4 * n, "tensor " + name));
        }

        /** A matrix: float32, or in version 2 int8 values and float32 group scales, expanded to float32. */
        Tensor matrix(String name, long rows, long cols) {
            if (version != 2) return f32(name, rows, cols);
            long n = rows * cols;
            if (n % groupSize != 0) {
                throw f.error("tensor " + name + " has " + n + " values, not a multiple of the group size " + groupSize);
            }
            MemorySegment q = in.bytes(n, "tensor " + name);
            MemorySegment scales = in.bytes(4 * (n / groupSize), "scales of tensor " + name);
            MemorySegment out = arena.allocate(4 * n, 64);
            for (long g = 0; g < n / groupSize; g++) {
                float s = scales.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, g);
                for (long i = g * groupSize, end = i + groupSize; i < end; i++) {
                    out.setAtIndex(ValueLayout.JAVA_FLOAT, i, q.get(ValueLayout.JAVA_BYTE, i) * s);
                }
            }
            return new Tensor(name, DType.F32, new long[] {rows, cols}, out);
        }

        /** One vector per layer, stored one after another: "name[0]", "name[1]", ... */
        void vectors(Map<String, Tensor> t, int layers, IntFunction<String> key, String name, int size) {
            for (int l = 0; l < layers; l++) t.put(key.apply(l), f32(name + "[" + l + "]", size));
        }

        void matrices(Map<String, Tensor> t, int layers, IntFunction<String> key, String name, int rows, int cols) {
            for (int l = 0; l < layers; l++) t.put(key.apply(l), matrix(name + "[" + l + "]", rows, cols));
        }

        Map<String, Tensor> legacy(LlamaConfig p, boolean shared) {
            Map<String, Tensor> t = new LinkedHashMap<>();
            int L = p.nLayers(), dim = p.dim(), kv = p.kvDim(), hid = p.hiddenDim(), q = p.qDim();
            t.put(TOKEN_EMBEDDING, matrix("token_embedding_table", p.vocabSize(), dim));
            vectors(t, L, l -> attnNorm(l), "rms_att_weight", dim);
            matrices(t, L, l -> wq(l), "wq", q, dim);
            matrices(t, L, l -> wk(l), "wk", kv, dim);
            matrices(t, L, l -> wv(l), "wv", kv, dim);
            matrices(t, L, l -> wo(l), "wo", dim, q);
            vectors(t, L, l -> ffnNorm(l), "rms_ffn_weight", dim);
            matrices(t, L, l -> gate(l), "w1", hid, dim);
            matrices(t, L, l -> down(l), "w2", dim, hid);
            matrices(t, L, l -> up(l), "w3", hid, dim);
            t.put(FINAL_NORM, f32("rms_final_weight", dim));
            // precomputed rope tables (real and imaginary parts), which nothing reads any more
            in.bytes(2L * 4 * p.contextLength() * (p.headDim() / 2), "freq_cis_real and freq_cis_imag");
            if (!shared) t.put(OUTPUT, matrix("wcls", p.vocabSize(), dim));
            return t;
        }

        Map<String, Tensor> versioned(LlamaConfig p, boolean shared) {
            Map<String, Tensor> t = new LinkedHashMap<>();
            int L = p.nLayers(), dim = p.dim(), kv = p.kvDim(), hid = p.hiddenDim(), q = p.qDim();
            vectors(t, L, l -> attnNorm(l), "rms_att_weight", dim);
            vectors(t, L, l -> ffnNorm(l), "rms_ffn_weight", dim);
            t.put(FINAL_NORM, f32("rms_final_weight", dim));
            t.put(TOKEN_EMBEDDING, matrix("token_embedding_table", p.vocabSize(), dim));
            matrices(t, L, l -> wq(l), "wq", q, dim);
            matrices(t, L, l -> wk(l), "wk", kv, dim);
            matrices(t, L, l -> wv(l), "wv", kv, dim);
            matrices(t, L, l -> wo(l), "wo", dim, q);
            matrices(t, L, l -> gate(l), "w1", hid, dim);
            matrices(t, L, l -> down(l), "w2", dim, hid);
            matrices(t, L, l -> up(l), "w3", hid, dim);
            if (!shared) t.put(OUTPUT, matrix("wcls", p.vocabSize(), dim));
            return t;
        }
    }
}
