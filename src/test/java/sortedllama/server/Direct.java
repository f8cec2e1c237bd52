package sortedllama.server;

import sortedllama.infer.Generator;
import sortedllama.tokenizer.StreamingDecoder;
import sortedllama.tokenizer.Tokenizer;

/** What calling the generators directly gives, as text: the reference the server must match. */
final class Direct {
    private Direct() {}

    /** The text of generated tokens as a client should see it: EOS dropped, bytes decoded as UTF-8. */
    static String text(Tokenizer tokenizer, int[] prompt, Generator.Result result) {
        var decoder = new StreamingDecoder(tokenizer, prompt[prompt.length - 1]);
        StringBuilder text = new StringBuilder();
        for (int t : result.tokens()) if (t != tokenizer.eosId()) text.append(decoder.feed(t));
        return text.append(decoder.flush()).toString();
    }

    static int[] withBos(Tokenizer tokenizer, String text) {
        int[] ids = tokenizer.encode(text);
        int[] out = new int[ids.length + 1];
        out[0] = tokenizer.bosId();
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }
}
