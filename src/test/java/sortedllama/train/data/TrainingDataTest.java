package sortedllama.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sortedllama.BadInputException;
import sortedllama.train.Batch;

class TrainingDataTest {
    private final List<String> log = new ArrayList<>();

    /** 200 distinct one-line documents. */
    private static Path documents(Path dir) throws IOException {
        String text = IntStream.range(0, 200).mapToObj(i -> "Document number " + i + " is here.").collect(Collectors.joining("\n\n"));
        return Files.writeString(dir.resolve("docs.txt"), text);
    }

    private TrainingData load(Path file, DataOptions options) {
        return TrainingData.load(file, null, DataFixtures.tokenizer(), options, log::add);
    }

    private static Set<String> keys(List<Example> examples) {
        Set<String> out = new HashSet<>();
        for (Example e : examples) out.add(Arrays.toString(e.tokens()));
        return out;
    }

    @Test
    void validationSplitIsStableAcrossSeedsAndDisjointFromTraining(@TempDir Path dir) throws IOException {
        Path file = documents(dir);
        DataOptions options = DataOptions.defaults(DataFormat.TEXT, 64, 8).withValidationFraction(0.2);
        TrainingData a = load(file, options.withSeed(1)), b = load(file, options.withSeed(2));
        assertEquals(keys(a.validation()), keys(b.validation()), "the held-out examples do not depend on the seed");
        assertEquals(200, a.train().size() + a.validation().size());
        assertTrue(a.validation().size() > 20 && a.validation().size() < 60, a.validation().size() + " of 200 held out for 0.2");
        Set<String> overlap = keys(a.train());
        overlap.retainAll(keys(a.validation()));
        assertTrue(overlap.isEmpty(), "no example both trained on and validated on");
        int validationRows = a.validationBatches().stream().mapToInt(Batch::batchSize).sum();
        assertEquals(a.validation().size(), validationRows);
    }

    @Test
    void aValidationFileIsUsedAsIs(@TempDir Path dir) throws IOException {
        Path train = documents(dir);
        Path validation = Files.writeString(dir.resolve("valid.txt"), "Held out one.\n\nHeld out two.");
        var options = DataOptions.defaults(DataFormat.TEXT, 64, 8);
        var data = TrainingData.load(train, validation, DataFixtures.tokenizer(), options, log::add);
        assertEquals(200, data.train().size());
        assertEquals(2, data.validation().size());
        assertThrows(BadInputException.class,
                () -> TrainingData.load(train, validation, DataFixtures.tokenizer(), options.withValidationFraction(0.1), log::add));
    }

    @Test
    void summaryLineCountsTruncatedAndSkippedRecords(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("qa.jsonl"), """
                {"prompt": "Short.", "completion": " Yes."}
                {"prompt": "A prompt.", "completion": " A completion far too long to fit in sixteen positions of this tokenizer."}
                {"prompt": "No completion."}
                """);
        var options = DataOptions.defaults(DataFormat.JSONL, 16, 2).withOnBadRecord(BadRecordPolicy.SKIP);
        DataStats stats = load(file, options).stats();
        assertEquals(2, stats.trainExamples());
        assertEquals(1, stats.truncated());
        assertEquals(1, stats.badRecords());
        assertEquals(17, stats.maxLength());
        assertTrue(stats.longestBeforeLimit() > 17);
        assertEquals(stats.summary(), log.getLast(), "the summary is logged");
        assertTrue(stats.summary().matches("data: 2 train \\+ 0 validation examples, \\d+ tokens \\(\\d+\\.\\d% trained on\\), "
                + "length mean \\d+\\.\\d max 17 \\(longest as read \\d+\\); 1 truncated, 0 split, 0 dropped as too long, 1 bad records skipped"),
                stats.summary());
    }

    @Test
    void nothingLeftToTrainOnIsAnError(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("empty.jsonl"), "\n");
        var e = assertThrows(BadInputException.class, () -> load(file, DataOptions.defaults(DataFormat.JSONL, 16, 2)));
        assertTrue(e.getMessage().startsWith(file + ": no training examples left"), e.getMessage());
    }

    @Test
    void trainingBatchesComeFromTheLoadedExamples(@TempDir Path dir) throws IOException {
        var data = load(documents(dir), DataOptions.defaults(DataFormat.TEXT, 64, 8).withBatching(BatchMode.PACK));
        BatchStream batches = data.batches(DataPosition.START);
        long counted = 0;
        for (int i = 0; i < batches.batchesInEpoch(); i++) counted += batches.next().countedTargets();
        assertEquals(data.stats().trainedTokens(), counted, "one epoch trains on every counted token once");
    }
}
