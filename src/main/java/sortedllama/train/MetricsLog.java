package sortedllama.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import sortedllama.BadInputException;
import sortedllama.io.AtomicFiles;

/**
 * A run's metrics.jsonl: one row per step ({@code step, lr, loss, exit_loss{exit: loss},
 * grad_norm, tokens_per_s, step_s}; step_s is the step's wall seconds, forward, backward and optimizer)
 * and one per validation ({@code step, validation_exit_loss}).
 * Flushed before each checkpoint, so a checkpoint never refers to rows that were not written.
 */
public final class MetricsLog implements TrainingRun.Listener, AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final BufferedWriter out;

    /** Appends to {@code file} (created if missing). */
    public MetricsLog(Path file) throws IOException {
        out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /**
     * Drops the rows after step {@code step}: what an interrupted run logged after the checkpoint it
     * resumes from. A kill can leave the last line half-written (no newline, not JSON): it is dropped
     * too. A malformed line anywhere else is an error naming it.
     */
    public static void truncateAfter(Path file, int step) {
        if (!Files.isRegularFile(file)) return;
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) { // invalid UTF-8 included: the file is not ours to repair
            throw new BadInputException(file + ": cannot read: " + e.getMessage());
        }
        String[] lines = text.split("\n", -1); // the element after the last newline is "" for a complete file
        StringBuilder kept = new StringBuilder();
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isBlank()) continue;
            boolean unfinished = i == lines.length - 1; // no newline after it: the write was cut short
            JsonNode row;
            try {
                row = JSON.readTree(lines[i]);
            } catch (JsonProcessingException e) {
                if (unfinished) continue;
                throw new BadInputException(file + ": line " + (i + 1) + " is not JSON: " + e.getOriginalMessage());
            }
            if (row == null || !row.path("step").isIntegralNumber()) {
                if (unfinished) continue;
                throw new BadInputException(file + ": line " + (i + 1) + " has no integer \"step\"");
            }
            if (row.get("step").asLong() <= step) kept.append(lines[i]).append('\n');
        }
        AtomicFiles.writeString(file, kept.toString());
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
        row.put("step_s", r.seconds());
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
