package sortedllama.train.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import sortedllama.BadInputException;
import sortedllama.train.AdamW;
import sortedllama.train.Param;
import sortedllama.train.TrainableModel;
import sortedllama.train.Trainer;
import sortedllama.train.data.DataPosition;

/**
 * A training run's state, kept in a directory of numbered snapshots ({@code 000003-step-120/}), each
 * holding {@code tensors.bin} (every trained parameter's float32 values, then its AdamW moments when
 * it has any; under LoRA the adapters only, as the frozen base is the model file itself) and
 * {@code state.json} (trainer step, data position, the run's options, tensors.bin's length). Floats
 * are stored bit for bit: a resumed run continues exactly.
 *
 * <p>Crash safety: a new snapshot is written beside the old one under a {@code .partial} name, its
 * files and directory forced to the disk, then renamed to its final name in one atomic step (the
 * switch), the parent directory forced, and only then are older snapshots deleted. A crash at any
 * instant leaves the old snapshot or the new one complete, and {@link #load} takes the newest
 * complete one, ignoring partial ones (the next save clears them).
 */
public final class Checkpoint {
    private static final int MAGIC = 0x534c434b; // "SLCK"
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String PARTIAL = ".partial";
    private static final Pattern SNAPSHOT = Pattern.compile("(\\d{6,})-step-(\\d+)");

    /** What {@link #load} restored besides the tensors. */
    public record State(int step, DataPosition position, ObjectNode options) {}

    private Checkpoint() {}

    /** Whether {@code dir} holds a complete snapshot to resume from. */
    public static boolean exists(Path dir) {
        return newest(dir) != null;
    }

    /** The newest complete snapshot in {@code dir} (its directory), or null when there is none. */
    public static Path newest(Path dir) {
        for (Path s : snapshots(dir)) {
            if (problem(s) == null) return s;
        }
        return null;
    }

