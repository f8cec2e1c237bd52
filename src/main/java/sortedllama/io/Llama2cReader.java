package sortedllama.io;

import static sortedllama.model.TensorNames.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntFunction;
import sortedllama.model.LlamaConfig;
import sortedllama.model.RopeLayout;
import sortedllama.tensor.DType;
import sortedllama.tensor.Tensor;

/**
 * llama2.c checkpoints ({@code export.py}): the legacy float32 layout (a 7-int header; a negative
 * vocabulary size means the classifier is stored separately), version 1 (256-byte header, float32)
 * and version 2 (int8 values in groups with one float32 scale each; expanded to float32 on load,
 * which is exact). llama2.c names w1/w2/w3 what we call gate/down/up; rotary pairs are interleaved.
 */
final class Llama2cReader {
    static final int MAGIC = 0x616b3432; // "ak42"
    private static final int HEADER_BYTES = 256;

    private Llama2cReader() {}

    static boolean looksLikeLlama2c(MappedFile f) {
        if (f.size() < 28) return false;
        int first = f.readInt(0, "header");
        return first == MAGIC || first > 0; // legacy: the first int is dim
    }

    static ModelFile read(Path path) {
        Arena arena = Arena.ofShared();
        try {
            MappedFile f = MappedFile.open(path, arena);
            boolean versioned = f.size() >= 8 && f.readInt(0, "header") == MAGIC;
            int version = versioned ? f.readInt(4, "version") : 0;
            if (versioned && version != 1 && version != 2) throw f.error("unsupported llama2.c file version " + version);
            long h = versioned ? 8 : 0;
            int[] p = new int[7];
            for (int i = 0; i < 7; i++) p[i] = f.readInt(h + 4L * i, "header");
            int dim = p[0], hidden = p[1], layers = p[2], heads = p[3], kvHeads = p[4], vocab = Math.abs(p[5]), seqLen = p[6];
            boolean shared = versioned ? f.slice(h + 28, 1, "header").get(ValueLayout.JAVA_BYTE, 0) != 0 : p[5] > 0;
            if (dim <= 0 || heads <= 0 || dim % heads != 0) {
                throw f.error("not a llama2.c checkpoint: header says dim " + dim + " with " + heads + " heads");
            }
            int headDim = dim / heads;
            var config = new LlamaConfig(dim, hidden, layers, heads, kvHeads, headDim, vocab, seqLen, 1e-5f, 10000f, null,
                    RopeLayout.INTERLEAVED, 1, 2);
            var cursor = new Cursor(f, version, arena);
            if (version == 2) {
                cursor.groupSize = f.readInt(h + 29, "header group size");
                if (cursor.groupSize <= 0) throw f.error("bad quantisation group size " + cursor.groupSize);
            }
            cursor.offset = versioned ? HEADER_BYTES : 28;
            Map<String, Tensor> t = version == 0 ? legacy(cursor, config, shared) : versioned(cursor, config, shared, version);
            if (cursor.offset != f.size()) {
                throw f.error("file has " + f.size() + " bytes but the header's shapes account for " + cursor.offset
                        + ": wrong format or corrupt file");
            }
            String format = "llama2.c " + (version == 0 ? "legacy float32" : "version " + version
                    + (version == 2 ? " (int8, group " + cursor.groupSize + ", expanded to float32)" : " float32"));
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("shared_classifier", String.valueOf(shared));
            return new ModelFile(path, format, config, t, null, meta, arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Reads consecutive tensors: float32 slices of the mapping, or dequantised int8 groups. */
    private static final class Cursor {
        final MappedFile f;
        final int version;
        final Arena arena;
        long offset;
        int groupSize;

        Cursor(MappedFile f, int version, Arena arena) {
            this.f = f;
            this.version = version;
            this.arena = arena;
        }

        Tensor f32(String name, long... shape) {
            long n = Tensor.elementCount(shape);
            Tensor t = new Tensor(name, DType.F32, shape, f.slice(offset, 4 * n, "tensor " + name));
            offset += 4 * n;
            return t;
        }

        Tensor weight(String name, long... shape) {
            return version == 2 ? int8(name, shape) : f32(name, shape);
        }

        private Tensor int8(String name, long... shape) {
            long n = Tensor.elementCount(shape);
            if (n % groupSize != 0) throw f.error("tensor " + name + " has " + n + " values, not a multiple of the group size " + groupSize);
            MemorySegment q = f.slice(offset, n, "tensor " + name);
            MemorySegment scales = f.slice(offset + n, 4 * (n / groupSize), "scales of tensor " + name);
            offset += n + 4 * (n / groupSize);
            MemorySegment out = arena.allocate(4 * n, 64);
            for (long i = 0; i < n; i++) {
                float s = scales.get(ValueLayout.JAVA_FLOAT_UNALIGNED, 4 * (i / groupSize));
                out.set(ValueLayout.JAVA_FLOAT_UNALIGNED, 4 * i, q.get(ValueLayout.JAVA_BYTE, i) * s);
            }
            return new Tensor(name, DType.F32, shape, out);
        }

        /** One tensor per layer, stored one after another. */
        void perLayer(Map<String, Tensor> t, int layers, IntFunction<String> key, String name, boolean quantised, long... shape) {
            for (int l = 0; l < layers; l++) {
                String n = name + "[" + l + "]";
                t.put(key.apply(l), quantised ? weight(n, shape) : f32(n, shape));
            }
        }
    }

    private static Map<String, Tensor> legacy(Cursor c, LlamaConfig p, boolean shared) {
        Map<String, Tensor> t = new LinkedHashMap<>();
        int L = p.nLayers(), dim = p.dim(), kv = p.kvDim(), hid = p.hiddenDim();
        t.put(TOKEN_EMBEDDING, c.f32("token_embedding_table", p.vocabSize(), dim));
        c.perLayer(t, L, l -> attnNorm(l), "rms_att_weight", false, dim);
        c.perLayer(t, L, l -> wq(l), "wq", false, p.qDim(), dim);
        c.perLayer(t, L, l -> wk(l), "wk", false, kv, dim);
        c.perLayer(t, L, l -> wv(l), "wv", false, kv, dim);
        c.perLayer(t, L, l -> wo(l), "wo", false, dim, p.qDim());
        c.perLayer(t, L, l -> ffnNorm(l), "rms_ffn_weight", false, dim);
        c.perLayer(t, L, l -> gate(l), "w1", false, hid, dim);
        c.perLayer(t, L, l -> down(l), "w2", false, dim, hid);
        c.perLayer(t, L, l -> up(l), "w3", false, hid, dim);
        t.put(FINAL_NORM, c.f32("rms_final_weight", dim));
        c.f32("freq_cis_real", p.contextLength(), p.headDim() / 2); // precomputed rope tables: unused
        c.f32("freq_cis_imag", p.contextLength(), p.headDim() / 2);
        if (!shared) t.put(OUTPUT, c.f32("wcls", p.vocabSize(), dim));
        return t;
    }

    private static Map<String, Tensor> versioned(Cursor c, LlamaConfig p, boolean shared, int version) {
        Map<String, Tensor> t = new LinkedHashMap<>();
        int L = p.nLayers(), dim = p.dim(), kv = p.kvDim(), hid = p.hiddenDim();
        c.perLayer(t, L, l -> attnNorm(l), "attention_norm", false, dim);
        c.perLayer(t, L, l -> ffnNorm(l), "ffn_norm", false, dim);
        t.put(FINAL_NORM, c.f32("norm", dim));
        boolean q = version == 2;
        t.put(TOKEN_EMBEDDING, q ? c.weight("tok_embeddings", p.vocabSize(), dim) : c.f32("tok_embeddings", p.vocabSize(), dim));
        c.perLayer(t, L, l -> wq(l), "wq", q, p.qDim(), dim);
        c.perLayer(t, L, l -> wk(l), "wk", q, kv, dim);
        c.perLayer(t, L, l -> wv(l), "wv", q, kv, dim);
        c.perLayer(t, L, l -> wo(l), "wo", q, dim, p.qDim());
        c.perLayer(t, L, l -> gate(l), "w1", q, hid, dim);
        c.perLayer(t, L, l -> down(l), "w2", q, dim, hid);
        c.perLayer(t, L, l -> up(l), "w3", q, hid, dim);
        if (!shared) t.put(OUTPUT, c.weight("output", p.vocabSize(), dim));
        return t;
    }
}
