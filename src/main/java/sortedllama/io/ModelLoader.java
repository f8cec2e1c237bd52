package sortedllama.io;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import sortedllama.BadInputException;

/** Opens a model in whichever supported format the path holds. */
public final class ModelLoader {
    private ModelLoader() {}

    public static ModelFile open(Path path) {
        if (Files.isDirectory(path) || path.getFileName().toString().endsWith(".json")
                || path.getFileName().toString().endsWith(".safetensors")) {
            return SafetensorsReader.read(path);
        }
        if (!Files.isRegularFile(path)) throw new BadInputException(path + ": no such file or directory");
        String magic = magic(path);
        if (magic.equals("GGUF")) return GgufReader.read(path);
        try (Arena probe = Arena.ofConfined()) {
            MappedFile f = MappedFile.open(path, probe);
            if (Llama2cReader.looksLikeLlama2c(f)) return Llama2cReader.read(path);
        }
        throw new BadInputException(path + ": unknown model format (expected a llama2.c .bin, a GGUF file, "
                + "or a Hugging Face directory with config.json and safetensors)");
    }

    private static String magic(Path path) {
        try (var in = Files.newInputStream(path)) {
            byte[] b = in.readNBytes(4);
            return new String(b, java.nio.charset.StandardCharsets.ISO_8859_1);
        } catch (java.io.IOException e) {
            throw new BadInputException(path + ": cannot read: " + e.getMessage());
        }
    }
}
