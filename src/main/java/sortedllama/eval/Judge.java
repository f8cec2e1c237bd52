package sortedllama.eval;

/** A judge: reads a prompt in its {@link JudgeFormat} and says which response is better. */
public interface Judge {

    /** A verdict with what the judge wrote (or, for the likelihood judge, its probabilities). */
    record Judgement(Verdict verdict, String raw) {}

    Judgement judge(String prompt);

    /** The format of the prompts this judge reads. */
    JudgeFormat format();

    /** What judged, for reports: a model file and mode, or an endpoint and model name. */
    String describe();
}
