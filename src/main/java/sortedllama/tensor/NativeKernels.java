package sortedllama.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The kernels of {@code src/main/c/kernels.c} (built by Maven into {@code target/native/libsortedllama.so}),
 * called through FFM: row products for one to a few vectors (block-quantized rows against inputs
 * rounded to 8-bit blocks, with AVX512-VNNI integer dot products; F32/F16/BF16 rows against float32
 * inputs), and quantized rows expanded to floats for sgemm. Why native: see kernels.c.
 *
 * <p>Used by {@link Matmul} when the library loaded and the CPU has the instructions; otherwise (no C
 * compiler at build time, another CPU, or {@code -Dsortedllama.native=false}) the Vector API kernels
 * of {@link WeightRows} serve every type, and {@link #why()} says why.
 */
public final class NativeKernels {
    private static final MethodHandle MATVEC, DEQUANTIZE, QUANTIZE_A32, QUANTIZE_A256, GROUP_BYTES, GROUP_HEIGHT, GROUP_ROWS, MATVEC_GROUPED, MATMUL_AMX, AMX_INPUT_BYTES, AMX_INPUT, DEQUANTIZE_GROUPED, MAP_HUGE, UNMAP, ATTEND_Q8, STORE_Q8;
    /** Whether prefill multiplies row groups on AMX tiles: the CPU has AMX-INT8, Linux granted it, not turned off. */
    private static final boolean AMX;
    /** Whether matrices are repacked into row groups ({@link #withRowGroups}); -Dsortedllama.rowGroups=false, for comparisons, says no. */
    private static final boolean ROW_GROUPS = Boolean.parseBoolean(System.getProperty("sortedllama.rowGroups", "true"));
    /** Per DType ordinal: values per activation block (32, 256; 1: float32 inputs as they are), or 0 for types not served. */
    private static final int[] ACTIVATION_BLOCK = new int[DType.values().length];
    private static final int A32_BYTES, A256_BYTES;
    private static final String WHY;

    static {
        MethodHandle matvec = null, dequantize = null, q32 = null, q256 = null, groupBytes = null, groupHeight = null, groupRows = null, grouped = null, amx = null, dequantizeGrouped = null, mapHuge = null, unmap = null, amxInputBytes = null, amxInput = null, attendQ8 = null, storeQ8 = null;
        boolean amxOn = false;
        int a32 = 0, a256 = 0;
        String why = null;
        Path lib = library();
        if (!Boolean.parseBoolean(System.getProperty("sortedllama.native", "true"))) {
            why = "turned off (-Dsortedllama.native=false)";
        } else if (lib == null || !Files.isRegularFile(lib)) {
            why = "not built (no " + (lib == null ? "libsortedllama.so" : lib) + "; the build needs gcc)";
        } else {
            Linker linker = Linker.nativeLinker();
            SymbolLookup syms = SymbolLookup.libraryLookup(lib, Arena.global());
            var I = ValueLayout.JAVA_INT;
            var J = ValueLayout.JAVA_LONG;
            var P = ValueLayout.ADDRESS;
            try {
                int supported = (int) linker.downcallHandle(syms.find("sl_supported").orElseThrow(), FunctionDescriptor.of(I)).invokeExact();
                if (supported == 0) {
                    why = "this CPU lacks AVX512-BW/VL/VNNI";
                } else {
                    a32 = (int) linker.downcallHandle(syms.find("sl_a32_bytes").orElseThrow(), FunctionDescriptor.of(I)).invokeExact();
                    a256 = (int) linker.downcallHandle(syms.find("sl_a256_bytes").orElseThrow(), FunctionDescriptor.of(I)).invokeExact();
                    MethodHandle block = linker.downcallHandle(syms.find("sl_activation_block").orElseThrow(), FunctionDescriptor.of(I, I));
                    for (DType t : DType.values()) ACTIVATION_BLOCK[t.ordinal()] = (int) block.invokeExact(t.ggmlId);
                    // critical: heap arrays are passed in place, and the calls are short (a share of one product)
                    var critical = Linker.Option.critical(true);
                    q32 = linker.downcallHandle(syms.find("sl_quantize_a32").orElseThrow(), FunctionDescriptor.ofVoid(P, I, P), critical);
                    q256 = linker.downcallHandle(syms.find("sl_quantize_a256").orElseThrow(), FunctionDescriptor.ofVoid(P, I, P), critical);
                    matvec = linker.downcallHandle(syms.find("sl_matvec").orElseThrow(),
                            FunctionDescriptor.ofVoid(I, P, J, I, I, I, P, J, I, P, J), critical);
                    dequantize = linker.downcallHandle(syms.find("sl_dequantize").orElseThrow(),
                            FunctionDescriptor.ofVoid(I, P, J, I, I, I, P, J), critical);
                    groupBytes = linker.downcallHandle(syms.find("sl_group_bytes").orElseThrow(), FunctionDescriptor.of(J, I, I, I));
                    groupHeight = linker.downcallHandle(syms.find("sl_group_height").orElseThrow(), FunctionDescriptor.of(I, I));
                    groupRows = linker.downcallHandle(syms.find("sl_group_rows").orElseThrow(), FunctionDescriptor.ofVoid(I, P, J, I, I, P));
                    mapHuge = linker.downcallHandle(syms.find("sl_map_huge").orElseThrow(), FunctionDescriptor.of(P, J));
                    unmap = linker.downcallHandle(syms.find("sl_unmap").orElseThrow(), FunctionDescriptor.ofVoid(P, J));
                    grouped = linker.downcallHandle(syms.find("sl_matvec_grouped").orElseThrow(),
                            FunctionDescriptor.ofVoid(I, P, I, I, I, P, J, I, P, J), critical);
                    dequantizeGrouped = linker.downcallHandle(syms.find("sl_dequantize_grouped").orElseThrow(),
                            FunctionDescriptor.ofVoid(I, P, J, I, I, I, P, J), critical);
                    amx = linker.downcallHandle(syms.find("sl_matmul_amx").orElseThrow(),
                            FunctionDescriptor.ofVoid(I, P, J, I, I, I, P, I, P, J), critical);
                    amxInputBytes = linker.downcallHandle(syms.find("sl_amx_input_bytes").orElseThrow(), FunctionDescriptor.of(J, I, I, I));
                    amxInput = linker.downcallHandle(syms.find("sl_amx_input").orElseThrow(), FunctionDescriptor.ofVoid(I, P, P, J, I, I, P, I, I), critical);
                    var F = ValueLayout.JAVA_FLOAT;
                    attendQ8 = linker.downcallHandle(syms.find("sl_attend_q8").orElseThrow(),
                            FunctionDescriptor.ofVoid(P, I, I, P, P, P, P, I, I, I, F, P, I, P, I), critical);
                    storeQ8 = linker.downcallHandle(syms.find("sl_store_q8").orElseThrow(),
                            FunctionDescriptor.ofVoid(P, P, I, I, I, I, P, P, P, P), critical);
                    amxOn = Boolean.parseBoolean(System.getProperty("sortedllama.amx", "true"))
                            && (int) linker.downcallHandle(syms.find("sl_amx_init").orElseThrow(), FunctionDescriptor.of(I)).invokeExact() == 1;
                }
            } catch (Throwable t) {
                why = "failed to load " + lib + ": " + t;
                matvec = null;
            }
        }
        MATVEC = matvec;
        DEQUANTIZE = dequantize;
        GROUP_BYTES = groupBytes;
        GROUP_HEIGHT = groupHeight;
        GROUP_ROWS = groupRows;
        MAP_HUGE = mapHuge;
        UNMAP = unmap;
        MATVEC_GROUPED = grouped;
        MATMUL_AMX = amx;
        AMX_INPUT_BYTES = amxInputBytes;
        AMX_INPUT = amxInput;
        DEQUANTIZE_GROUPED = dequantizeGrouped;
        ATTEND_Q8 = attendQ8;
        STORE_Q8 = storeQ8;
        AMX = amxOn;
        QUANTIZE_A32 = q32;
        QUANTIZE_A256 = q256;
        A32_BYTES = a32;
        A256_BYTES = a256;
        WHY = why;
    }

    private NativeKernels() {}

    /** Whether {@link #attendQ8} and {@link #storeQ8} run here: the library loaded and the CPU has their instructions. */
    public static boolean attends() {
        return ATTEND_Q8 != null && STORE_Q8 != null;
    }

    /** Queries that sl_attend_q8 takes at once (attention.c's QUERIES): its scores hold this many rows. */
    public static final int QUERIES_AT_ONCE = 4;

    /**
     * Attention of {@code n} consecutive positions of one sequence over one head of a Q8_0 KV cache ({@link Int8Kv}'s
     * layout; sl_attend_q8 in attention.c): query j, at q[qOff + j * qStride..+headDim), sees positions 0..first+j-1,
     * and out[outOff + j * outStride..+headDim) gets their values weighted by the softmax of scale times their keys'
     * dot products with it. Each query gets the bits of {@link Int8Kv#dots16}, the scaling, {@link Vec#softmax} and
     * {@link Int8Kv#weightedSum} in turn, whatever n is; scores holds {@link #QUERIES_AT_ONCE} rows of scoreStride
     * floats, scoreStride at least first + n - 1 rounded up to 16. nextHead > 0: the next call reads the head whose
     * keys and values lie nextHead positions further on, and this one asks for them ahead (0: none).
     */
    public static void attendQ8(float[] q, int qOff, int qStride, int n, byte[] keys, int keysOff, float[] keyScales, int keyScalesOff,
                                byte[] values, int valuesOff, float[] valueScales, int valueScalesOff, int first, int headDim,
                                int nextHead, float scale, float[] scores, int scoreStride, float[] out, int outOff, int outStride) {
        try {
            ATTEND_Q8.invokeExact(MemorySegment.ofArray(q).asSlice(4L * qOff), qStride, n, MemorySegment.ofArray(keys).asSlice(keysOff),
                    MemorySegment.ofArray(keyScales).asSlice(4L * keyScalesOff), MemorySegment.ofArray(values).asSlice(valuesOff),
                    MemorySegment.ofArray(valueScales).asSlice(4L * valueScalesOff), first, headDim, nextHead, scale,
                    MemorySegment.ofArray(scores), scoreStride, MemorySegment.ofArray(out).asSlice(4L * outOff), outStride);
        } catch (Throwable e) {
            throw new IllegalStateException("native attention failed", e);
        }
    }

    /**
     * Position {@code pos} of one layer of a Q8_0 KV cache ({@link Int8Kv}'s layout; sl_store_q8 in attention.c): the
     * keys and values of its {@code heads} KV heads, k[from..] and v[from..], each head's positions starting at
     * {@code h * run} in the layer's arrays; the bits of {@link Int8Kv#quantizeColumn} and {@link Int8Kv#quantize}.
     */
    public static void storeQ8(float[] k, float[] v, int from, int heads, int headDim, int run, int pos,
                               byte[] keys, float[] keyScales, byte[] values, float[] valueScales) {
        try {
            STORE_Q8.invokeExact(MemorySegment.ofArray(k).asSlice(4L * from), MemorySegment.ofArray(v).asSlice(4L * from), heads, headDim,
                    run, pos, MemorySegment.ofArray(keys), MemorySegment.ofArray(keyScales), MemorySegment.ofArray(values),
                    MemorySegment.ofArray(valueScales));
        } catch (Throwable e) {
            throw new IllegalStateException("native KV store failed", e);
        }
    }

    /** target/native/libsortedllama.so beside the classes directory or the jar, or -Dsortedllama.native.lib. */
    static Path library() {
        String explicit = System.getProperty("sortedllama.native.lib");
        if (explicit != null) return Path.of(explicit);
        try {
            var source = NativeKernels.class.getProtectionDomain().getCodeSource();
            if (source == null) return null;
            Path here = Path.of(source.getLocation().toURI()); // target/classes or target/sorted-llama.jar
            return here.getParent().resolve("native").resolve("libsortedllama.so");
        } catch (URISyntaxException | RuntimeException e) {
            return null;
        }
    }

    public static boolean available() {
        return MATVEC != null;
    }

    /** Why the native kernels are not in use, or null when they are. */
    public static String why() {
        return WHY;
    }

    /**
     * How the native kernels take the input for weights of this type: in 8-bit blocks of 32 or 256
     * values, as float32 (1: the float types), or not at all (0: not served).
     */
    public static int activationBlock(DType type) {
        return available() ? ACTIVATION_BLOCK[type.ordinal()] : 0;
    }

    /** Bytes of one input vector of {@code cols} values as the kernels take it ({@link #activationBlock}). */
    public static int activationBytes(int block, int cols) {
        return block == 1 ? 4 * cols : cols / block * (block == 32 ? A32_BYTES : A256_BYTES);
    }

    /**
     * {@code tokens} input vectors x[t*cols ..] as the kernels for blocks of {@code block} take them. Quantized
     * inputs are written into a buffer of the calling thread, one per block size, reused by its next call for
     * that size: a product's input must be used before then. Why: with a new array per product, 51 vectors times
     * four 2048 x 768 Q8_0 matrices took about twice as long in 28% of 3,000 passes (1 ms or more against
     * 0.7-0.8), against 1% with one reused array, on the AMD EPYC (a throwaway driver; the cause was not found).
     */
    public static MemorySegment input(int block, float[] x, int cols, int tokens) {
        if (block == 1) return MemorySegment.ofArray(x);
        int bytes = activationBytes(block, cols) * tokens;
        byte[][] own = INPUTS.get();
        int slot = block == 32 ? 0 : 1, have = own[slot] == null ? 0 : own[slot].length;
        if (have < bytes) own[slot] = new byte[Math.max(bytes, 2 * have)]; // doubled: prompt chunks vary in length
        quantizeInto(block, x, cols, tokens, own[slot]);
        return MemorySegment.ofArray(own[slot]).asSlice(0, bytes);
    }

    /** Each thread's reused buffers for {@link #input}: A32 blocks, then A256 blocks. */
    private static final ThreadLocal<byte[][]> INPUTS = ThreadLocal.withInitial(() -> new byte[2][]);

    /** Values per thread below which quantizing activations stays on the calling thread: a hand-off costs about a microsecond. */
    private static final int QUANTIZE_MIN_PER_THREAD = 1 << 14;

    /** {@code tokens} vectors x[t*cols ..] quantized in blocks of {@code block} (32 or 256), one after another. */
    public static byte[] quantize(int block, float[] x, int cols, int tokens) {
        byte[] out = new byte[activationBytes(block, cols) * tokens];
        quantizeInto(block, x, cols, tokens, out);
        return out;
    }

    /** {@link #quantize} into the first bytes of {@code out}. */
    private static void quantizeInto(int block, float[] x, int cols, int tokens, byte[] out) {
        int stride = activationBytes(block, cols);
        MemorySegment xs = MemorySegment.ofArray(x), os = MemorySegment.ofArray(out);
        // token by token on every core once there are a few tens of thousands of values (a prefill chunk)
        Parallel.forRange(tokens, Math.max(1, QUANTIZE_MIN_PER_THREAD / cols), (from, to) -> {
            try {
                for (int t = from; t < to; t++) {
                    MemorySegment xt = xs.asSlice(4L * t * cols), ot = os.asSlice((long) t * stride);
                    if (block == 32) QUANTIZE_A32.invokeExact(xt, cols, ot);
                    else QUANTIZE_A256.invokeExact(xt, cols, ot);
                }
            } catch (Throwable e) {
                throw new IllegalStateException("native activation quantization failed", e);
            }
        });
    }

    /**
     * {@code out[t * rows + r] = W[r] . x_t} for rows [r0, r1) and every token, from the inputs as
     * {@link #input} gives them for {@link #activationBlock}(w.type()).
     */
    public static void matvec(Tensor w, int r0, int r1, MemorySegment xq, int tokens, float[] out) {
        int cols = w.cols();
        long stride = activationBytes(activationBlock(w.type()), cols);
        try {
            MATVEC.invokeExact(w.type().ggmlId, w.data(), w.rowBytes(), cols, r0, r1, xq, stride, tokens,
                    MemorySegment.ofArray(out), (long) w.rows());
        } catch (Throwable e) {
            throw new IllegalStateException("native product failed", e);
        }
    }

    /**
     * {@code w} with its rows repacked eight at a time, Q8_0's sixteen as AMX tiles ({@link Tensor#rowGroups};
     * the layouts are kernels.c's "row groups" and "Q8_0's tile groups"), allocated in {@code arena}: Q8_0
     * matrices whose rows are a multiple of 16, Q4_0, IQ4_NL and Q4_K matrices whose rows are a multiple of 8. Any other tensor, or all of them when the native kernels are off or under
     * {@code -Dsortedllama.rowGroups=false} (the per-row kernels then serve, as the baseline of a
     * same-run comparison), comes back as it is.
     */
    public static Tensor withRowGroups(Tensor w, Arena arena) {
        if (!available() || w.rowGroups() != null || w.shape().length != 2 || !ROW_GROUPS) return w;
        try {
            long bytes = (long) GROUP_BYTES.invokeExact(w.type().ggmlId, w.rows(), w.cols());
            if (bytes == 0) return w;
            MemorySegment groups = hugePages(bytes, arena);
            int height = (int) GROUP_HEIGHT.invokeExact(w.type().ggmlId);
            long perGroup = bytes / (w.rows() / height);
            Parallel.forRange(w.rows() / height, 16, (from, to) -> { // groups from..to-1, on the cores (a load-time copy of the weights)
                try {
                    GROUP_ROWS.invokeExact(w.type().ggmlId, w.data().asSlice((long) height * from * w.rowBytes()), w.rowBytes(), height * (to - from), w.cols(),
                            groups.asSlice(from * perGroup));
                } catch (Throwable e) {
                    throw new IllegalStateException("native repacking failed", e);
                }
            });
            // the file's pages stay in the page cache; out of this process's memory, they do not count
            // twice (a 7B Q4_0 model would otherwise hold 7.6 GB): they come back if the rows are read again
            if (w.data().isMapped()) w.data().unload();
            return new Tensor(w.name(), w.type(), w.shape(), w.data(), groups);
        } catch (Throwable e) {
            throw new IllegalStateException("native repacking failed", e);
        }
    }

    /**
     * {@code bytes} of zeroed memory freed with {@code arena}, on transparent huge pages where Linux allows
     * them (its default "madvise" mode needs the request before the pages are first written, which
     * Arena.allocate's zeroing would do): decoding streams every matrix once per token, and on 4 KiB
     * pages that is a TLB miss every 4 KiB.
     */
    private static MemorySegment hugePages(long bytes, Arena arena) throws Throwable {
        MemorySegment mapped = (MemorySegment) MAP_HUGE.invokeExact(bytes);
        if (mapped.equals(MemorySegment.NULL)) throw new OutOfMemoryError("cannot map " + bytes + " bytes for repacked weights");
        return mapped.reinterpret(bytes, arena, m -> {
            try {
                UNMAP.invokeExact(m, bytes);
            } catch (Throwable e) {
                throw new IllegalStateException("munmap failed", e);
            }
        });
    }

    /** {@link #matvec} for a tensor with {@link Tensor#rowGroups}: the same products, a group of rows at a time. */
    public static void matvecGrouped(Tensor w, int r0, int r1, MemorySegment xq, int tokens, float[] out) {
        int cols = w.cols();
        long stride = activationBytes(activationBlock(w.type()), cols);
        try {
            MATVEC_GROUPED.invokeExact(w.type().ggmlId, w.rowGroups(), cols, r0, r1, xq, stride, tokens,
                    MemorySegment.ofArray(out), (long) w.rows());
        } catch (Throwable e) {
            throw new IllegalStateException("native product failed", e);
        }
    }

    /**
     * Whether {@link #matmulAmx} serves {@code w}: this CPU has AMX-INT8 (and {@code -Dsortedllama.amx=false}
     * is not set), w's rows are a multiple of 16, and it has {@link Tensor#rowGroups} (Q8_0, Q4_0, IQ4_NL, Q4_K)
     * or is Q6_K (read in the file's layout).
     */
    public static boolean amxServes(Tensor w) {
        return AMX && w.rows() % 16 == 0 && (w.rowGroups() != null || w.type() == DType.Q6_K && w.shape().length == 2);
    }

    /**
     * Whether {@link #matmulAmx} gives each vector's product of {@code w} the bits the per-row kernel
     * ({@link #matvecGrouped}) gives it: for the 32-value types' row groups (Q8_0, Q4_0, IQ4_NL) both
     * sum each block exactly in integers and then do the same float operations in the same order, so
     * AMX may serve a few vectors (a batch of decoding steps, a verification) without breaking batch
     * invariance. Q4_K's and Q6_K's kernels take their mins and sub-block scales in other orders.
     */
    public static boolean amxMatchesRows(Tensor w) {
        DType t = w.type();
        return amxServes(w) && w.rowGroups() != null && (t == DType.Q8_0 || t == DType.Q4_0 || t == DType.IQ4_NL);
    }

    /**
     * Which layout of the activations {@link #matmulAmx} takes for {@code type} (matrices of one layout can
     * share one {@link #amxInput}): 0 for the 32-value types, 1 for Q4_K, 2 for Q6_K.
     */
    public static int amxLayout(DType type) {
        return type == DType.Q4_K ? 1 : type == DType.Q6_K ? 2 : 0;
    }

    /** {@code tokens} vectors x[t*cols ..] rounded to 8-bit blocks and laid out as {@link #matmulAmx} reads them for {@code type}. */
    public static MemorySegment amxInput(DType type, float[] x, int cols, int tokens) {
        // the 32-value blocks are quantized as they are laid out; the 256-value ones beforehand
        int block = activationBlock(type);
        MemorySegment floats = block == 32 ? MemorySegment.ofArray(x) : MemorySegment.NULL;
        MemorySegment xq = block == 32 ? MemorySegment.NULL : input(block, x, cols, tokens);
        long bytes;
        try {
            bytes = (long) AMX_INPUT_BYTES.invokeExact(type.ggmlId, cols, tokens);
        } catch (Throwable e) {
            throw new IllegalStateException("native activation layout failed", e);
        }
        MemorySegment packed = MemorySegment.ofArray(new byte[Math.toIntExact(bytes)]);
        long stride = activationBytes(block, cols);
        // 16 tokens' tiles at a time on every core: laid out on the calling thread alone, a prefill chunk's
        // inputs kept the other cores waiting
        Parallel.forRange((tokens + 15) / 16, 1, (from, to) -> {
            try {
                AMX_INPUT.invokeExact(type.ggmlId, floats, xq, stride, cols, tokens, packed, from, to);
            } catch (Throwable e) {
                throw new IllegalStateException("native activation layout failed", e);
            }
        });
        return packed;
    }

    /**
     * Prefill's product on AMX tiles ({@code out[t * rows + r]} for rows [16 * tile0, 16 * tile1)) from the
     * input {@link #amxInput} made for w's type; only where {@link #amxServes}.
     */
    public static void matmulAmx(Tensor w, int tile0, int tile1, MemorySegment input, int tokens, float[] out) {
        try {
            MemorySegment weights = w.rowGroups() != null ? w.rowGroups() : w.data();
            MATMUL_AMX.invokeExact(w.type().ggmlId, weights, w.rowBytes(), w.cols(), tile0, tile1, input, tokens,
                    MemorySegment.ofArray(out), (long) w.rows());
        } catch (Throwable e) {
            throw new IllegalStateException("native product failed", e);
        }
    }

    /**
     * Rows [r0, r1) of {@code w} as floats, row r at float {@code (r - r0) * cols} of {@code dst}: bit for bit
     * {@link Dequantize}'s values (for sgemm on expanded tiles). Types with {@link #activationBlock} > 0 only.
     */
    public static void dequantize(Tensor w, int r0, int r1, MemorySegment dst) {
        try {
            if (w.rowGroups() != null) { // the same floats, without reading the file's pages again
                DEQUANTIZE_GROUPED.invokeExact(w.type().ggmlId, w.rowGroups(), w.rowBytes(), w.cols(), r0, r1, dst, (long) w.cols());
                return;
            }
            DEQUANTIZE.invokeExact(w.type().ggmlId, w.data(), w.rowBytes(), w.cols(), r0, r1, dst, (long) w.cols());
        } catch (Throwable e) {
            throw new IllegalStateException("native expansion failed", e);
        }
    }
}
