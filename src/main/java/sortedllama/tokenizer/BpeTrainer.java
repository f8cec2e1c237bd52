package sortedllama.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;

/**
 * Trains a small byte-level BPE vocabulary on a corpus and writes it as a Hugging Face
 * {@code tokenizer.json} shaped like Llama 3's (regex split, then byte-level), so that the
 * demo's model gets a compact vocabulary that the standard loader reads. Merges are learnt
 * greedily: the most frequent adjacent pair (ties: the smallest ids) becomes a new token.
 * Ids: the special tokens first ({@code <unk>} 0, {@code <s>} 1, {@code </s>} 2, as LLaMA 1/2),
 * then the 256 bytes, then the merges.
 */
public final class BpeTrainer {
    /** Llama 3's pre-tokenizer pattern (contractions, words, 1-3 digit groups, punctuation, spaces). */
    public static final String LLAMA3_SPLIT = PreTokenizer.LLAMA3_SPLIT;
    public static final List<String> SPECIALS = List.of("<unk>", "<s>", "</s>");

    private BpeTrainer() {}

    /** The tokenizer.json text for a vocabulary of {@code vocabSize} tokens learnt from {@code corpus}. */
    public static String train(String corpus, int vocabSize) {
        int base = SPECIALS.size() + 256;
        if (vocabSize < base) throw new IllegalArgumentException("vocabulary size must be at least " + base);
        // distinct pre-tokenized words with their counts, as symbol id sequences
        Map<String, Long> wordCounts = new HashMap<>();
        Matcher m = PreTokenizer.compile(LLAMA3_SPLIT).matcher(corpus);
        while (m.find()) wordCounts.merge(m.group(), 1L, Long::sum);
        List<String> sortedWords = new ArrayList<>(wordCounts.keySet());
        sortedWords.sort(null); // deterministic order
        int[][] words = new int[sortedWords.size()][];
        long[] counts = new long[words.length];
        for (int w = 0; w < words.length; w++) {
            byte[] bytes = sortedWords.get(w).getBytes(StandardCharsets.UTF_8);
            words[w] = new int[bytes.length];
            for (int i = 0; i < bytes.length; i++) words[w][i] = SPECIALS.size() + (bytes[i] & 0xFF);
            counts[w] = wordCounts.get(sortedWords.get(w));
        }
        List<String> tokens = new ArrayList<>(SPECIALS);
        for (int b = 0; b < 256; b++) tokens.add(Gpt2ByteMap.encode(new byte[] {(byte) b}));
        List<String> merges = new ArrayList<>();

        var pairs = new PairIndex(words, counts);
        while (tokens.size() < vocabSize) {
            long best = pairs.mostFrequent();
            if (best < 0) break; // nothing left to merge
            int a = (int) (best >>> 32), b = (int) best, merged = tokens.size();
            tokens.add(tokens.get(a) + tokens.get(b));
            merges.add(tokens.get(a) + " " + tokens.get(b));
            pairs.merge(a, b, merged);
        }
        return toJson(tokens, merges);
    }

    /** Pair counts over all words, kept up to date as pairs merge. */
    private static final class PairIndex {
        final int[][] words;
        final long[] counts;
        final Map<Long, Long> pairCount = new HashMap<>();
        final Map<Long, Set<Integer>> pairWords = new HashMap<>();

        PairIndex(int[][] words, long[] counts) {
            this.words = words;
            this.counts = counts;
            for (int w = 0; w < words.length; w++) add(w, +1);
        }

        static long key(int a, int b) {
            return ((long) a << 32) | (b & 0xFFFFFFFFL);
        }

        void add(int w, int sign) {
            int[] s = words[w];
            for (int i = 0; i + 1 < s.length; i++) {
                long k = key(s[i], s[i + 1]);
                pairCount.merge(k, sign * counts[w], Long::sum);
                if (sign > 0) pairWords.computeIfAbsent(k, x -> new HashSet<>()).add(w);
            }
        }

        long mostFrequent() {
            long best = -1, bestCount = 0;
            for (var e : pairCount.entrySet()) {
                long c = e.getValue();
                if (c > bestCount || (c == bestCount && c > 0 && Long.compareUnsigned(e.getKey(), best) < 0)) {
                    best = e.getKey();
                    bestCount = c;
                }
            }
            return bestCount > 0 ? best : -1;
        }

        void merge(int a, int b, int merged) {
            Set<Integer> affected = pairWords.remove(key(a, b));
            if (affected == null) return;
            List<Integer> order = new ArrayList<>(affected);
            order.sort(null);
            for (int w : order) {
                add(w, -1);
                int[] s = words[w];
                int[] out = new int[s.length];
                int n = 0;
                for (int i = 0; i < s.length; i++) {
                    if (i + 1 < s.length && s[i] == a && s[i + 1] == b) {
                        out[n++] = merged;
                        i++;
                    } else {
                        out[n++] = s[i];
                    }
                }
                words[w] = Arrays.copyOf(out, n);
                add(w, +1);
            }
            pairCount.values().removeIf(c -> c == 0);
        }
    }

    private static String toJson(List<String> tokens, List<String> merges) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < SPECIALS.size(); i++) {
            added.addObject().put("id", i).put("content", SPECIALS.get(i)).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
        }
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Sequence");
        ArrayNode steps = pre.putArray("pretokenizers");
        ObjectNode split = steps.addObject();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", LLAMA3_SPLIT);
        split.put("behavior", "Isolated").put("invert", false);
        steps.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", false);
        root.putNull("post_processor");
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true).put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").putNull("dropout").putNull("unk_token").putNull("continuing_subword_prefix")
                .putNull("end_of_word_suffix").put("fuse_unk", false).put("byte_fallback", false).put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < tokens.size(); i++) vocab.put(tokens.get(i), i);
        ArrayNode mergeArray = model.putArray("merges");
        merges.forEach(mergeArray::add);
        try {
            return json.writerWithDefaultPrettyPrinter().writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
