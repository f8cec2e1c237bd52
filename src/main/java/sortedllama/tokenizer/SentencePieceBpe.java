package sortedllama.tokenizer;

import static sortedllama.tokenizer.PieceTypes.BYTE;
import static sortedllama.tokenizer.PieceTypes.CONTROL;
import static sortedllama.tokenizer.PieceTypes.NORMAL;
import static sortedllama.tokenizer.PieceTypes.UNKNOWN;
import static sortedllama.tokenizer.PieceTypes.UNUSED;
import static sortedllama.tokenizer.PieceTypes.USER_DEFINED;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.PriorityQueue;
import java.util.regex.Pattern;
import sortedllama.BadInputException;

/**
 * SentencePiece's score-based BPE, as LLaMA 1/2 use it, and the one implementation behind every
 * file that carries such a vocabulary: tokenizer.model, llama2.c's tokenizer.bin and GGUF's
 * "llama" vocabularies.
 *
 * <p>Encoding (sentencepiece's bpe_model.cc): the normalised text is cut into characters, except
 * that user-defined pieces are taken whole and never merged further. Then, repeatedly, the
 * adjacent pair whose concatenation is a piece with the highest score is merged (leftmost on
 * ties). Unused pieces take part in merging but are split back into their two halves at the end.
 * A symbol that is no piece becomes its UTF-8 bytes as {@code <0xXX>} pieces (byte fallback) or
 * the unknown piece. Control pieces such as {@code <s>} are never produced from plain text; with
 * special tokens parsed ({@link Tokenizer}'s rule) the texts of control and unknown pieces are.
 */
public final class SentencePieceBpe implements Tokenizer {
    /** What the unknown piece decodes as unless a tokenizer.model says otherwise (sentencepiece's); GGUF has no key for it. */
    static final String DEFAULT_UNK_SURFACE = " \u2047 ";

    private final String[] pieces;
    private final float[] scores;
    private final int[] types;
    /** Pieces merging may produce (sentencepiece's pieces_: normal, user-defined and unused). */
    private final Map<String, Integer> mergeable = new HashMap<>();
    /** Pieces only reachable by id (control, unknown, byte); sentencepiece's reserved_id_map_. */
    private final Map<String, Integer> reserved = new HashMap<>();
    /** User-defined pieces by their first character, longest first. */
    private final Map<Character, List<String>> userDefined = new HashMap<>();
    private final int[] byteIds = new int[256];
    private final int unkId, bosId, eosId;
    private final boolean byteFallback;
    private final SentencePieceNormalizer normalizer;
    private final String unkSurface;
    /** Control and unknown pieces by text: the special tokens text may name when they are parsed. */
    private final Map<String, Integer> specials = new LinkedHashMap<>();
    private final Pattern specialPattern;

    /**
     * @param types        per-piece types ({@link PieceTypes}); one piece at least must be of type unknown
     * @param byteFallback whether characters without a piece become byte pieces (else the unknown piece)
     * @param unkSurface   what decoding prints for the unknown piece (SentencePiece: " ⁇ ")
     */
    public SentencePieceBpe(String[] pieces, float[] scores, int[] types, int bosId, int eosId, boolean byteFallback,
                            SentencePieceNormalizer normalizer, String unkSurface) {
        if (scores.length != pieces.length || types.length != pieces.length) {
            throw new BadInputException("vocabulary has " + pieces.length + " pieces but " + scores.length + " scores and "
                    + types.length + " types");
        }
        this.pieces = pieces;
        this.scores = scores;
        this.types = types;
        this.byteFallback = byteFallback;
        this.normalizer = normalizer;
        this.unkSurface = unkSurface;
        Arrays.fill(byteIds, -1);
        int unk = -1;
        for (int i = 0; i < pieces.length; i++) {
            String p = pieces[i];
            if (p == null || p.isEmpty()) throw new BadInputException("piece " + i + " is empty");
            switch (types[i]) {
                case NORMAL, USER_DEFINED, UNUSED -> mergeable.putIfAbsent(p, i);
                case CONTROL, UNKNOWN -> reserved.putIfAbsent(p, i);
                case BYTE -> {
                    if (!PieceTypes.isBytePiece(p)) throw new BadInputException("byte piece " + i + " is \"" + p + "\", not <0xXX>");
                    reserved.putIfAbsent(p, i);
                    if (byteIds[PieceTypes.byteOf(p)] < 0) byteIds[PieceTypes.byteOf(p)] = i;
                }
                default -> throw new BadInputException("piece " + i + " (\"" + p + "\") has unknown type " + types[i]);
            }
            if (types[i] == UNKNOWN && unk < 0) unk = i;
            if (types[i] == USER_DEFINED) userDefined.computeIfAbsent(p.charAt(0), c -> new ArrayList<>()).add(p);
        }
        if (unk < 0) throw new BadInputException("vocabulary has no unknown piece (such as <unk>)");
        for (int i = 0; i < pieces.length; i++) if (types[i] == CONTROL || types[i] == UNKNOWN) specials.putIfAbsent(pieces[i], i);
        this.specialPattern = SpecialTokens.pattern(specials.keySet());
        userDefined.values().forEach(list -> list.sort((a, b) -> b.length() - a.length()));
        this.unkId = unk;
        this.bosId = checkSpecial(bosId, "BOS");
        this.eosId = checkSpecial(eosId, "EOS");
    }

