package sortedllama.io;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import sortedllama.BadInputException;

/**
 * Opens a model in whichever supported format the path holds: a Hugging Face directory (or its
 * config.json / a .safetensors file in it), a GGUF file ("GGUF" magic), a llama2.c file ("ak42"
 * magic, or a legacy header of seven plausible sizes).
 */
public final class ModelLoader {
    private ModelLoader() {}

    public static ModelFile open(Path path) {
        try {
            return dispatch(path);
        } catch (BadInputException e) {
            // readers name the file themselves; this keeps the promise for errors raised deeper down
            if (e.getMessage() != null && e.getMessage().contains(path.toString())) throw e;
            throw new BadInputException(path + ": " + e.getMessage(), e);
        }
    }

    private static ModelFile dispatch(Path path) {
        String name = path.getFileName() == null ? "" : path.getFileName().toString();
        if (Files.isDirectory(path)) {
            if (!Files.isRegularFile(path.resolve("config.json"))) {
                throw new BadInputException(path + ": a directory without config.json (expected a Hugging Face checkpoint)");
            }
            return SafetensorsReader.read(path);
        }
        if (!Files.isRegularFile(path)) throw new BadInputException(path + ": no such file or directory");
        if (name.endsWith(".json") || name.endsWith(".safetensors")) return SafetensorsReader.read(path);
        byte[] head = firstBytes(path, 8);
        int magic = head.length >= 4 ? ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN).getInt(0) : 0;
        if (magic == GgufFile.MAGIC) return GgufReader.read(path);
        if (magic == Llama2cReader.MAGIC) return Llama2cReader.read(path);
        if (head.length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
            throw new BadInputException(path + ": a zip archive, probably a PyTorch checkpoint (.pt/.pth/pytorch_model.bin), which "
                    + "is not supported: convert it to safetensors, GGUF or llama2.c's format");
        }
        try (Arena probe = Arena.ofConfined()) {
            if (Llama2cReader.plausibleLegacyHeader(MappedFile.open(path, probe)) != null) return Llama2cReader.read(path);
        }
        throw new BadInputException(path + ": unknown model format (expected a llama2.c .bin, a GGUF file, "
                + "or a Hugging Face directory with config.json and safetensors), or a truncated file");
    }

    private static byte[] firstBytes(Path path, int n) {
        try (InputStream in = Files.newInputStream(path)) {
            return in.readNBytes(n);
        } catch (IOException e) {
            throw new BadInputException(path + ": cannot read: " + e.getMessage());
        }
    }
}
