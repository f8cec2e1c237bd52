package sortedllama.eval;

/** A judge: reads a {@link JudgePrompt} and says which response is better. */
public interface Judge {

    /** A verdict with what the judge wrote (or, for the likelihood judge, its probabilities). */
    record Judgement(Verdict verdict, String raw) {}

    Judgement judge(String prompt);

    /** What judged, for reports: a model file and mode, or an endpoint and model name. */
    String describe();
}
