package sortedllama.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A run's metrics.jsonl: one row per step ({@code step, lr, loss, exit_loss{exit: loss},
 * grad_norm, tokens_per_s}) and one per validation ({@code step, validation_exit_loss}).
 * Flushed before each checkpoint, so a checkpoint never refers to rows that were not written.
 */
public final class MetricsLog implements TrainingRun.Listener, AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final BufferedWriter out;

    /** Appends to {@code file} (created if missing). */
    public MetricsLog(Path file) throws IOException {
        out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /** Drops the rows after step {@code step}: what an interrupted run logged after the checkpoint it resumes from. */
    public static void truncateAfter(Path file, int step) throws IOException {
        if (!Files.isRegularFile(file)) return;
        List<String> kept = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            if (!line.isBlank() && JSON.readTree(line).get("step").asInt() <= step) kept.add(line);
        }
        Files.write(file, kept);
    }

    @Override
    public void stepped(Trainer.StepResult r, double tokensPerSecond) {
        ObjectNode row = JSON.createObjectNode();
        row.put("step", r.step() + 1);
        row.put("lr", r.lr());
        row.put("loss", r.loss());
        putPerExit(row.putObject("exit_loss"), r.exits(), r.perExitLoss());
        row.put("grad_norm", r.gradNorm());
        row.put("tokens_per_s", tokensPerSecond);
        write(row);
    }

    @Override
    public void validated(int step, int[] exits, double[] perExitLoss) {
        ObjectNode row = JSON.createObjectNode();
        row.put("step", step);
        putPerExit(row.putObject("validation_exit_loss"), exits, perExitLoss);
        write(row);
    }

    @Override
    public void checkpointing(int step) {
        try {
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void putPerExit(ObjectNode per, int[] exits, double[] loss) {
        for (int e = 0; e < exits.length; e++) per.put(Integer.toString(exits[e]), loss[e]);
    }

    private void write(ObjectNode row) {
        try {
            out.write(JSON.writeValueAsString(row));
            out.newLine();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
