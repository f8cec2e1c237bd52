package sortedllama.train.data;

import java.nio.file.Path;
import java.util.List;

/** The file formats the trainer reads ({@code --format alpaca|triviaqa|jsonl|text}). */
public enum DataFormat {
    /** Stanford Alpaca: a JSON array (or JSON Lines) of {instruction, input, output}; see {@link AlpacaFormat}. */
    ALPACA,
    /** TriviaQA, closed book: the official {"Data": [...]} file, a flat array / JSON Lines of its records, or Hugging Face's lower-case export; see {@link TriviaQaFormat}. */
    TRIVIAQA,
    /** JSON Lines (or an array) of {prompt, completion}; see {@link PromptCompletionFormat}. */
    JSONL,
    /** Plain text for continued pre-training, documents separated by blank lines; see {@link TextDocuments}. */
    TEXT;

    /**
     * The examples of one file, in file order, not yet fitted to a sequence length; malformed records
     * go to {@code bad}. For evaluation sets ({@link Example#prompt()}, {@link Example#answers()});
     * training goes through {@link TrainingData#load}.
     */
    public List<Example> read(Path file, ExampleEncoder encoder, BadRecords bad) {
        return switch (this) {
            case ALPACA -> JsonRecords.examples(file, null, new AlpacaFormat(encoder), bad);
            case TRIVIAQA -> JsonRecords.examples(file, TriviaQaFormat.WRAPPER_KEY, new TriviaQaFormat(encoder), bad);
            case JSONL -> JsonRecords.examples(file, null, new PromptCompletionFormat(encoder), bad);
            case TEXT -> TextDocuments.read(file, encoder, bad);
        };
    }
}