    /**
     * Makes sure a new run (without --resume) does not destroy a checkpoint it did not write: with
     * {@code overwrite} whatever {@code dir} holds is deleted, otherwise a non-empty {@code dir} is refused.
     */
    public static void claim(Path dir, boolean overwrite) {
        // partial snapshots are no checkpoint: the first save clears them
        if (entries(dir).stream().allMatch(p -> p.getFileName().toString().endsWith(PARTIAL))) return;
        if (!overwrite) {
            Path s = newest(dir);
            throw new BadInputException(dir + " already holds " + (s == null ? "files" : "a checkpoint at step " + stepOf(s))
                    + ": give --resume to continue it, --overwrite to delete it and start afresh, or another --out");
        }
        try {
            deleteTree(dir, FileOps.DISK);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Writes a new snapshot into {@code dir}, then deletes the older ones (see the class comment). */
    public static void save(Path dir, TrainableModel model, Trainer trainer, DataPosition position, ObjectNode options) {
        save(dir, model, trainer, position, options, FileOps.DISK);
    }

    static void save(Path dir, TrainableModel model, Trainer trainer, DataPosition position, ObjectNode options, FileOps ops) {
        try {
            Path parent = dir.toAbsolutePath().getParent();
            boolean created = !Files.isDirectory(dir);
            ops.createDirectories(dir);
            if (created) ops.syncDirectory(parent);
            String name = String.format("%06d-step-%d", nextNumber(dir), trainer.steps());
            Path partial = dir.resolve(name + PARTIAL);
            ops.createDirectories(partial);
            ops.write(partial.resolve("tensors.bin"), o -> {
                var out = new DataOutputStream(o);
                writeTensors(out, model, trainer.optimizer());
                out.flush();
            });
            ObjectNode state = JSON.createObjectNode();
            state.put("step", trainer.steps());
            state.put("optimizer_steps", trainer.optimizer().steps());
            state.putObject("data_position").put("epoch", position.epoch()).put("batch", position.batch());
            state.put("tensors_bytes", Files.size(partial.resolve("tensors.bin")));
            state.put("rng", "none: every random choice is a function of the seed, the epoch and the step");
            state.set("options", options);
            byte[] stateBytes = (JSON.writeValueAsString(state) + "\n").getBytes(StandardCharsets.UTF_8);
            ops.write(partial.resolve("state.json"), o -> o.write(stateBytes));
            ops.syncDirectory(partial);
            ops.move(partial, dir.resolve(name)); // the switch: from here on, load finds the new snapshot
            ops.syncDirectory(dir);
            for (Path other : entries(dir)) { // older snapshots, and partial ones a crash left
                if (!other.getFileName().toString().equals(name)) deleteTree(other, ops);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void writeTensors(DataOutputStream out, TrainableModel model, AdamW opt) throws IOException {
        out.writeInt(MAGIC);
        var params = model.trainingParams();
        out.writeInt(params.size());
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

    /** The options saved with the newest checkpoint in {@code dir}, to compare before loading. */
    public static ObjectNode options(Path dir) {
        return (ObjectNode) readState(require(dir)).get("options");
    }

    /** Restores parameters, optimizer moments and step from the newest snapshot in {@code dir} into {@code model} and {@code trainer}. */
    public static State load(Path dir, TrainableModel model, Trainer trainer) {
        Path snapshot = require(dir);
        ObjectNode state = readState(snapshot);
        Map<Param, float[][]> moments = new IdentityHashMap<>();
        Path tensors = snapshot.resolve("tensors.bin");
        try (var in = new DataInputStream(new BufferedInputStream(Files.newInputStream(tensors), 1 << 20))) {
            if (in.readInt() != MAGIC) throw new BadInputException(tensors + ": not a sorted-llama checkpoint");
            int n = in.readInt();
            var params = model.trainingParams();
            if (n != params.size()) throw new BadInputException(tensors + ": checkpoint has " + n + " tensors, the model " + params.size());
            for (Param p : params) {
                String name = in.readUTF();
                if (!name.equals(p.name())) throw new BadInputException(tensors + ": checkpoint tensor " + name + " where " + p.name() + " was expected");
                readFloats(in, p.value(), tensors, name);
                if (in.readBoolean()) {
                    float[] m = new float[p.size()], v = new float[p.size()];
                    readFloats(in, m, tensors, name);
                    readFloats(in, v, tensors, name);
                    moments.put(p, new float[][] {m, v});
                }
            }
        } catch (EOFException e) {
            throw new BadInputException(tensors + ": truncated: it ends before the model's " + model.trainingParams().size() + " tensors do");
        } catch (IOException e) {
            throw new BadInputException(tensors + ": cannot read checkpoint: " + e);
        }
        trainer.optimizer().restore(state.get("optimizer_steps").asInt(), moments);
        var pos = state.get("data_position");
        return new State(state.get("step").asInt(), new DataPosition(pos.get("epoch").asInt(), pos.get("batch").asInt()),
                (ObjectNode) state.get("options"));
    }

    /** The newest complete snapshot, or an error saying why there is none. */
    private static Path require(Path dir) {
        Path s = newest(dir);
        if (s != null) return s;
        List<Path> all = snapshots(dir);
        throw new BadInputException(all.isEmpty() ? "no checkpoint to resume from in " + dir
                : "no complete checkpoint to resume from in " + dir + " (" + all.getFirst().getFileName() + ": " + problem(all.getFirst()) + ")");
    }

    /** Why {@code snapshot} cannot be loaded, or null when it is complete. */
    private static String problem(Path snapshot) {
        try {
            ObjectNode state = readState(snapshot);
            long expected = state.get("tensors_bytes").asLong();
            Path tensors = snapshot.resolve("tensors.bin");
            if (!Files.isRegularFile(tensors)) return "tensors.bin is missing";
            long size = Files.size(tensors);
            return size == expected ? null : "tensors.bin has " + size + " bytes, state.json says " + expected;
        } catch (BadInputException | IOException e) {
            return e.getMessage();
        }
    }

    /** state.json, with every key that loading needs present and of the right kind. */
    private static ObjectNode readState(Path snapshot) {
        Path file = snapshot.resolve("state.json");
        JsonNode state;
        try {
            state = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new BadInputException(file + ": unreadable: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (state == null || !state.isObject()) throw new BadInputException(file + ": not a JSON object");
        for (String key : new String[] {"step", "optimizer_steps", "tensors_bytes"}) {
            if (!state.path(key).isIntegralNumber()) throw new BadInputException(file + ": no integer \"" + key + "\"");
        }
        JsonNode pos = state.path("data_position");
        if (!pos.path("epoch").isIntegralNumber() || !pos.path("batch").isIntegralNumber()) {
            throw new BadInputException(file + ": no \"data_position\" with integer \"epoch\" and \"batch\"");
        }
        if (!state.path("options").isObject()) throw new BadInputException(file + ": no \"options\" object");
        return (ObjectNode) state;
    }

    /** Finished snapshots in {@code dir}, newest first (complete or not: a crash can have truncated one on a lying disk). */
    private static List<Path> snapshots(Path dir) {
        return entries(dir).stream().filter(p -> SNAPSHOT.matcher(p.getFileName().toString()).matches())
                .sorted(Comparator.comparing((Path p) -> number(p.getFileName().toString())).reversed()).toList();
    }

    private static int stepOf(Path snapshot) {
        Matcher m = SNAPSHOT.matcher(snapshot.getFileName().toString());
        return m.matches() ? Integer.parseInt(m.group(2)) : -1;
    }

    /** One more than the highest number in use, partial snapshots included, so names never repeat. */
    private static long nextNumber(Path dir) {
        long max = 0;
        for (Path p : entries(dir)) max = Math.max(max, number(p.getFileName().toString()));
        return max + 1;
    }

    private static long number(String name) {
        int end = 0;
        while (end < name.length() && end < 18 && Character.isDigit(name.charAt(end))) end++;
        return end == 0 ? 0 : Long.parseLong(name.substring(0, end));
    }

    private static List<Path> entries(Path dir) {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return new ArrayList<>(s.toList());
        } catch (IOException e) {
            throw new BadInputException(dir + ": cannot list: " + e.getMessage());
        }
    }

    private static void writeFloats(DataOutputStream out, float[] a) throws IOException {
        out.writeInt(a.length);
        for (float f : a) out.writeInt(Float.floatToRawIntBits(f));
    }

    private static void readFloats(DataInputStream in, float[] into, Path file, String name) throws IOException {
        int n = in.readInt();
        if (n != into.length) throw new BadInputException(file + ": checkpoint tensor " + name + " has " + n + " values, the model " + into.length);
        for (int i = 0; i < n; i++) into[i] = Float.intBitsToFloat(in.readInt());
    }

    private static void deleteTree(Path p, FileOps ops) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) ops.delete(x);
        }
    }
}