    private int checkSpecial(int id, String what) {
        if (id < -1 || id >= pieces.length) {
            throw new BadInputException(what + " id " + id + " is outside the vocabulary of " + pieces.length + " pieces");
        }
        return id;
    }

    @Override
    public int[] encode(String text) {
        String normalized = normalizer.normalize(text);
        if (normalized.isEmpty()) return new int[0];
        Symbols symbols = split(normalized);
        Map<String, String[]> unusedHalves = mergeByScore(symbols);
        IntList ids = new IntList(normalized.length());
        for (int i = 0; i >= 0; i = symbols.next[i]) emit(symbols.text(i), unusedHalves, ids);
        return ids.toArray();
    }

    @Override
    public int[] encode(String text, boolean parseSpecial) {
        if (!parseSpecial) return encode(text);
        IntList ids = new IntList();
        SpecialTokens.encode(text, specialPattern, specials, this::encode, ids);
        return ids.toArray();
    }

    @Override
    public Map<String, Integer> specialTokens() {
        return Collections.unmodifiableMap(specials);
    }

    /** The normalised text as a linked list of symbols: characters, or user-defined pieces (frozen). */
    private Symbols split(String normalized) {
        Symbols s = new Symbols(normalized);
        int pos = 0;
        while (pos < normalized.length()) {
            String user = longestUserDefinedAt(normalized, pos);
            int end = user != null ? pos + user.length() : normalized.offsetByCodePoints(pos, 1);
            s.add(pos, end, user != null);
            pos = end;
        }
        return s;
    }

    private String longestUserDefinedAt(String text, int pos) {
        List<String> candidates = userDefined.get(text.charAt(pos));
        if (candidates == null) return null;
        for (String c : candidates) if (text.startsWith(c, pos)) return c;
        return null;
    }

    /** A queued merge of symbol {@code left} with its right neighbour into a piece of {@code length} chars. */
    private record Pair(int left, int right, float score, int length) {}

    /**
     * Merges adjacent symbols, best score first, until no adjacent pair forms a piece. Returns how
     * unused pieces that were formed split back (sentencepiece's rev_merge: the last pair queued
     * for a piece wins).
     */
    private Map<String, String[]> mergeByScore(Symbols s) {
        PriorityQueue<Pair> agenda = new PriorityQueue<>((a, b) -> a.score != b.score ? Float.compare(b.score, a.score)
                : Integer.compare(a.left, b.left));
        Map<String, String[]> unusedHalves = new HashMap<>();
        for (int i = 0; i + 1 < s.count; i++) queuePair(s, i, i + 1, agenda, unusedHalves);
        while (!agenda.isEmpty()) {
            Pair p = agenda.poll();
            // stale: a side was merged into something else since this pair was queued
            if (s.removed[p.left] || s.removed[p.right] || s.next[p.left] != p.right
                    || s.end[p.right] - s.start[p.left] != p.length) {
                continue;
            }
            s.mergeWithNext(p.left);
            if (s.prev[p.left] >= 0) queuePair(s, s.prev[p.left], p.left, agenda, unusedHalves);
            if (s.next[p.left] >= 0) queuePair(s, p.left, s.next[p.left], agenda, unusedHalves);
        }
        return unusedHalves;
    }

    private void queuePair(Symbols s, int left, int right, PriorityQueue<Pair> agenda, Map<String, String[]> unusedHalves) {
        if (s.frozen[left] || s.frozen[right]) return;
        String merged = s.normalized.substring(s.start[left], s.end[right]);
        Integer id = mergeable.get(merged);
        if (id == null) return;
        agenda.add(new Pair(left, right, scores[id], merged.length()));
        if (types[id] == UNUSED) unusedHalves.put(merged, new String[] {s.text(left), s.text(right)});
    }

    /** Appends the ids of one final symbol: its piece, its unused piece's halves, or its bytes. */
    private void emit(String symbol, Map<String, String[]> unusedHalves, IntList out) {
        int id = pieceToId(symbol);
        if (types[id] == UNUSED && unusedHalves.containsKey(symbol)) {
            String[] halves = unusedHalves.get(symbol);
            emit(halves[0], unusedHalves, out);
            emit(halves[1], unusedHalves, out);
        } else if (id == unkId && byteFallback) {
            for (byte b : symbol.getBytes(StandardCharsets.UTF_8)) out.add(byteIds[b & 0xFF] >= 0 ? byteIds[b & 0xFF] : unkId);
        } else {
            out.add(id);
        }
    }

    /** As sentencepiece's PieceToId: reserved pieces first, then the others, else unknown. */
    private int pieceToId(String piece) {
        Integer id = reserved.get(piece);
        if (id == null) id = mergeable.get(piece);
        return id == null ? unkId : id;
    }

