package sortedllama.demo;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import net.sf.extjwnl.data.POS;
import sortedllama.train.data.TriviaQaFormat;

/**
 * The demo's slice of WordNet: the {@code size} most common noun and verb synsets that have a
 * hypernym (by SemCor use count, ties in file order). A small base model can learn a few thousand
 * entries by heart in minutes, which closed-book question answering needs; all of WordNet would
 * take it hours. Every entry belongs to a fixed train / validation / test split.
 */
public record DemoCorpus(List<WordNetEntries.Entry> entries) {

    public static final int DEFAULT_SIZE = 4000;

    public static DemoCorpus load(int size) {
        List<WordNetEntries.Entry> all = new ArrayList<>();
        for (var e : WordNetEntries.load(POS.NOUN, POS.VERB)) if (!e.hypernyms().isEmpty()) all.add(e);
        all.sort(Comparator.comparingInt(WordNetEntries.Entry::useCount).reversed()); // stable: file order breaks ties
        return new DemoCorpus(List.copyOf(all.subList(0, Math.min(size, all.size()))));
    }

    public List<WordNetEntries.Entry> split(WordNetEntries.Split which) {
        return entries.stream().filter(e -> WordNetEntries.split(e) == which).toList();
    }

    /**
     * What the base model reads in pre-training: one document per entry, test split included (the
     * facts that the held-out questions ask about are here), then the training split's questions
     * with their answers, one document each, as the web has question-and-answer pages beside
     * encyclopedia articles. That mix is what lets a small model answer questions about entries it
     * read only as articles: trained on articles alone it stores each fact as the continuation of
     * its article and cannot retrieve it from a question (Allen-Zhu and Li, "Physics of Language
     * Models 3.1", 2023, "mixed training"). Test-split questions never appear.
     */
    public List<String> pretrainingDocuments() {
        List<String> docs = new ArrayList<>(WordNetTasks.pretrainingText(entries).lines().toList());
        for (var q : WordNetTasks.questionRecords(split(WordNetEntries.Split.TRAIN))) {
            docs.add(TriviaQaFormat.prompt(q.question()) + TriviaQaFormat.response(q.value()));
        }
        return docs;
    }
}
