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
 */
public final class TokenTrie {
    private final byte[][] tokenBytes; // null: never allowed as text
    // node 0 is the root; each node's children form a list (firstChild, nextSibling), labelled by a byte
    private int[] firstChild = new int[1024], nextSibling = new int[1024], firstToken = new int[1024];
    private byte[] label = new byte[1024];
    private final int[] nextToken; // tokens ending at the same node (e.g. "▁" and <0x20> are both a space)
    private int nodes = 1;

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
        walk(0, state, allowed);
    }

    private void walk(int node, JsonState state, boolean[] allowed) {
        for (int c = firstChild[node]; c >= 0; c = nextSibling[c]) {
            JsonState next = state.step(label[c] & 0xFF);
            if (next == null) continue;
            for (int t = firstToken[c]; t >= 0; t = nextToken[t]) allowed[t] = true;
            if (firstChild[c] >= 0) walk(c, next, allowed);
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
