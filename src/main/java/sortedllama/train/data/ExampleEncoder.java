package sortedllama.train.data;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import sortedllama.tokenizer.Tokenizer;

/**
 * Turns text into {@link Example}s: {@code BOS + encode(prompt) + encode(response) + EOS}, the
 * prompt and the response tokenised <em>separately</em> and concatenated.
 *
 * <p>Why separately: at inference the prompt is encoded alone and the model continues from its last
 * token, so training on the same prompt ids teaches exactly that continuation, and the loss starts at
 * an exact token. Encoding prompt + response jointly may merge characters across the boundary (":"
 * and " Paris"), giving ids the model never sees at inference; Alpaca's train.py encodes jointly and
 * masks as many tokens as the prompt alone encodes to, which is off by one when such a merge happens.
 *
 * <p>The leading space: a response is written as it reads after its prompt (" Paris" after
 * "Answer:"). A SentencePiece tokenizer with a dummy prefix (LLaMA 2) starts every encoding with a
 * word boundary ("▁Paris") on its own, so one leading space is removed first, or it would be encoded
 * twice ("▁▁Paris"); for such a tokenizer a response without a leading space also starts a new word.
 * A byte-level BPE (Llama 3) encodes the text as given: " Paris" is "ĠParis", "Paris" stays glued to
 * the prompt.
 */
public final class ExampleEncoder {
    private final Tokenizer tokenizer;
    private final boolean dummyPrefix;

    public ExampleEncoder(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
        this.dummyPrefix = startsWithSpace(tokenizer, tokenizer.encode("a"));
    }

    /**
     * A prompt/response pair: the loss covers the response and EOS.
     *
     * @throws InvalidRecordException when either side encodes to nothing (the first response token
     *                                must be predicted from something, and something must be predicted)
     */
    public Example pair(String prompt, String response, List<String> answers) {
        int[] promptIds = prompt(prompt);
        String text = dummyPrefix && response.startsWith(" ") ? response.substring(1) : response;
        int[] responseIds = withEos(tokenizer.encode(text));
        if (promptIds.length == 0) throw new InvalidRecordException("the prompt is empty and the tokenizer has no BOS");
        if (responseIds.length == 0) throw new InvalidRecordException("the response is empty and the tokenizer has no EOS");
        return new Example(concat(promptIds, responseIds), promptIds.length, answers);
    }

    /**
     * A document for continued pre-training: the loss covers every token after BOS, EOS included.
     *
     * @throws InvalidRecordException when it comes to fewer than 2 tokens (nothing to predict)
     */
    public Example document(String text) {
        int[] ids = concat(bos(), withEos(tokenizer.encode(text)));
        if (ids.length < 2) throw new InvalidRecordException("the document is a single token and the tokenizer has no BOS or EOS");
        return new Example(ids, 1, List.of());
    }

    /** BOS and the encoded prompt: exactly what an example built from this prompt starts with. */
    public int[] prompt(String prompt) {
        return concat(bos(), tokenizer.encode(prompt));
    }

    /** The id that fills padding: EOS (any valid id would do, padding is masked), else 0. */
    int padId() {
        return Math.max(tokenizer.eosId(), 0);
    }

    private int[] bos() {
        return tokenizer.bosId() >= 0 ? new int[] {tokenizer.bosId()} : new int[0];
    }

    private int[] withEos(int[] ids) {
        return tokenizer.eosId() >= 0 ? concat(ids, new int[] {tokenizer.eosId()}) : ids;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static boolean startsWithSpace(Tokenizer tokenizer, int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int id : ids) bytes.writeBytes(tokenizer.decodeBytes(id));
        byte[] b = bytes.toByteArray();
        return b.length > 0 && b[0] == ' ';
    }
}