    @Override
    public byte[] decodeBytes(int id) {
        checkId(id);
        return switch (types[id]) {
            case CONTROL -> new byte[0];
            case BYTE -> new byte[] {(byte) PieceTypes.byteOf(pieces[id])};
            case UNKNOWN -> unkSurface.getBytes(StandardCharsets.UTF_8);
            default -> pieceText(id).getBytes(StandardCharsets.UTF_8);
        };
    }

    /**
     * As sentencepiece decodes: control pieces vanish, the unknown piece prints its surface, runs
     * of byte pieces become UTF-8 text (each bad byte a U+FFFD), and at the start of the text the
     * spaces that encoding added are dropped ({@link SentencePieceNormalizer#stripAtStart}).
     */
    @Override
    public String decode(int[] ids) {
        StringBuilder out = new StringBuilder();
        ByteArrayOutputStream byteRun = new ByteArrayOutputStream();
        boolean atStart = true;
        for (int id : ids) {
            checkId(id);
            if (types[id] == BYTE) {
                byteRun.write(PieceTypes.byteOf(pieces[id]));
                atStart = false;
                continue;
            }
            flushBytes(byteRun, out);
            switch (types[id]) {
                case CONTROL -> { }
                case UNKNOWN -> {
                    out.append(unkSurface);
                    atStart = false;
                }
                default -> {
                    if (atStart) {
                        var start = normalizer.stripAtStart(pieceText(id));
                        out.append(start.text());
                        atStart = start.stillAtStart();
                    } else {
                        out.append(pieceText(id));
                    }
                }
            }
        }
        flushBytes(byteRun, out);
        return out.toString();
    }

    private static void flushBytes(ByteArrayOutputStream byteRun, StringBuilder out) {
        if (byteRun.size() == 0) return;
        byte[] bytes = byteRun.toByteArray();
        Utf8.decodeReplacingEachBadByte(bytes, 0, bytes.length, out);
        byteRun.reset();
    }

    private String pieceText(int id) {
        return pieces[id].replace(SentencePieceNormalizer.SPACE_SYMBOL, ' ');
    }

    /**
     * True when a streaming decoder should drop this piece's leading space because it follows BOS
     * (llama2.c's rule: the dummy prefix; a byte piece such as {@code <0x20>} is a real space).
     */
    boolean stripsLeadingSpaceAfterBos(int id) {
        checkId(id);
        return normalizer.stripsFirstSpaceWhenDecoding() && types[id] != BYTE;
    }

    /**
     * This vocabulary as GGUF embeds it ("llama"). GGUF's keys say whether a space is put before the
     * text and whether runs of spaces collapse; what they cannot say (spaces kept unescaped, another
     * surface for the unknown piece, byte fallback without byte pieces) is refused rather than
     * written to encode or decode differently.
     */
    GgufVocabulary toGgufVocabulary() {
        if (!normalizer.escapeWhitespaces()) throw new BadInputException("it keeps spaces unescaped, which GGUF cannot record");
        if (!unkSurface.equals(DEFAULT_UNK_SURFACE)) {
            throw new BadInputException("its unknown piece decodes as \"" + unkSurface + "\", which GGUF cannot record");
        }
        // a GGUF reader turns byte fallback on exactly when there are byte pieces
        boolean hasBytePieces = Arrays.stream(types).anyMatch(t -> t == BYTE);
        if (byteFallback != hasBytePieces) {
            throw new BadInputException("byte fallback is " + (byteFallback ? "on" : "off") + " with" + (hasBytePieces ? "" : "out")
                    + " byte pieces, which GGUF cannot record");
        }
        return new GgufVocabulary("llama", pieces.clone(), scores.clone(), types.clone(), null, bosId, eosId, null, null,
                normalizer.addDummyPrefix(), normalizer.removeExtraWhitespaces());
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
        Integer id = reserved.get(text);
        return id == null || types[id] == BYTE ? OptionalInt.empty() : OptionalInt.of(id);
    }

    private void checkId(int id) {
        if (id < 0 || id >= pieces.length) {
            throw new BadInputException("token id " + id + " is outside the vocabulary 0.." + (pieces.length - 1));
        }
    }

    /** Symbols over the normalised text as index ranges, linked so that merging is O(1). */
    private static final class Symbols {
        final String normalized;
        final int[] start, end, prev, next;
        final boolean[] frozen, removed;
        int count;

        Symbols(String normalized) {
            this.normalized = normalized;
            int n = normalized.length();
            start = new int[n];
            end = new int[n];
            prev = new int[n];
            next = new int[n];
            frozen = new boolean[n];
            removed = new boolean[n];
        }

        void add(int from, int to, boolean isFrozen) {
            int i = count++;
            start[i] = from;
            end[i] = to;
            frozen[i] = isFrozen;
            prev[i] = i - 1;
            next[i] = -1;
            if (i > 0) next[i - 1] = i;
        }

        String text(int i) {
            return normalized.substring(start[i], end[i]);
        }

        void mergeWithNext(int i) {
            int r = next[i];
            end[i] = end[r];
            removed[r] = true;
            next[i] = next[r];
            if (next[r] >= 0) prev[next[r]] = i;
        }
    }
}
