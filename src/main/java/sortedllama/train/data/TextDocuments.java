package sortedllama.train.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Plain text for continued pre-training. Documents are separated by one or more blank (or
 * white-space-only) lines; a document's lines are joined with "\n", so a file without blank lines is
 * one document. Each becomes BOS + text + EOS, every token after BOS in the loss. Blank lines are
 * the separator because a line break alone is too common inside a document (poems, code, lists).
 */
final class TextDocuments {
    private final Path file;
    private final ExampleEncoder encoder;
    private final BadRecords bad;
    private final List<Example> examples = new ArrayList<>();
    private final StringBuilder text = new StringBuilder();
    private long firstLine;
    private long documents;

    private TextDocuments(Path file, ExampleEncoder encoder, BadRecords bad) {
        this.file = file;
        this.encoder = encoder;
        this.bad = bad;
    }

    static List<Example> read(Path file, ExampleEncoder encoder, BadRecords bad) {
        var reader = new TextDocuments(file, encoder, bad);
        NumberedLines.forEach(file, reader::line);
        reader.endDocument();
        return reader.examples;
    }

    private void line(long number, String line) {
        if (line.isBlank()) {
            endDocument();
            return;
        }
        if (text.isEmpty()) firstLine = number;
        else text.append('\n');
        text.append(line);
    }

    private void endDocument() {
        if (text.isEmpty()) return;
        var where = new RecordLocation(file, firstLine, ++documents);
        try {
            examples.add(encoder.document(text.toString()));
        } catch (InvalidRecordException e) {
            bad.reject(where, e.getMessage());
        }
        text.setLength(0);
    }
}
