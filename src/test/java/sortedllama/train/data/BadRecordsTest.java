package sortedllama.train.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import sortedllama.BadInputException;

class BadRecordsTest {
    /** Two good records around one of each kind of bad one; line numbers are the comments' */
    private static final String ALPACA_LINES = String.join("\n",
            "{\"instruction\": \"Say hi.\", \"output\": \"Hi.\"}",             // 1 good
            "{\"instruction\": \"Say hi.\", \"output\": \"Hi.\"",              // 2 bad JSON
            "{\"instruction\": \"Say hi.\"}",                                  // 3 missing output
            "{\"instruction\": \"Say hi.\", \"output\": 5}",                   // 4 wrong type
            "{\"instruction\": \"Say hi.\", \"output\": \"  \"}",              // 5 empty output
            "",                                                                // 6 blank: not a record
            "[\"not\", \"an object\"]",                                        // 7 not an object
            "{\"instruction\": \"Say bye.\", \"input\": \"x\", \"output\": \"Bye.\"}"); // 8 good

    private final List<String> log = new ArrayList<>();

    private List<Example> read(DataFormat format, Path file, BadRecords bad) {
        return format.read(file, new ExampleEncoder(DataFixtures.tokenizer()), bad);
    }

    @Test
    void skipCountsAndLogsEachBadRecordWithItsLine(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("mixed.jsonl"), ALPACA_LINES);
        var bad = new BadRecords(BadRecordPolicy.SKIP, log::add);
        assertEquals(2, read(DataFormat.ALPACA, file, bad).size());
        assertEquals(5, bad.count());
        assertEquals(5, log.size());
        assertTrue(log.get(0).contains(file + ": line 2") && log.get(0).contains("malformed JSON"), log.get(0));
        assertTrue(log.get(1).contains("line 3") && log.get(1).contains("\"output\" is missing"), log.get(1));
        assertTrue(log.get(2).contains("line 4") && log.get(2).contains("\"output\" is a number, not a string"), log.get(2));
        assertTrue(log.get(3).contains("line 5") && log.get(3).contains("\"output\" is empty"), log.get(3));
        assertTrue(log.get(4).contains("line 7") && log.get(4).contains("not an array"), log.get(4));
    }

    @Test
    void failNamesTheFileAndLineOfTheFirstBadRecord(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("mixed.jsonl"), ALPACA_LINES);
        var e = assertThrows(BadInputException.class, () -> read(DataFormat.ALPACA, file, new BadRecords(BadRecordPolicy.FAIL, log::add)));
        assertTrue(e.getMessage().startsWith(file + ": line 2 (record 2): malformed JSON"), e.getMessage());
    }

    @Test
    void aBadRecordInsideAJsonArrayIsFoundByItsLine(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("alpaca.json"), """
                [
                  {"instruction": "Say hi.", "output": "Hi."},
                  {"instruction": "Say hi.",
                   "input": 3,
                   "output": "Hi."}
                ]
                """);
        var e = assertThrows(BadInputException.class, () -> read(DataFormat.ALPACA, file, new BadRecords(BadRecordPolicy.FAIL, log::add)));
        assertTrue(e.getMessage().startsWith(file + ": line 3 (record 2): field \"input\" is a number"), e.getMessage());
    }

    @Test
    void aSyntaxErrorInsideAJsonArrayFailsEvenWhenSkipping(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("alpaca.json"), "[\n{\"instruction\": \"a\", \"output\": \"b\"},\n{\"instruction\": \"a\" \"output\": \"b\"}\n]");
        var e = assertThrows(BadInputException.class, () -> read(DataFormat.ALPACA, file, new BadRecords(BadRecordPolicy.SKIP, log::add)));
        assertTrue(e.getMessage().startsWith(file + ": line 3: malformed JSON"), e.getMessage());
    }

    @Test
    void triviaQaWithoutAnAnswerValue(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("qa.json"), """
                {"Data": [
                  {"Question": "Q1?", "Answer": {"Value": "a1"}},
                  {"Question": "Q2?", "Answer": {"Aliases": ["a2"]}},
                  {"Question": "Q3?"}
                ], "Version": 1.0}
                """);
        var bad = new BadRecords(BadRecordPolicy.SKIP, log::add);
        assertEquals(1, read(DataFormat.TRIVIAQA, file, bad).size());
        assertEquals(2, bad.count());
        assertTrue(log.get(0).contains("line 3 (record 2): field \"Value\" is missing"), log.get(0));
        assertTrue(log.get(1).contains("line 4 (record 3): field \"Answer\" is missing"), log.get(1));
    }

    @Test
    void manyBadRecordsAreAllCountedButOnlyTheFirstFewLogged(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("bad.jsonl"), "{\"prompt\": \"p\"}\n".repeat(25));
        var bad = new BadRecords(BadRecordPolicy.SKIP, log::add);
        assertEquals(0, read(DataFormat.JSONL, file, bad).size());
        assertEquals(25, bad.count());
        assertEquals(BadRecords.LOGGED + 1, log.size());
    }

    @Test
    void invalidUtf8IsReportedAtItsOwnLineNotWhereTheDecoderWas(@TempDir Path dir) throws IOException {
        var bytes = new ByteArrayOutputStream();
        for (int i = 1; i <= 30; i++) bytes.writeBytes(("{\"prompt\": \"p" + i + "\", \"completion\": \"" + "c".repeat(400) + "\"}\n").getBytes());
        bytes.writeBytes(new byte[] {'{', '"', (byte) 0xC3, (byte) 0x28, '"', '}', '\n'});
        Path file = Files.write(dir.resolve("bad-utf8.jsonl"), bytes.toByteArray());
        var e = assertThrows(BadInputException.class, () -> read(DataFormat.JSONL, file, new BadRecords(BadRecordPolicy.SKIP, log::add)));
        assertEquals(file + ": line 31: not valid UTF-8", e.getMessage());
    }

    @Test
    void skippingHasACap(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("bad.jsonl"), "{\"prompt\": \"p\"}\n".repeat(6));
        var e = assertThrows(BadInputException.class, () -> read(DataFormat.JSONL, file, new BadRecords(BadRecordPolicy.SKIP, log::add, 5)));
        assertTrue(e.getMessage().startsWith(file + ": line 6 (record 6)") && e.getMessage().contains("more than 5 bad records"), e.getMessage());
    }
}
