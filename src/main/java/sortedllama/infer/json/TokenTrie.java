package sortedllama.infer.json;

import java.util.Arrays;
import java.util.Collection;
import sortedllama.tokenizer.Tokenizer;

/**
 * Every token's bytes (as the tokenizer decodes it: SentencePiece's ▁ a space, a byte token its
 * byte) in a trie, built once per tokenizer. Walking it from a grammar state steps each shared
 * prefix once for all the tokens that start with it, and drops a whole subtree at the first byte
 * the grammar refuses: outside strings, where few bytes may come, most of the vocabulary is ruled
 * out at its first byte.
 *
 * <p>Tokens without text (control tokens) and special tokens are left out: they are never
 * allowed as text (a special token's text, such as &lt;|eot_id|&gt;, is not what it means). The
 * tokens that end the output are the constraint's to allow.
 *
 * <p>Inside a string almost every token is allowed, and walking the whole trie there cost about
 * a millisecond a token at 32,000 tokens: so each subtree whose tokens all stay inside a string
 * (no quote, backslash or control byte, UTF-8 in order) is marked once, and there its tokens are
 * allowed in one run over a list, without stepping.
 */
public final class TokenTrie {
    private final byte[][] tokenBytes; // null: never allowed as text
    // node 0 is the root; each node's children form a list (firstChild, nextSibling), labelled by a byte
    private int[] firstChild = new int[1024], nextSibling = new int[1024], firstToken = new int[1024];
    private byte[] label = new byte[1024];
    private final int[] nextToken; // tokens ending at the same node (e.g. "▁" and <0x20> are both a space)
    private int nodes = 1;
    // the tokens in depth-first order: those of node n's subtree are tokenOrder[subtreeFrom[n] .. subtreeTo[n])
    private int[] tokenOrder, subtreeFrom, subtreeTo;
    /** Whether every token of the node's subtree, read from inside a string, stays inside it. */
    private boolean[] staysInString;

    private TokenTrie(Tokenizer tokenizer, Collection<Integer> excluded) {
        int vocab = tokenizer.vocabSize();
        tokenBytes = new byte[vocab][];
        nextToken = new int[vocab];
        Arrays.fill(firstChild, -1);
        Arrays.fill(firstToken, -1);
        for (int id = 0; id < vocab; id++) {
            byte[] bytes = tokenizer.decodeBytes(id);
            if (bytes.length == 0 || excluded.contains(id)) continue;
            tokenBytes[id] = bytes;
            int node = 0;
            for (byte b : bytes) node = child(node, b);
            nextToken[id] = firstToken[node];
            firstToken[node] = id;
        }
        tokenOrder = new int[vocab];
        subtreeFrom = new int[nodes];
        subtreeTo = new int[nodes];
        staysInString = new boolean[nodes];
        index(0, StringGrammar.body(LEFT_STRING), 0);
    }

    /** Where a string's closing quote leads, while the trie is indexed: nothing may follow. */
    private static final JsonState LEFT_STRING = JsonState.on(b -> null);

    /**
     * Lists the tokens of node's subtree from {@code at} on and marks whether they stay inside a
     * string; {@code state} is where node's bytes lead from inside a string (null: somewhere
     * else). Returns where the list goes on.
     */
    private int index(int node, JsonState state, int at) {
        subtreeFrom[node] = at;
        for (int t = firstToken[node]; t >= 0; t = nextToken[t]) tokenOrder[at++] = t;
        boolean inside = state != null && state != LEFT_STRING, all = inside;
        for (int c = firstChild[node]; c >= 0; c = nextSibling[c]) {
            at = index(c, inside ? state.step(label[c] & 0xFF) : null, at);
            all &= staysInString[c];
        }
        subtreeTo[node] = at;
        staysInString[node] = all;
        return at;
    }

    /** The trie of a tokenizer's vocabulary, without its special tokens. */
    public static TokenTrie of(Tokenizer tokenizer) {
        return new TokenTrie(tokenizer, tokenizer.specialTokens().values());
    }

    public int vocabSize() {
        return tokenBytes.length;
    }

    /** The token's bytes, or null when it is never allowed as text. */
    byte[] bytes(int token) {
        return tokenBytes[token];
    }

    /** Marks in {@code allowed} every token whose bytes continue the output from {@code state}. */
    void allow(JsonState state, boolean[] allowed) {
        walk(0, state, state.inStringBody(), allowed);
    }

    /** @param inString the walk started inside a string: subtrees that stay in it are allowed whole */
    private void walk(int node, JsonState state, boolean inString, boolean[] allowed) {
        for (int c = firstChild[node]; c >= 0; c = nextSibling[c]) {
            if (inString && staysInString[c]) {
                for (int i = subtreeFrom[c]; i < subtreeTo[c]; i++) allowed[tokenOrder[i]] = true;
                continue;
            }
            JsonState next = state.step(label[c] & 0xFF);
            if (next == null) continue;
            for (int t = firstToken[c]; t >= 0; t = nextToken[t]) allowed[t] = true;
            if (firstChild[c] >= 0) walk(c, next, inString, allowed);
        }
    }

    private int child(int node, byte b) {
        for (int c = firstChild[node]; c >= 0; c = nextSibling[c]) if (label[c] == b) return c;
        if (nodes == label.length) grow();
        int c = nodes++;
        label[c] = b;
        firstChild[c] = -1;
        firstToken[c] = -1;
        nextSibling[c] = firstChild[node];
        firstChild[node] = c;
        return c;
    }

    private void grow() {
        int n = label.length * 2;
        firstChild = Arrays.copyOf(firstChild, n);
        nextSibling = Arrays.copyOf(nextSibling, n);
        firstToken = Arrays.copyOf(firstToken, n);
        label = Arrays.copyOf(label, n);
    }
}
