package sortedllama.io;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import sortedllama.tensor.DType;
import sortedllama.tensor.Tensor;

/**
 * The structure of a GGUF file, versions 2 and 3 (which differ only in that v3 may be big-endian;
 * we read little-endian files): "GGUF", version, tensor count, metadata count, the metadata
 * key/values, the tensor infos, then the tensor data from the next multiple of
 * {@code general.alignment}. Tensor data stays in the mapping. GGUF lists dimensions innermost
 * first; shapes here are reversed to PyTorch's order ([rows, cols]).
 *
 * <p>Metadata values become Long (every integer type), Float, Double, Boolean, String, or a List of those.
 */
final class GgufFile {
    static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian int
    static final int DEFAULT_ALIGNMENT = 32;

    /** GGUF metadata value types (gguf_type), as stored in the file. */
    static final int UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
            STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12;

    /** ggml_type names by id, for naming the types we cannot read in errors. */
    private static final String[] GGML_TYPE_NAMES = {"F32", "F16", "Q4_0", "Q4_1", "Q4_2 (removed)", "Q4_3 (removed)",
        "Q5_0", "Q5_1", "Q8_0", "Q8_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS",
        "IQ1_S", "IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS", "I8", "I16", "I32", "I64", "F64", "IQ1_M", "BF16"};

    final int version;
    final Map<String, Object> metadata = new LinkedHashMap<>();
    /** Tensors under their names in the file, in file order. */
    final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private final MappedFile f;
    private final MappedFile.Cursor in;

    GgufFile(MappedFile f) {
        this.f = f;
        this.in = f.cursor(0);
        if (in.i32("magic") != MAGIC) throw f.error("not a GGUF file (wrong magic)");
        version = in.i32("version");
        if (version != 2 && version != 3) throw f.error("unsupported GGUF version " + version + " (2 and 3 are)");
        long tensorCount = in.i64("tensor count"), kvCount = in.i64("metadata count");
        // every entry takes at least 8 bytes, so a count beyond the file size is corruption, not a big model
        if (tensorCount < 0 || kvCount < 0 || tensorCount > f.size() || kvCount > f.size()) {
            throw f.error("corrupt GGUF header: " + tensorCount + " tensors, " + kvCount + " metadata entries");
        }
        for (long i = 0; i < kvCount; i++) {
            String key = string("metadata key #" + i);
            if (metadata.put(key, value(in.i32("type of " + key), key, 0)) != null) throw f.error("duplicate metadata key " + key);
        }
        record Info(String name, long[] shape, DType type, long offset) {}
        List<Info> infos = new ArrayList<>();
        for (long i = 0; i < tensorCount; i++) {
            String name = string("name of tensor #" + i);
            int dims = in.i32("dimension count of tensor " + name);
            if (dims < 1 || dims > 4) throw f.error("tensor " + name + " has " + dims + " dimensions (1 to 4 are possible)");
            long[] shape = new long[dims];
            for (int d = 0; d < dims; d++) {
                shape[dims - 1 - d] = in.i64("shape of tensor " + name);
                if (shape[dims - 1 - d] <= 0) throw f.error("tensor " + name + " has a dimension of " + shape[dims - 1 - d]);
            }
            int typeId = in.i32("type of tensor " + name);
            DType type = DType.fromGgmlId(typeId);
            if (type == null) {
                throw f.error("tensor " + name + " has ggml type " + typeId + " (" + ggmlTypeName(typeId)
                        + "), which is not supported (" + supportedTypes() + " are)");
            }
            infos.add(new Info(name, shape, type, in.i64("data offset of tensor " + name)));
        }
        long alignment = metadata.get("general.alignment") instanceof Long n ? n : DEFAULT_ALIGNMENT;
        if (alignment <= 0 || Long.bitCount(alignment) != 1) throw f.error("general.alignment " + alignment + " is not a power of two");
        long dataStart = (in.position() + alignment - 1) / alignment * alignment;
        for (Info info : infos) {
            // blocks of quantized types must not straddle rows: each row is a whole number of blocks
            if (info.shape()[info.shape().length - 1] % info.type().blockSize != 0) {
                throw f.error("tensor " + info.name() + " " + Arrays.toString(info.shape()) + " has rows that are not a whole number of "
                        + info.type() + " blocks of " + info.type().blockSize);
            }
            long elements = 1;
            for (long d : info.shape()) {
                // Q2_K, the densest type, stores 256 values in 84 bytes: more than 4 values per byte of file is corruption
                if (d > 4 * f.size() / elements) {
                    throw f.error("tensor " + info.name() + " has a corrupt shape " + Arrays.toString(info.shape()));
                }
                elements *= d;
            }
            long bytes = info.type().bytesFor(elements);
            if (info.offset() < 0) throw f.error("tensor " + info.name() + " has a negative data offset");
            if (info.offset() % alignment != 0) {
                throw f.error("tensor " + info.name() + " has data offset " + info.offset() + ", not a multiple of the alignment " + alignment);
            }
            var data = f.slice(dataStart + info.offset(), bytes, "data of tensor " + info.name());
            if (tensors.put(info.name(), new Tensor(info.name(), info.type(), info.shape(), data)) != null) {
                throw f.error("duplicate tensor " + info.name());
            }
        }
        // each tensor's bytes are its own: two tensors sharing bytes are a corrupt (or crafted) file
        infos.sort(Comparator.comparingLong(Info::offset));
        for (int i = 1; i < infos.size(); i++) {
            Info before = infos.get(i - 1), t = infos.get(i);
            if (t.offset() < before.offset() + tensors.get(before.name()).data().byteSize()) {
                throw f.error("tensors " + before.name() + " and " + t.name() + " overlap (data offsets " + before.offset() + " and "
                        + t.offset() + ")");
            }
        }
    }

