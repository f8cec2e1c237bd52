package sortedllama.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import sortedllama.BadInputException;

/**
 * Byte-level BPE as Hugging Face's tokenizers run it for GPT-2 and Llama 3. Added tokens are cut
 * out of the text first, leftmost-longest: user-defined ones always, special (control) ones only
 * when special tokens are parsed ({@link Tokenizer}'s rule; Hugging Face parses both by default);
 * the rest is normalised (if the file says so), pre-tokenized ({@link PreTokenizer}), and each
 * piece's UTF-8 bytes, written in GPT-2's byte map, are merged pair by pair, the lowest-ranked
 * merge first (leftmost on ties). With {@code ignoreMerges} (Llama 3) a piece that is itself in
 * the vocabulary is taken whole.
 */
public final class ByteLevelBpe implements Tokenizer {
    /** GPT-2's pre-tokenizer pattern (ByteLevel with use_regex). */
    public static final String GPT2_SPLIT = PreTokenizer.GPT2_SPLIT;
    /** Pieces remembered with their ids; text repeats words, and merging is the costly part. */
    private static final int CACHE_LIMIT = 50_000;

    private final String[] tokens;
    /** Per-token kinds ({@link PieceTypes}), kept so that a GGUF file can record them. */
    private final int[] types;
    private final Map<String, Integer> vocab = new HashMap<>();
    /** (left id, right id) packed in a long → (rank, merged id) packed in a long. */
    private final Map<Long, Long> merges = new HashMap<>();
    /** Every added token matched literally in text (control and user-defined), by text. */
    private final Map<String, Integer> specials;
    /** Matches any of {@link #specials} (for parsed special tokens); null when there are none. */
    private final Pattern specialPattern;
    /** The control ones among {@link #specials}: what parsing special tokens adds. */
    private final Map<String, Integer> controls = new LinkedHashMap<>();
    /** Matches the user-defined ones, which plain text matches too; null when there are none. */
    private final Pattern userDefinedPattern;
    private final List<Normalizer.Form> normalization;
    private final PreTokenizer preTokenizer;
    private final boolean ignoreMerges;
    private final int bosId, eosId;
    private final String chatTemplate;
    private final int[] byteIds = new int[256];
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param tokens     the vocabulary in GPT-2's byte-mapped form, indexed by id (null for unused ids)
     * @param merges     "a b" rules, highest priority first
     * @param specials   added tokens matched literally in text, with their ids
     * @param splitRegex the pre-tokenizer's pattern
     */
    public ByteLevelBpe(String[] tokens, List<String> merges, Map<String, Integer> specials, String splitRegex,
                        boolean ignoreMerges, int bosId, int eosId, String chatTemplate) {
        this(tokens, null, merges, specials, List.of(), PreTokenizer.regex(splitRegex), ignoreMerges, bosId, eosId, chatTemplate);
    }

    /**
     * @param types per-token kinds ({@link PieceTypes}), or null for {@link #defaultTypes}
     */
    ByteLevelBpe(String[] tokens, int[] types, List<String> merges, Map<String, Integer> specials, List<Normalizer.Form> normalization,
                 PreTokenizer preTokenizer, boolean ignoreMerges, int bosId, int eosId, String chatTemplate) {
        this.tokens = tokens;
        if (types != null && types.length != tokens.length) {
            throw new BadInputException("vocabulary has " + tokens.length + " tokens but " + types.length + " token types");
        }
        this.types = types != null ? types : defaultTypes(tokens, specials);
        for (int i = 0; i < tokens.length; i++) if (tokens[i] != null) vocab.putIfAbsent(tokens[i], i);
        for (int b = 0; b < 256; b++) {
            Integer id = vocab.get(String.valueOf(Gpt2ByteMap.charOf(b)));
            if (id == null) throw new BadInputException("byte-level vocabulary lacks the token for byte " + b);
            byteIds[b] = id;
        }
        for (int rank = 0; rank < merges.size(); rank++) addMerge(rank, merges.get(rank));
        this.specials = new LinkedHashMap<>(specials);
        specials.forEach((text, id) -> checkId(id, "special token \"" + text + "\""));
        List<String> userDefined = new ArrayList<>();
        specials.forEach((text, id) -> {
            if (this.types[id] == PieceTypes.USER_DEFINED) userDefined.add(text);
            else controls.put(text, id);
        });
        this.specialPattern = SpecialTokens.pattern(specials.keySet());
        this.userDefinedPattern = SpecialTokens.pattern(userDefined);
        this.normalization = List.copyOf(normalization);
        this.preTokenizer = preTokenizer;
        this.ignoreMerges = ignoreMerges;
        this.bosId = bosId < 0 ? -1 : checkId(bosId, "BOS");
        this.eosId = eosId < 0 ? -1 : checkId(eosId, "EOS");
        this.chatTemplate = chatTemplate;
    }

