package sortedllama.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.PriorityQueue;

/**
 * SentencePiece's BPE encoding, as LLaMA 1/2 use it: the text is normalised (spaces become '▁',
 * a dummy '▁' prefix), split into characters, and adjacent symbols are merged while some merged
 * piece exists in the vocabulary, highest score first (leftmost on ties). A final symbol that is
 * not a piece becomes its UTF-8 bytes as {@code <0xXX>} tokens (byte fallback). Control tokens
 * such as {@code <s>} are never produced from text. Shared by every file that carries such a
 * vocabulary: tokenizer.model, llama2.c's tokenizer.bin and GGUF's "llama" vocabularies.
 */
public final class SentencePieceBpe implements Tokenizer {
    public static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;
    static final char SPACE = '\u2581';

    private final String[] pieces;
    private final float[] scores;
    private final int[] types;
    private final Map<String, Integer> mergeable = new HashMap<>();
    private final Map<String, Integer> special = new HashMap<>();
    private final int[] byteIds = new int[256];
    private final int unkId, bosId, eosId;
    private final boolean addDummyPrefix, removeExtraWhitespaces;
    private final String unkSurface;

    /**
     * @param types per-piece types (see the constants); unknown, control and byte pieces are only
     *              reachable through their ids
     */
    public SentencePieceBpe(String[] pieces, float[] scores, int[] types, int unkId, int bosId, int eosId,
                            boolean addDummyPrefix, boolean removeExtraWhitespaces, String unkSurface) {
        this.pieces = pieces;
        this.scores = scores;
        this.types = types;
        this.unkId = unkId;
        this.bosId = bosId;
        this.eosId = eosId;
        this.addDummyPrefix = addDummyPrefix;
        this.removeExtraWhitespaces = removeExtraWhitespaces;
        this.unkSurface = unkSurface;
        Arrays.fill(byteIds, -1);
        for (int i = 0; i < pieces.length; i++) {
            switch (types[i]) {
                case NORMAL, USER_DEFINED -> mergeable.putIfAbsent(pieces[i], i);
                case BYTE -> byteIds[Integer.parseInt(pieces[i].substring(3, 5), 16)] = i;
                case CONTROL, UNKNOWN -> special.putIfAbsent(pieces[i], i);
                default -> { } // unused pieces are never produced
            }
        }
    }

    @Override
    public int[] encode(String text) {
        String normalized = normalize(text);
        if (normalized.isEmpty()) return new int[0];
        // one symbol per code point; merges join neighbours, tracked as a linked list
        int n = normalized.codePointCount(0, normalized.length());
        String[] symbol = new String[n];
        int[] prev = new int[n], next = new int[n];
        for (int i = 0, off = 0; i < n; i++) {
            int cp = normalized.codePointAt(off);
            symbol[i] = new String(Character.toChars(cp));
            off += Character.charCount(cp);
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        record Pair(int left, int right, float score, String merged) {}
        PriorityQueue<Pair> agenda = new PriorityQueue<>((a, b) -> a.score != b.score ? Float.compare(b.score, a.score)
                : Integer.compare(a.left, b.left));
        java.util.function.BiConsumer<Integer, Integer> consider = (l, r) -> {
            if (l < 0 || r < 0) return;
            String merged = symbol[l] + symbol[r];
            Integer id = mergeable.get(merged);
            if (id != null) agenda.add(new Pair(l, r, scores[id], merged));
        };
        for (int i = 0; i + 1 < n; i++) consider.accept(i, i + 1);
        while (!agenda.isEmpty()) {
            Pair p = agenda.poll();
            // stale entry: one side was merged away or changed since this pair was queued
            if (symbol[p.left] == null || symbol[p.right] == null || next[p.left] != p.right
                    || !p.merged.equals(symbol[p.left] + symbol[p.right])) {
                continue;
            }
            symbol[p.left] = p.merged;
            symbol[p.right] = null;
            next[p.left] = next[p.right];
            if (next[p.right] >= 0) prev[next[p.right]] = p.left;
            consider.accept(prev[p.left], p.left);
            consider.accept(p.left, next[p.left]);
        }
        int[] ids = new int[normalized.length() * 4];
        int count = 0;
        for (int i = 0; i >= 0; i = next[i]) {
            Integer id = mergeable.get(symbol[i]);
            if (id != null) {
                ids[count++] = id;
            } else if (byteIds[0] >= 0) {
                for (byte b : symbol[i].getBytes(StandardCharsets.UTF_8)) ids[count++] = byteIds[b & 0xFF];
            } else {
                ids[count++] = unkId;
            }
        }
        return Arrays.copyOf(ids, count);
    }

    /** SentencePiece's normaliser for the "identity" rule set: whitespace handling only. */
    private String normalize(String text) {
        String t = text;
        if (removeExtraWhitespaces) t = t.strip().replaceAll(" +", " ");
        if (t.isEmpty()) return "";
        if (addDummyPrefix) t = " " + t;
        return t.replace(' ', SPACE);
    }

    @Override
    public byte[] decodeBytes(int id) {
        checkId(id);
        return switch (types[id]) {
            case CONTROL, UNUSED -> new byte[0];
            case BYTE -> new byte[] {(byte) Integer.parseInt(pieces[id].substring(3, 5), 16)};
            case UNKNOWN -> unkSurface.getBytes(StandardCharsets.UTF_8);
            default -> pieces[id].replace(SPACE, ' ').getBytes(StandardCharsets.UTF_8);
        };
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean first = true;
        for (int id : ids) {
            byte[] b = decodeBytes(id);
            if (types[id] == CONTROL || types[id] == UNUSED) continue;
            // the dummy prefix: the first piece's leading space is not part of the text
            if (first && addDummyPrefix && b.length > 0 && b[0] == ' ' && types[id] != BYTE) b = Arrays.copyOfRange(b, 1, b.length);
            first = false;
            out.writeBytes(b);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** True when decoding should drop the leading space of this token's text right after BOS. */
    boolean stripsLeadingSpaceAfterBos() {
        return addDummyPrefix;
    }

    @Override
    public int vocabSize() {
        return pieces.length;
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
        checkId(id);
        return pieces[id];
    }

    @Override
    public OptionalInt specialTokenId(String text) {
        Integer id = special.get(text);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    private void checkId(int id) {
        if (id < 0 || id >= pieces.length) {
            throw new sortedllama.BadInputException("token id " + id + " is outside the vocabulary 0.." + (pieces.length - 1));
        }
    }
}
