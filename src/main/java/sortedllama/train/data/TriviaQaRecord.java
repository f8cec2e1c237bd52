package sortedllama.train.data;

import java.util.LinkedHashSet;
import java.util.List;

/**
 * One TriviaQA question: the official record's "Question", "Answer.Value" and "Answer.Aliases"
 * (the other answer fields, normalised forms and entity pages, are not needed here).
 */
public record TriviaQaRecord(String question, String value, List<String> aliases) {

    public TriviaQaRecord {
        aliases = List.copyOf(aliases);
    }

    /** Every accepted answer for scoring: the value first, then the aliases, without repeats. */
    public List<String> answers() {
        var all = new LinkedHashSet<String>();
        all.add(value);
        all.addAll(aliases);
        return List.copyOf(all);
    }
}
