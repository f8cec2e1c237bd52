package sortedllama.eval;

/**
 * The question put to a judge, in the manner of PandaLM: the instruction (and its input), two
 * responses in a given order, and a request for "1", "2" or "Tie" on the first line with a short
 * reason after it. The wording is this project's own. The prompt ends at "### Verdict:" so that a
 * plain language model continues with the verdict, and the likelihood judge reads its
 * probabilities of the three answers right there.
 */
public final class JudgePrompt {
    private JudgePrompt() {}

    /** The three answers a judge may give, as they follow the prompt (after a space, like Alpaca's responses). */
    public static final String[] CHOICES = {" 1", " 2", " Tie"};

    public static String of(String instruction, String input, String response1, String response2) {
        StringBuilder p = new StringBuilder();
        p.append("Two assistants answered the same instruction. Judge which response fulfils it better: ")
                .append("consider whether it is correct, relevant, helpful and clearly written, not how long it is. ")
                .append("Write \"1\" if Response 1 is better, \"2\" if Response 2 is better, or \"Tie\" if neither is better, ")
                .append("alone on the first line, then one sentence saying why.\n\n");
        p.append("### Instruction:\n").append(instruction).append("\n\n");
        if (!input.isEmpty()) p.append("### Input:\n").append(input).append("\n\n");
        p.append("### Response 1:\n").append(response1).append("\n\n");
        p.append("### Response 2:\n").append(response2).append("\n\n");
        p.append("### Verdict:");
        return p.toString();
    }
}
