package sortedllama.train.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sortedllama.BadInputException;
import sortedllama.train.Param;
import sortedllama.train.TrainableModel;
import sortedllama.train.Trainer;
import sortedllama.train.data.DataPosition;

/**
 * A kill at every point of the checkpoint writer, simulated: the writer's file operation number k
 * does not complete (a write leaves half its bytes, a rename or delete does not happen) and nothing
 * after it runs, as when the process dies there. Resuming must then find an intact checkpoint (the
 * old one or the new one, never a mix or none) and continue to the same bits as a run never killed.
 */
class CheckpointCrashTest {
    static final int STEPS = 6;
    static final ObjectNode OPTIONS = new ObjectMapper().createObjectNode().put("lr", 1e-2);

    /** Where the simulated kill happens. */
    static final class Killed extends RuntimeException {
        Killed(int op) {
            super("killed at file operation " + op);
        }
    }

    /** {@link FileOps#DISK}, counting operations, with operation {@code killAt} interrupted (-1: none). */
    static final class KillingOps implements FileOps {
        final int killAt;
        int count;
        int switchAt = -1;

        KillingOps(int killAt) {
            this.killAt = killAt;
        }

        /** One file operation, as {@link FileOps#DISK} does it. */
        interface Operation {
            void run() throws IOException;
        }

        /** Runs the next operation, unless it is the one the kill interrupts. */
        private void next(Operation operation) throws IOException {
            if (count++ == killAt) throw new Killed(killAt);
            operation.run();
        }

        @Override
        public void createDirectories(Path dir) throws IOException {
            next(() -> DISK.createDirectories(dir));
        }

        @Override
        public void write(Path file, Body body) throws IOException {
            boolean dies = count++ == killAt;
            DISK.write(file, body);
            if (dies) { // torn: only part of the bytes reached the disk
                try (var f = new RandomAccessFile(file.toFile(), "rw")) {
                    f.setLength(f.length() / 2);
                }
                throw new Killed(killAt);
            }
        }

        @Override
        public void syncDirectory(Path dir) throws IOException {
            next(() -> DISK.syncDirectory(dir));
        }

        @Override
        public void move(Path from, Path to) throws IOException {
            switchAt = count;
            next(() -> DISK.move(from, to));
        }

        @Override
        public void delete(Path path) throws IOException {
            next(() -> DISK.delete(path));
        }
    }

    /** Trains from the model's current state through step {@link #STEPS}, saving at {@code saveAt} with {@code ops}. */
    static void train(TrainableModel m, Trainer t, Path dir, int saveAt, FileOps ops) {
        while (t.steps() < STEPS) {
            t.step(List.of(CheckpointTest.batch(t.steps() + 1)));
            if (t.steps() == saveAt) Checkpoint.save(dir, m, t, new DataPosition(0, t.steps()), OPTIONS, ops);
        }
    }

    static void assertSameBits(TrainableModel a, Trainer ta, TrainableModel b, Trainer tb, String what) {
        List<Param> pa = a.params(), pb = b.params();
        for (int i = 0; i < pa.size(); i++) {
            assertArrayEquals(pa.get(i).value(), pb.get(i).value(), what + ": " + pa.get(i).name());
            float[][] ma = ta.optimizer().moments(pa.get(i)), mb = tb.optimizer().moments(pb.get(i));
            assertArrayEquals(ma[0], mb[0], what);
            assertArrayEquals(ma[1], mb[1], what);
        }
    }

    /** The run resumed after a kill: from the newest checkpoint, or from the start when there is none. */
    static int resumeAndFinish(Path dir, TrainableModel reference, Trainer referenceTrainer, String what) {
        TrainableModel m = TrainableModel.random(CheckpointTest.C, 1, false);
        Trainer t = CheckpointTest.trainer(m);
        int resumedAt = 0;
        if (Checkpoint.exists(dir)) {
            Checkpoint.State s = Checkpoint.load(dir, m, t);
            assertEquals(s.step(), t.steps(), what);
            assertEquals(new DataPosition(0, s.step()), s.position(), what);
            resumedAt = s.step();
        } else {
            assertThrows(BadInputException.class, () -> Checkpoint.load(dir, m, t), what);
        }
        train(m, t, dir, -1, FileOps.DISK);
        assertSameBits(reference, referenceTrainer, m, t, what);
        Checkpoint.save(dir, m, t, new DataPosition(0, t.steps()), OPTIONS); // clears what the killed save left
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(1, left.count(), what + ": one snapshot after the next save");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return resumedAt;
    }

    @Test
    void everyInterruptionOfASaveLeavesAnIntactCheckpoint(@TempDir Path tmp) {
        TrainableModel reference = TrainableModel.random(CheckpointTest.C, 1, false);
        Trainer referenceTrainer = CheckpointTest.trainer(reference);
        train(reference, referenceTrainer, tmp.resolve("reference"), -1, FileOps.DISK);

        // how many operations a save over an existing checkpoint takes, and which one is the switch
        var counting = new KillingOps(-1);
        TrainableModel probe = TrainableModel.random(CheckpointTest.C, 1, false);
        Trainer probeTrainer = CheckpointTest.trainer(probe);
        Path probeDir = tmp.resolve("probe");
        train(probe, probeTrainer, probeDir, 2, FileOps.DISK);
        Checkpoint.save(probeDir, probe, probeTrainer, DataPosition.START, OPTIONS, counting);
        assertTrue(counting.count >= 8 && counting.switchAt > 0, "operations: " + counting.count);

        for (int k = 0; k <= counting.count; k++) {
            Path dir = tmp.resolve("kill-" + k).resolve("checkpoint");
            TrainableModel m = TrainableModel.random(CheckpointTest.C, 1, false);
            Trainer t = CheckpointTest.trainer(m);
            train(m, t, dir, 2, FileOps.DISK); // a good checkpoint at step 2, then on to step 4 ...
            TrainableModel m2 = TrainableModel.random(CheckpointTest.C, 1, false);
            Trainer t2 = CheckpointTest.trainer(m2);
            Checkpoint.load(dir, m2, t2);
            var ops = new KillingOps(k);
            try {
                train(m2, t2, dir, 4, ops); // ... where the save is killed at operation k
            } catch (Killed expected) {
                // the process is gone: only the directory is left
            }
            int resumedAt = resumeAndFinish(dir, reference, referenceTrainer, "killed at operation " + k);
            assertEquals(k <= counting.switchAt ? 2 : 4, resumedAt, "killed at operation " + k);
        }
    }

    @Test
    void aKilledFirstSaveLeavesNoCheckpointOrAWholeOne(@TempDir Path tmp) {
        TrainableModel reference = TrainableModel.random(CheckpointTest.C, 1, false);
        Trainer referenceTrainer = CheckpointTest.trainer(reference);
        train(reference, referenceTrainer, tmp.resolve("reference"), -1, FileOps.DISK);
        for (int k = 0; ; k++) {
            Path dir = tmp.resolve("kill-" + k).resolve("checkpoint");
            TrainableModel m = TrainableModel.random(CheckpointTest.C, 1, false);
            Trainer t = CheckpointTest.trainer(m);
            var ops = new KillingOps(k);
            boolean killed = false;
            try {
                train(m, t, dir, 3, ops);
            } catch (Killed expected) {
                killed = true;
            }
            int resumedAt = resumeAndFinish(dir, reference, referenceTrainer, "first save killed at operation " + k);
            assertEquals(k <= ops.switchAt || ops.switchAt < 0 ? 0 : 3, resumedAt, "first save killed at operation " + k);
            if (!killed) break; // k went past the last operation
        }
    }
}