    private static String supportedTypes() {
        return String.join(", ", Arrays.stream(DType.values()).map(Enum::name).toList());
    }

    Path path() {
        return f.path;
    }

    static String ggmlTypeName(int id) {
        return id >= 0 && id < GGML_TYPE_NAMES.length ? GGML_TYPE_NAMES[id] : "unknown";
    }

    /** A GGUF string: uint64 byte length, then UTF-8 bytes. */
    private String string(String what) {
        return in.utf8(in.i64("length of " + what), what);
    }

    /** Arrays of arrays are legal GGUF, but no model nests them deeper; a corrupt file must not recurse until the stack overflows. */
    static final int MAX_ARRAY_DEPTH = 4;

    /** @param depth how many arrays enclose this value */
    private Object value(int type, String key, int depth) {
        String what = "value of " + key;
        return switch (type) {
            case UINT8 -> (long) (in.i8(what) & 0xFF);
            case INT8 -> (long) in.i8(what);
            case UINT16 -> (long) (in.i16(what) & 0xFFFF);
            case INT16 -> (long) in.i16(what);
            case UINT32 -> Integer.toUnsignedLong(in.i32(what));
            case INT32 -> (long) in.i32(what);
            case FLOAT32 -> in.f32(what);
            case BOOL -> in.i8(what) != 0;
            case STRING -> string(what);
            case ARRAY -> array(key, depth + 1);
            case UINT64, INT64 -> in.i64(what); // uint64 values above 2^63 do not occur in practice
            case FLOAT64 -> in.f64(what);
            default -> throw f.error("metadata " + key + " has unknown value type " + type);
        };
    }

    private List<Object> array(String key, int depth) {
        if (depth > MAX_ARRAY_DEPTH) throw f.error("metadata " + key + " nests arrays deeper than " + MAX_ARRAY_DEPTH + " levels");
        int elementType = in.i32("element type of " + key);
        long n = in.i64("length of " + key);
        if (n < 0 || n > f.size()) throw f.error("corrupt array length " + n + " of metadata " + key);
        List<Object> values = new ArrayList<>((int) Math.min(n, 1 << 16)); // a corrupt length must not allocate gigabytes
        for (long i = 0; i < n; i++) values.add(value(elementType, key, depth));
        return values;
    }

    /** Required integer metadata, or an error naming the key. */
    int integer(String key) {
        if (metadata.get(key) instanceof Long n && n >= Integer.MIN_VALUE && n <= Integer.MAX_VALUE) return n.intValue();
        throw f.error(metadata.containsKey(key) ? "metadata " + key + " is not a 32-bit integer: " + metadata.get(key)
                : "missing metadata " + key);
    }

    /** Optional integer metadata. */
    int integer(String key, int fallback) {
        return metadata.containsKey(key) ? integer(key) : fallback;
    }

    /** Optional numeric metadata (any integer or float type). */
    double number(String key, double fallback) {
        Object v = metadata.get(key);
        if (v == null) return fallback;
        if (v instanceof Number n) return n.doubleValue();
        throw f.error("metadata " + key + " is not a number: " + v);
    }

    /** Optional boolean metadata. */
    boolean bool(String key, boolean fallback) {
        Object v = metadata.get(key);
        if (v == null) return fallback;
        if (v instanceof Boolean b) return b;
        throw f.error("metadata " + key + " is not a boolean: " + v);
    }

    /** Optional string metadata, or null. */
    String text(String key) {
        Object v = metadata.get(key);
        if (v == null || v instanceof String) return (String) v;
        throw f.error("metadata " + key + " is not a string: " + v);
    }

    /** Optional array metadata, or null. */
    List<?> list(String key) {
        Object v = metadata.get(key);
        if (v == null || v instanceof List<?>) return (List<?>) v;
        throw f.error("metadata " + key + " is not an array");
    }
}
