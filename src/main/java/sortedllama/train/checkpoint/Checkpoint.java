package sortedllama.train.checkpoint;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.stream.Stream;
import sortedllama.BadInputException;
import sortedllama.train.AdamW;
import sortedllama.train.Param;
import sortedllama.train.TrainableModel;
import sortedllama.train.Trainer;
import sortedllama.train.data.DataPosition;

/**
 * A training run's state in a directory: {@code state.json} (trainer step, data position, the run's
 * options) and {@code tensors.bin} (every trained parameter's float32 values, then its AdamW moments
 * when it has any; under LoRA the adapters only, as the frozen base is the model file itself). Written to a temporary directory and renamed into place, so a crash leaves either the old
 * checkpoint or the new one. Floats are stored bit for bit: a resumed run continues exactly.
 */
public final class Checkpoint {
    private static final int MAGIC = 0x534c434b; // "SLCK"
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** What {@link #load} restored besides the tensors. */
    public record State(int step, DataPosition position, ObjectNode options) {}

    private Checkpoint() {}

    public static boolean exists(Path dir) {
        return Files.isRegularFile(dir.resolve("state.json")) && Files.isRegularFile(dir.resolve("tensors.bin"));
    }

    /** Writes the checkpoint to {@code dir} atomically (replacing any previous one). */
    public static void save(Path dir, TrainableModel model, Trainer trainer, DataPosition position, ObjectNode options) {
        Path parent = dir.toAbsolutePath().getParent();
        Path tmp = parent.resolve(dir.getFileName() + ".tmp");
        Path old = parent.resolve(dir.getFileName() + ".old");
        try {
            deleteTree(tmp);
            Files.createDirectories(tmp);
            try (var out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp.resolve("tensors.bin")), 1 << 20))) {
                out.writeInt(MAGIC);
                var params = model.trainingParams();
                out.writeInt(params.size());
                AdamW opt = trainer.optimizer();
                for (Param p : params) {
                    out.writeUTF(p.name());
                    writeFloats(out, p.value());
                    float[][] mv = opt.moments(p);
                    out.writeBoolean(mv != null);
                    if (mv != null) {
                        writeFloats(out, mv[0]);
                        writeFloats(out, mv[1]);
                    }
                }
            }
            ObjectNode state = JSON.createObjectNode();
            state.put("step", trainer.steps());
            state.put("optimizer_steps", trainer.optimizer().steps());
            state.putObject("data_position").put("epoch", position.epoch()).put("batch", position.batch());
            state.put("rng", "none: every random choice is a function of the seed, the epoch and the step");
            state.set("options", options);
            Files.writeString(tmp.resolve("state.json"), JSON.writeValueAsString(state) + "\n");
            deleteTree(old);
            if (Files.exists(dir)) Files.move(dir, old, StandardCopyOption.ATOMIC_MOVE);
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            deleteTree(old);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The options saved with the checkpoint in {@code dir}, to compare before loading. */
    public static ObjectNode options(Path dir) {
        return (ObjectNode) readState(dir).get("options");
    }

    /** Restores parameters, optimizer moments and step from {@code dir} into {@code model} and {@code trainer}. */
    public static State load(Path dir, TrainableModel model, Trainer trainer) {
        ObjectNode state = readState(dir);
        Map<Param, float[][]> moments = new IdentityHashMap<>();
        try (var in = new DataInputStream(new BufferedInputStream(Files.newInputStream(dir.resolve("tensors.bin")), 1 << 20))) {
            if (in.readInt() != MAGIC) throw new BadInputException(dir + ": tensors.bin is not a sorted-llama checkpoint");
            int n = in.readInt();
            var params = model.trainingParams();
            if (n != params.size()) throw new BadInputException(dir + ": checkpoint has " + n + " tensors, the model " + params.size());
            for (Param p : params) {
                String name = in.readUTF();
                if (!name.equals(p.name())) throw new BadInputException(dir + ": checkpoint tensor " + name + " where " + p.name() + " was expected");
                readFloats(in, p.value(), dir, name);
                if (in.readBoolean()) {
                    float[] m = new float[p.size()], v = new float[p.size()];
                    readFloats(in, m, dir, name);
                    readFloats(in, v, dir, name);
                    moments.put(p, new float[][] {m, v});
                }
            }
        } catch (IOException e) {
            throw new BadInputException(dir + ": cannot read checkpoint: " + e.getMessage());
        }
        int optSteps = state.get("optimizer_steps").asInt();
        trainer.optimizer().restore(optSteps, moments);
        var pos = state.get("data_position");
        return new State(state.get("step").asInt(), new DataPosition(pos.get("epoch").asInt(), pos.get("batch").asInt()),
                (ObjectNode) state.get("options"));
    }

    private static ObjectNode readState(Path dir) {
        if (!exists(dir)) throw new BadInputException("no checkpoint to resume from in " + dir);
        try {
            return (ObjectNode) JSON.readTree(dir.resolve("state.json").toFile());
        } catch (IOException | ClassCastException e) {
            throw new BadInputException(dir + ": unreadable state.json: " + e.getMessage());
        }
    }

    private static void writeFloats(DataOutputStream out, float[] a) throws IOException {
        out.writeInt(a.length);
        for (float f : a) out.writeInt(Float.floatToRawIntBits(f));
    }

    private static void readFloats(DataInputStream in, float[] into, Path dir, String name) throws IOException {
        int n = in.readInt();
        if (n != into.length) throw new BadInputException(dir + ": checkpoint tensor " + name + " has " + n + " values, the model " + into.length);
        for (int i = 0; i < n; i++) into[i] = Float.intBitsToFloat(in.readInt());
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(x);
        }
    }
}
