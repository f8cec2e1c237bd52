package sortedllama.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import sortedllama.io.AtomicFiles;
import sortedllama.train.data.TriviaQaRecord;

/**
 * The demo's tasks, built from WordNet entries in the formats the trainer reads:
 * <ul>
 *   <li>instruction following, Stanford Alpaca JSON (instruction, input, output): define a word,
 *       use it in a sentence, give a synonym, name a more general term;</li>
 *   <li>closed-book QA, TriviaQA JSON (Question, Answer.Value, Answer.Aliases): "which word means
 *       DEFINITION?", answered by the word or any of its synonyms;</li>
 *   <li>plain text for pre-training the base model: one line per entry.</li>
 * </ul>
 */
public final class WordNetTasks {
    private WordNetTasks() {}

    public static List<Map<String, String>> instructions(List<WordNetEntries.Entry> entries) {
        List<Map<String, String>> out = new ArrayList<>();
        for (var e : entries) {
            out.add(alpaca("Define the word \"" + e.word() + "\".", "", capitalise(e.definition()) + "."));
            if (!e.examples().isEmpty()) out.add(alpaca("Use the word in a sentence.", e.word(), capitalise(e.examples().get(0)) + "."));
            if (!e.synonyms().isEmpty()) out.add(alpaca("Give a synonym of the word.", e.word(), e.synonyms().get(0)));
            if (!e.hypernyms().isEmpty()) {
                out.add(alpaca("Name a more general term for the word.", e.word(), e.hypernyms().get(0)));
            }
        }
        return out;
    }

    /**
     * Closed-book questions, one per entry with a hypernym: what the entry is a kind
     * of (its hypernym; any lemma of the hypernym synset counts). Closed-book: the fact is in the
     * pre-training text ("... A house is a kind of dwelling."), asked in the direction it was read,
     * word first (models learn "A is B" without learning "B is A"), and phrased close to the question:
     * a small model pre-trained on one phrasing of a fact cannot retrieve it from a question that
     * rephrases it (Allen-Zhu and Li, "Physics of Language Models 3.1", 2023: knowledge becomes
     * extractable when the pre-training text varies its phrasing). Entries without a hypernym ask nothing.
     */
    public static List<TriviaQaRecord> questionRecords(List<WordNetEntries.Entry> entries) {
        List<TriviaQaRecord> out = new ArrayList<>();
        for (var e : entries) {
            if (!e.hypernyms().isEmpty()) out.add(new TriviaQaRecord("What is " + subject(e) + " a kind of?", e.hypernyms().get(0), e.hypernyms()));
        }
        return out;
    }

    /** {@link #questionRecords} as TriviaQA's JSON records: {"Question", "Answer": {"Value", "Aliases"}}. */
    public static List<Map<String, Object>> questions(List<WordNetEntries.Entry> entries) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (var q : questionRecords(entries)) {
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("Value", q.value());
            answer.put("Aliases", q.aliases());
            Map<String, Object> record = new LinkedHashMap<>();
            record.put("Question", q.question());
            record.put("Answer", answer);
            out.add(record);
        }
        return out;
    }

    /** One line per entry: the pre-training text of the base model. */
    public static String pretrainingText(List<WordNetEntries.Entry> entries) {
        StringBuilder sb = new StringBuilder();
        for (var e : entries) {
            sb.append(e.word()).append(" (").append(e.pos()).append("): ").append(e.definition()).append('.');
            if (!e.synonyms().isEmpty()) sb.append(" Synonyms: ").append(String.join(", ", e.synonyms())).append('.');
            if (!e.hypernyms().isEmpty()) sb.append(' ').append(capitalise(subject(e))).append(" is a kind of ").append(e.hypernyms().get(0)).append('.');
            if (!e.examples().isEmpty()) sb.append(" Example: ").append(e.examples().get(0)).append('.');
            sb.append('\n');
        }
        return sb.toString();
    }

    /** Writes JSON atomically (temporary file, then rename). */
    public static void writeJson(Object value, Path path) throws IOException {
        var mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        AtomicFiles.write(path, mapper.writeValueAsBytes(value));
    }

    private static Map<String, String> alpaca(String instruction, String input, String output) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("instruction", instruction);
        m.put("input", input);
        m.put("output", output);
        return m;
    }

    /** How a sentence names the entry: "a house", "to hear". */
    private static String subject(WordNetEntries.Entry e) {
        return (e.pos().equals("verb") ? "to " : "a ") + e.word();
    }

    private static String capitalise(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }
}
