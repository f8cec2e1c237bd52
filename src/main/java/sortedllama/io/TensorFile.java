package sortedllama.io;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import sortedllama.BadInputException;
import sortedllama.tensor.Tensor;

/** A plain safetensors file of named tensors, each under its own name and in its own type (e.g. a LoRA adapter). */
public final class TensorFile {
    private TensorFile() {}

    public static void write(Path target, List<Tensor> tensors, Map<String, String> metadata) {
        List<OutTensor> out = new ArrayList<>();
        for (Tensor t : tensors) out.add(OutTensor.of(t.name(), t, t.type(), null));
        SafetensorsWriter.writeFile(target, out, metadata);
    }

    /** Every tensor of {@code path}, mapped in {@code arena} (valid while it is open). */
    public static Map<String, Tensor> read(Path path, Arena arena) {
        if (!Files.isRegularFile(path)) throw new BadInputException("no such file " + path);
        return SafetensorsReader.tensors(MappedFile.open(path, arena));
    }
}