    /** Token kinds when nothing says more: ids without a token unused, special tokens control, the rest normal. */
    static int[] defaultTypes(String[] tokens, Map<String, Integer> specials) {
        int[] types = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) types[i] = tokens[i] == null ? PieceTypes.UNUSED : PieceTypes.NORMAL;
        for (int id : specials.values()) if (id >= 0 && id < types.length) types[id] = PieceTypes.CONTROL;
        return types;
    }

    private void addMerge(int rank, String rule) {
        int space = rule.indexOf(' ', 1);
        if (space < 0 || rule.indexOf(' ', space + 1) >= 0) {
            throw new BadInputException("merge " + rank + " \"" + rule + "\" is not two tokens");
        }
        String left = rule.substring(0, space), right = rule.substring(space + 1);
        for (String t : new String[] {left, right, left + right}) {
            if (!vocab.containsKey(t)) {
                throw new BadInputException("merge " + rank + " \"" + rule + "\": \"" + t + "\" is not in the vocabulary");
            }
        }
        merges.putIfAbsent(pair(vocab.get(left), vocab.get(right)), (long) rank << 32 | vocab.get(left + right));
    }

    private int checkId(int id, String what) {
        if (id < 0 || id >= tokens.length || tokens[id] == null) {
            throw new BadInputException(what + " has id " + id + ", which is not in the vocabulary of " + tokens.length);
        }
        return id;
    }

    private static long pair(int a, int b) {
        return (long) a << 32 | (b & 0xFFFFFFFFL);
    }

    /** The Jinja chat template from tokenizer_config.json or GGUF, if the tokenizer came with one. */
    public Optional<String> chatTemplate() {
        return Optional.ofNullable(chatTemplate);
    }

    @Override
    public int[] encode(String text) {
        return encode(text, false);
    }

    /** One pass over the text, cutting out user-defined tokens, and special ones too when {@code parseSpecial}. */
    @Override
    public int[] encode(String text, boolean parseSpecial) {
        IntList ids = new IntList();
        SpecialTokens.encode(text, parseSpecial ? specialPattern : userDefinedPattern, specials, piece -> {
            IntList part = new IntList();
            encodeOrdinary(piece, part);
            return part.toArray();
        }, ids);
        return ids.toArray();
    }

    @Override
    public Map<String, Integer> specialTokens() {
        return Collections.unmodifiableMap(controls);
    }

    private void encodeOrdinary(String text, IntList out) {
        if (text.isEmpty()) return;
        for (Normalizer.Form form : normalization) text = Normalizer.normalize(text, form);
        for (String piece : preTokenizer.split(text)) {
            int[] ids = cache.get(piece);
            if (ids == null) {
                ids = encodePiece(piece);
                if (cache.size() >= CACHE_LIMIT) cache.clear();
                cache.put(piece, ids);
            }
            out.addAll(ids);
        }
    }

    private int[] encodePiece(String piece) {
        byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
        if (ignoreMerges) {
            Integer whole = vocab.get(Gpt2ByteMap.encode(bytes));
            if (whole != null) return new int[] {whole};
        }
        return mergeByRank(bytes);
    }

    /** A queued merge of symbol {@code left} with its right neighbour, valid while both still hold the ids it saw. */
    private record Candidate(int rank, int left, int leftId, int rightId, int mergedId) {}

    /** Merges one piece's byte symbols, lowest rank first (leftmost on ties), as Hugging Face's BPE does. */
    private int[] mergeByRank(byte[] bytes) {
        int n = bytes.length;
        int[] id = new int[n], next = new int[n], prev = new int[n];
        for (int i = 0; i < n; i++) {
            id[i] = byteIds[bytes[i] & 0xFF];
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        PriorityQueue<Candidate> agenda = new PriorityQueue<>((a, b) -> a.rank != b.rank ? Integer.compare(a.rank, b.rank)
                : Integer.compare(a.left, b.left));
        for (int i = 0; i + 1 < n; i++) queue(agenda, i, id[i], id[i + 1]);
        boolean[] gone = new boolean[n];
        int count = n;
        while (!agenda.isEmpty()) {
            Candidate c = agenda.poll();
            int l = c.left, r = next[l];
            if (gone[l] || r < 0 || id[l] != c.leftId || id[r] != c.rightId) continue; // stale
            id[l] = c.mergedId;
            gone[r] = true;
            count--;
            next[l] = next[r];
            if (next[r] >= 0) prev[next[r]] = l;
            if (prev[l] >= 0) queue(agenda, prev[l], id[prev[l]], id[l]);
            if (next[l] >= 0) queue(agenda, l, id[l], id[next[l]]);
        }
        int[] out = new int[count];
        for (int i = 0, k = 0; i >= 0; i = next[i]) out[k++] = id[i];
        return out;
    }

    private void queue(PriorityQueue<Candidate> agenda, int left, int leftId, int rightId) {
        Long m = merges.get(pair(leftId, rightId));
        if (m != null) agenda.add(new Candidate((int) (m >>> 32), left, leftId, rightId, (int) (long) m));
    }

    @Override
    public byte[] decodeBytes(int id) {
        checkId(id, "token");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Gpt2ByteMap.decodeToken(tokens[id], out);
        return out.toByteArray();
    }

    /** All tokens' bytes, then UTF-8 with bad sequences replaced (Hugging Face's ByteLevel decoder). */
    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int id : ids) {
            checkId(id, "token");
            Gpt2ByteMap.decodeToken(tokens[id], out);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /**
     * This vocabulary as GGUF embeds it ("gpt2"). GGUF names only a few pre-tokenizers and has no
     * Unicode normalisation, so anything else is refused rather than written to encode differently.
     */
    GgufVocabulary toGgufVocabulary() {
        if (!normalization.isEmpty()) throw new BadInputException("its Unicode normalisation " + normalization + " has no GGUF key");
        PreTokenizer.GgufSplit split = preTokenizer.asGgufSplit(ignoreMerges);
        if (split == null) {
            throw new BadInputException("its pre-tokenizer" + (ignoreMerges ? " with ignore_merges" : "")
                    + " has no tokenizer.ggml.pre name (GPT-2's and Llama 3's splits have)");
        }
        // GGUF needs a string for every id; ids without a token get llama.cpp converter's placeholder (typed unused)
        String[] out = tokens.clone();
        for (int i = 0; i < out.length; i++) if (out[i] == null) out[i] = "[PAD" + i + "]";
        // the merge table keeps ids by pair; its ranks give back the rules' order
        List<long[]> entries = new ArrayList<>(merges.size());
        merges.forEach((pair, rankAndMerged) -> entries.add(new long[] {rankAndMerged >>> 32, pair}));
        entries.sort((a, b) -> Long.compare(a[0], b[0]));
        String[] rules = new String[entries.size()];
        for (int r = 0; r < rules.length; r++) {
            long pair = entries.get(r)[1];
            rules[r] = tokens[(int) (pair >>> 32)] + " " + tokens[(int) pair];
        }
        return new GgufVocabulary("gpt2", out, null, types.clone(), rules, bosId, eosId, split.names().getFirst(), chatTemplate,
                false, false);
    }

    @Override
    public int vocabSize() {
        return tokens.length;
    }

    @Override
    public int bosId() {
        return bosId;
    }

    @Override
    public int eosId() {
        return eosId;
    }

    @Override
    public String tokenText(int id) {
        checkId(id, "token");
        return tokens[id];
    }

    @Override
    public OptionalInt specialTokenId(String text) {
        Integer id = specials.get(text);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }
}
