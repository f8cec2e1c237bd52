package sortedllama.eval;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import sortedllama.model.KVCache;
import sortedllama.model.LlamaModel;
import sortedllama.tokenizer.Tokenizer;
import sortedllama.train.data.Example;
import sortedllama.train.data.ExampleEncoder;

/**
 * A judge this engine runs: any model it loads, at any exit, deterministic either way.
 * <ul>
 *   <li>{@link Mode#LIKELIHOOD} (the default): the verdict is whichever of the format's three
 *       verdicts ({@link JudgeFormat#choices()}) the judge finds most probable right after the prompt (the whole continuation's probability, for
 *       answers of several tokens). It always gives a verdict, and it measures the judge's preference
 *       even when a small model would not write it out in the expected form.</li>
 *   <li>{@link Mode#GENERATE}: the judge writes greedily and {@link Verdict#parse} reads the verdict,
 *       as a remote judge is read (what PandaLM does).</li>
 * </ul>
 * Prompts are encoded as fine-tuning encodes them ({@link ExampleEncoder}), so a judge fine-tuned on
 * such prompts reads them as it learnt them. A prompt too long for the judge's context is an
 * {@link Verdict#INVALID} verdict saying so, not an error.
 */
public final class LocalJudge implements Judge {
    public enum Mode { LIKELIHOOD, GENERATE }

    private final LlamaModel model;
    private final Tokenizer tokenizer;
    private final ExampleEncoder encoder;
    private final int exit;
    private final Mode mode;
    private final int maxTokens;
    private final String name;
    private final JudgeFormat format;

    /**
     * @param exit      the judge's exit layer (its depth, usually the full model)
     * @param maxTokens the longest verdict and reason in generate mode
     * @param name      how to name the judge in reports (its file)
     * @param format    the prompts it reads
     */
    public LocalJudge(LlamaModel model, Tokenizer tokenizer, int exit, Mode mode, int maxTokens, String name, JudgeFormat format) {
        model.config().checkExitLayer(exit);
        this.model = model;
        this.tokenizer = tokenizer;
        this.encoder = new ExampleEncoder(tokenizer);
        this.exit = exit;
        this.mode = mode;
        this.maxTokens = maxTokens;
        this.name = name;
        this.format = format;
    }

    @Override
    public JudgeFormat format() {
        return format;
    }

    @Override
    public String describe() {
        return name + " (exit " + exit + ", " + mode.name().toLowerCase(Locale.ROOT) + ")";
    }

    @Override
    public Judgement judge(String prompt) {
        return mode == Mode.LIKELIHOOD ? byLikelihood(prompt) : byGeneration(prompt);
    }

    private Judgement byGeneration(String prompt) {
        int[] ids = encoder.prompt(prompt);
        if (model.config().generationRoom(ids.length) == 0) return tooLong(ids.length);
        String text = GreedyAnswer.text(model, tokenizer, ids, exit, maxTokens);
        return new Judgement(Verdict.parse(text), text);
    }

    private Judgement byLikelihood(String prompt) {
        int[] ids = null;
        List<String> verdicts = format.choices();
        int[][] choices = new int[verdicts.size()][];
        for (int c = 0; c < choices.length; c++) {
            // the prompt and each answer as one fine-tuning example would hold them; EOS is not part of the answer
            Example e = encoder.pair(prompt, verdicts.get(c), List.of());
            ids = e.prompt();
            int[] answer = e.response();
            choices[c] = tokenizer.eosId() >= 0 ? Arrays.copyOf(answer, answer.length - 1) : answer;
        }
        int longest = Arrays.stream(choices).mapToInt(c -> c.length).max().orElseThrow();
        if (model.config().generationRoom(ids.length) < longest - 1) return tooLong(ids.length);

        int vocab = model.config().vocabSize();
        KVCache cache = model.newCache(ids.length + longest - 1);
        float[] first = ExitScorer.logProbs(model.forward(cache, ids, exit, false), 1, vocab);
        double[] logP = new double[choices.length];
        for (int c = 0; c < choices.length; c++) {
            int[] answer = choices[c];
            logP[c] = first[answer[0]];
            if (answer.length > 1) {
                // the rest of a multi-token answer, fed after the prompt and forgotten again
                int n = answer.length - 1;
                float[] rest = ExitScorer.logProbs(model.forward(cache, Arrays.copyOf(answer, n), exit, true), n, vocab);
                for (int t = 0; t < n; t++) logP[c] += rest[t * vocab + answer[t + 1]];
                cache.truncate(ids.length);
            }
        }
        return new Judgement(mostLikely(logP), probabilities(logP));
    }

    /** The most probable answer; an exact draw between the best two is a tie. */
    static Verdict mostLikely(double[] logP) {
        int best = 0;
        for (int c = 1; c < logP.length; c++) if (logP[c] > logP[best]) best = c;
        for (int c = 0; c < logP.length; c++) if (c != best && logP[c] == logP[best]) return Verdict.TIE;
        return new Verdict[] {Verdict.FIRST, Verdict.SECOND, Verdict.TIE}[best];
    }

    /** "p(1)=0.412 p(2)=0.301 p(Tie)=0.287": the three answers' probabilities renormalised among themselves. */
    private String probabilities(double[] logP) {
        double max = Arrays.stream(logP).max().orElseThrow(), sum = 0;
        for (double l : logP) sum += Math.exp(l - max);
        StringBuilder s = new StringBuilder();
        for (int c = 0; c < logP.length; c++) {
            if (c > 0) s.append(' ');
            s.append(String.format(Locale.ROOT, "p(%s)=%.3f", format.choices().get(c).strip(), Math.exp(logP[c] - max) / sum));
        }
        return s.toString();
    }

    private Judgement tooLong(int tokens) {
        return new Judgement(Verdict.INVALID, "the judge prompt has " + tokens + " tokens, too many for the judge's context of "
                + model.config().contextLength());
    }
}
