package sortedllama.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import sortedllama.tensor.DType;
import sortedllama.tensor.Tensor;

/**
 * The structure of a GGUF file (v2/v3): metadata key/values and tensor descriptions, parsed
 * from a mapped file with every read bounds-checked. Tensor data stays in the mapping. GGUF lists
 * dimensions innermost first; shapes here are reversed to PyTorch's order ([rows, cols]).
 */
final class GgufFile {
    static final int MAGIC = 0x46554747; // "GGUF" little-endian
    private static final int DEFAULT_ALIGNMENT = 32;

    final int version;
    final Map<String, Object> metadata = new LinkedHashMap<>();
    final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private final MappedFile f;
    private long pos;

    GgufFile(MappedFile f) {
        this.f = f;
        if (f.readInt(0, "magic") != MAGIC) throw f.error("not a GGUF file (wrong magic)");
        version = f.readInt(4, "version");
        if (version != 2 && version != 3) throw f.error("unsupported GGUF version " + version + " (2 and 3 are)");
        long tensorCount = f.readLong(8, "tensor count"), kvCount = f.readLong(16, "metadata count");
        if (tensorCount < 0 || kvCount < 0 || tensorCount > f.size() || kvCount > f.size()) {
            throw f.error("corrupt GGUF header: " + tensorCount + " tensors, " + kvCount + " metadata entries");
        }
        pos = 24;
        for (long i = 0; i < kvCount; i++) {
            String key = string("metadata key");
            metadata.put(key, value(u32("type of " + key), key));
        }
        record Info(String name, long[] shape, DType type, long offset) {}
        List<Info> infos = new ArrayList<>();
        for (long i = 0; i < tensorCount; i++) {
            String name = string("tensor name");
            int dims = u32("dimensions of " + name);
            if (dims < 1 || dims > 4) throw f.error("tensor " + name + " has " + dims + " dimensions");
            long[] shape = new long[dims];
            for (int d = 0; d < dims; d++) shape[dims - 1 - d] = i64("shape of " + name);
            int typeId = u32("type of " + name);
            DType type = DType.fromGgmlId(typeId);
            if (type == null) {
                throw f.error("tensor " + name + " has ggml type " + typeId + ", which is not supported (F32, F16, BF16, Q8_0, Q4_0 are)");
            }
            infos.add(new Info(name, shape, type, i64("offset of " + name)));
        }
        int alignment = metadata.get("general.alignment") instanceof Number n ? n.intValue() : DEFAULT_ALIGNMENT;
        if (alignment <= 0) throw f.error("bad general.alignment " + alignment);
        long dataStart = (pos + alignment - 1) / alignment * alignment;
        for (Info info : infos) {
            long elements = Tensor.elementCount(info.shape());
            if (elements % info.type().blockSize != 0) {
                throw f.error("tensor " + info.name() + " " + java.util.Arrays.toString(info.shape()) + " is not a whole number of "
                        + info.type() + " blocks");
            }
            long bytes = info.type().bytesFor(elements);
            MemorySegment data = f.slice(dataStart + info.offset(), bytes, "tensor " + info.name());
            tensors.put(info.name(), new Tensor(info.name(), info.type(), info.shape(), data));
        }
    }

    private int u32(String what) {
        int v = f.readInt(pos, what);
        pos += 4;
        return v;
    }

    private long i64(String what) {
        long v = f.readLong(pos, what);
        pos += 8;
        return v;
    }

    private String string(String what) {
        long len = i64(what);
        if (len < 0 || len > Integer.MAX_VALUE) throw f.error("corrupt string length " + len + " for " + what);
        MemorySegment bytes = f.slice(pos, len, what);
        pos += len;
        return new String(bytes.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }

    private Object value(int type, String key) {
        String what = "value of " + key;
        return switch (type) {
            case 0 -> (long) (f.slice(pos++, 1, what).get(ValueLayout.JAVA_BYTE, 0) & 0xFF);
            case 1 -> (long) f.slice(pos++, 1, what).get(ValueLayout.JAVA_BYTE, 0);
            case 2 -> { long v = f.slice(pos, 2, what).get(ValueLayout.JAVA_SHORT_UNALIGNED, 0) & 0xFFFF; pos += 2; yield v; }
            case 3 -> { long v = f.slice(pos, 2, what).get(ValueLayout.JAVA_SHORT_UNALIGNED, 0); pos += 2; yield v; }
            case 4 -> Integer.toUnsignedLong(u32(what));
            case 5 -> (long) u32(what);
            case 6 -> Float.intBitsToFloat(u32(what));
            case 7 -> f.slice(pos++, 1, what).get(ValueLayout.JAVA_BYTE, 0) != 0;
            case 8 -> string(what);
            case 9 -> array(key);
            case 10, 11 -> i64(what);
            case 12 -> Double.longBitsToDouble(i64(what));
            default -> throw f.error("metadata " + key + " has unknown value type " + type);
        };
    }

    private List<Object> array(String key) {
        int elementType = u32("array type of " + key);
        long n = i64("array length of " + key);
        if (n < 0 || n > f.size()) throw f.error("corrupt array length " + n + " for " + key);
        List<Object> values = new ArrayList<>((int) n);
        for (long i = 0; i < n; i++) values.add(value(elementType, key));
        return values;
    }

    /** Required numeric metadata, or an error naming the key. */
    long number(String key) {
        if (metadata.get(key) instanceof Number n) return n.longValue();
        throw f.error("missing or non-numeric metadata " + key);
    }

    double number(String key, double fallback) {
        return metadata.get(key) instanceof Number n ? n.doubleValue() : fallback;
    }

    String text(String key) {
        return metadata.get(key) instanceof String s ? s : null;
    }
}
