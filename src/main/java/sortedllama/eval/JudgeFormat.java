package sortedllama.eval;

import java.util.List;

/**
 * How the question is put to a judge: the instruction (and its input), two responses in a given
 * order, and a verdict of "1", "2" or "Tie" asked for on the first line. Each format also says how
 * its verdicts follow the prompt, which the likelihood judge scores ({@link #choices()}).
 */
public enum JudgeFormat {
    /**
     * This project's own wording, for judges with no format of their own: a request for the
     * verdict alone on the first line with one sentence of reason, ending at "### Verdict:" so that
     * a plain language model continues with the verdict (after a space, as Alpaca's responses do).
     */
    PLAIN(List.of(" 1", " 2", " Tie")) {
        @Override
        public String prompt(String instruction, String input, String response1, String response2) {
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
    },

    /**
     * The template PandaLM-7B was trained on (WeOpenML/PandaLM, pandalm/utils/pandalm_inference.py):
     * a fixed header (one for instructions with an input, one without), the instruction, the input
     * when there is one, both responses stripped, and "### Evaluation:" with a line break, after
     * which PandaLM writes "1", "2" or "Tie" alone on a line, then "### Reason:" and "### Reference:".
     * The header sentences are the judge's own fixed strings: a fine-tuned judge reads its verdict
     * off them, so they are kept as PandaLM has them.
     */
    PANDALM(List.of("1", "2", "Tie")) {
        @Override
        public String prompt(String instruction, String input, String response1, String response2) {
            String header = input.isEmpty()
                    ? "Below are two responses for a given task. The task is defined by the Instruction. "
                    : "Below are two responses for a given task. The task is defined by the Instruction with an Input that provides further context. ";
            StringBuilder p = new StringBuilder(header).append("Evaluate the responses and generate a reference answer for the task.\n\n");
            p.append("### Instruction:\n").append(instruction).append("\n\n");
            if (!input.isEmpty()) p.append("### Input:\n").append(input).append("\n\n");
            p.append("### Response 1:\n").append(response1.strip()).append("\n\n");
            p.append("### Response 2:\n").append(response2.strip()).append("\n\n");
            p.append("### Evaluation:\n");
            return p.toString();
        }
    };

    private final List<String> choices;

    JudgeFormat(List<String> choices) {
        this.choices = choices;
    }

    /** The judge's prompt for one instruction and two responses, in this order. */
    public abstract String prompt(String instruction, String input, String response1, String response2);

    /** The three verdicts (response 1, response 2, tie) as they follow the prompt. */
    public List<String> choices() {
        return choices;
    }
}
