package sortedllama.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.PriorityQueue;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte-level BPE as Hugging Face's tokenizers run it for GPT-2 and Llama 3: special (added)
 * tokens are cut out of the text first; the rest is split by the pre-tokenizer's regular
 * expression; each piece's UTF-8 bytes are mapped to printable characters (GPT-2's byte map) and
 * merged by rank, lowest first (leftmost on ties). With {@code ignoreMerges} (Llama 3) a piece
 * that is itself in the vocabulary is taken whole.
 */
public final class ByteLevelBpe implements Tokenizer {
    /** GPT-2's pre-tokenizer pattern (ByteLevel with use_regex). */
    public static final String GPT2_SPLIT = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    private final String[] tokens;
    private final Map<String, Integer> vocab = new HashMap<>();
    private final Map<Long, Integer> mergeRank = new HashMap<>();
    private final Map<String, Integer> specials = new LinkedHashMap<>();
    private final Pattern split, specialPattern;
    private final boolean ignoreMerges;
    private final int bosId, eosId;
    private final String chatTemplate;

    /**
     * @param tokens   the vocabulary in GPT-2's byte-mapped form, indexed by id (null for gaps)
     * @param merges   "a b" rules in priority order
     * @param specials added tokens matched literally in text, with their ids
     * @param splitRegex the pre-tokenizer's pattern
     */
    public ByteLevelBpe(String[] tokens, List<String> merges, Map<String, Integer> specials, String splitRegex,
                        boolean ignoreMerges, int bosId, int eosId, String chatTemplate) {
        this.tokens = tokens;
        for (int i = 0; i < tokens.length; i++) if (tokens[i] != null) vocab.putIfAbsent(tokens[i], i);
        for (int rank = 0; rank < merges.size(); rank++) {
            String m = merges.get(rank);
            int space = m.indexOf(' ', 1);
            if (space < 0) throw new sortedllama.BadInputException("malformed merge rule \"" + m + "\"");
            Integer a = vocab.get(m.substring(0, space)), b = vocab.get(m.substring(space + 1));
            if (a != null && b != null) mergeRank.putIfAbsent(key(a, b), rank);
        }
        this.specials.putAll(specials);
        this.split = Pattern.compile(splitRegex, Pattern.UNICODE_CHARACTER_CLASS);
        this.specialPattern = specials.isEmpty() ? null : Pattern.compile(specials.keySet().stream()
                .sorted((x, y) -> y.length() - x.length()).map(Pattern::quote).reduce((x, y) -> x + "|" + y).orElseThrow());
        this.ignoreMerges = ignoreMerges;
        this.bosId = bosId;
        this.eosId = eosId;
        this.chatTemplate = chatTemplate;
    }

    private static long key(int a, int b) {
        return ((long) a << 32) | (b & 0xFFFFFFFFL);
    }

    public Optional<String> chatTemplate() {
        return Optional.ofNullable(chatTemplate);
    }

    @Override
    public int[] encode(String text) {
        List<Integer> ids = new ArrayList<>();
        int start = 0;
        if (specialPattern != null) {
            Matcher m = specialPattern.matcher(text);
            while (m.find()) {
                encodeOrdinary(text.substring(start, m.start()), ids);
                ids.add(specials.get(m.group()));
                start = m.end();
            }
        }
        encodeOrdinary(text.substring(start), ids);
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    private void encodeOrdinary(String text, List<Integer> ids) {
        Matcher m = split.matcher(text);
        while (m.find()) {
            String piece = ByteMap.encode(m.group().getBytes(StandardCharsets.UTF_8));
            Integer whole = vocab.get(piece);
            if (ignoreMerges && whole != null) {
                ids.add(whole);
            } else {
                mergeByRank(piece, ids);
            }
        }
    }

    /** Merges one pre-token's byte symbols by rank and appends the resulting ids. */
    private void mergeByRank(String piece, List<Integer> out) {
        int n = piece.length();
        int[] id = new int[n], next = new int[n], prev = new int[n];
        for (int i = 0; i < n; i++) {
            Integer single = vocab.get(piece.substring(i, i + 1));
            if (single == null) throw new sortedllama.BadInputException("byte-level vocabulary lacks the byte symbol '" + piece.charAt(i) + "'");
            id[i] = single;
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        record Pair(int rank, int left, int leftId, int rightId) {}
        PriorityQueue<Pair> agenda = new PriorityQueue<>((a, b) -> a.rank != b.rank ? Integer.compare(a.rank, b.rank)
                : Integer.compare(a.left, b.left));
        for (int i = 0; i + 1 < n; i++) {
            Integer r = mergeRank.get(key(id[i], id[i + 1]));
            if (r != null) agenda.add(new Pair(r, i, id[i], id[i + 1]));
        }
        boolean[] gone = new boolean[n];
        while (!agenda.isEmpty()) {
            Pair p = agenda.poll();
            int l = p.left, r = next[l];
            if (gone[l] || r < 0 || id[l] != p.leftId || id[r] != p.rightId) continue; // stale
            Integer merged = vocab.get(tokens[id[l]] + tokens[id[r]]);
            if (merged == null) continue;
            id[l] = merged;
            gone[r] = true;
            next[l] = next[r];
            if (next[r] >= 0) prev[next[r]] = l;
            if (prev[l] >= 0) {
                Integer rank = mergeRank.get(key(id[prev[l]], id[l]));
                if (rank != null) agenda.add(new Pair(rank, prev[l], id[prev[l]], id[l]));
            }
            if (next[l] >= 0) {
                Integer rank = mergeRank.get(key(id[l], id[next[l]]));
                if (rank != null) agenda.add(new Pair(rank, l, id[l], id[next[l]]));
            }
        }
        for (int i = 0; i >= 0; i = next[i]) out.add(id[i]);
    }

    @Override
    public byte[] decodeBytes(int id) {
        if (id < 0 || id >= tokens.length || tokens[id] == null) {
            throw new sortedllama.BadInputException("token id " + id + " is outside the vocabulary");
        }
        if (specials.containsValue(id)) return tokens[id].getBytes(StandardCharsets.UTF_8);
        return ByteMap.decode(tokens[id]);
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int id : ids) out.writeBytes(decodeBytes(id));
        return out.toString(StandardCharsets.UTF_8);
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
        return tokens[id];
    }

    @Override
    public OptionalInt specialTokenId(String text) {
        Integer id = specials.get(text);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** GPT-2's reversible map between bytes and printable characters. */
    static final class ByteMap {
        private static final char[] TO_CHAR = new char[256];
        private static final int[] TO_BYTE = new int[512];

        static {
            java.util.Arrays.fill(TO_BYTE, -1);
            int n = 0;
            for (int b = 0; b < 256; b++) {
                boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
                TO_CHAR[b] = printable ? (char) b : (char) (256 + n++);
                TO_BYTE[TO_CHAR[b]] = b;
            }
        }

        static String encode(byte[] bytes) {
            StringBuilder sb = new StringBuilder(bytes.length);
            for (byte b : bytes) sb.append(TO_CHAR[b & 0xFF]);
            return sb.toString();
        }

        static byte[] decode(String symbols) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(symbols.length());
            for (int i = 0; i < symbols.length(); i++) {
                char c = symbols.charAt(i);
                int b = c < TO_BYTE.length ? TO_BYTE[c] : -1;
                if (b >= 0) out.write(b);
                else out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
            return out.toByteArray();
        }
    }
}
