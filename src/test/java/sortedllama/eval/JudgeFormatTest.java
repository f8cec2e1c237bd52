package sortedllama.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class JudgeFormatTest {

    @Test
    void pandaLmTemplateWithAnInput() {
        assertEquals("Below are two responses for a given task. The task is defined by the Instruction with an Input that provides "
                + "further context. Evaluate the responses and generate a reference answer for the task.\n\n"
                + "### Instruction:\nAdd the numbers.\n\n### Input:\n2 and 3\n\n"
                + "### Response 1:\n5\n\n### Response 2:\nfive\n\n### Evaluation:\n",
                JudgeFormat.PANDALM.prompt("Add the numbers.", "2 and 3", " 5\n", "five"));
    }

    @Test
    void pandaLmTemplateWithoutAnInput() {
        assertEquals("Below are two responses for a given task. The task is defined by the Instruction. Evaluate the responses "
                + "and generate a reference answer for the task.\n\n"
                + "### Instruction:\nName a tree.\n\n### Response 1:\noak\n\n### Response 2:\nrose\n\n### Evaluation:\n",
                JudgeFormat.PANDALM.prompt("Name a tree.", "", "oak", "rose"));
    }

    @Test
    void eachFormatsVerdictsFollowItsPromptAndParseBack() {
        assertEquals(List.of("1", "2", "Tie"), JudgeFormat.PANDALM.choices(), "PandaLM writes the verdict alone after the line break");
        assertEquals(List.of(" 1", " 2", " Tie"), JudgeFormat.PLAIN.choices());
        assertTrue(JudgeFormat.PLAIN.prompt("Name a tree.", "", "oak", "rose").endsWith("### Response 2:\nrose\n\n### Verdict:"));
        for (JudgeFormat f : JudgeFormat.values()) {
            assertEquals(List.of(Verdict.FIRST, Verdict.SECOND, Verdict.TIE), f.choices().stream().map(Verdict::parse).toList(), f.name());
        }
        // PandaLM's full reply: the verdict on the first line, the reason and a reference answer after it
        assertEquals(Verdict.SECOND, Verdict.parse("2\n\n### Reason: Response 2 names a tree; Response 1 too, less precisely.\n\n### Reference: oak\n"));
    }
}
