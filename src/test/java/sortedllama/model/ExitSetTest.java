package sortedllama.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import sortedllama.BadInputException;

class ExitSetTest {
    @Test
    void parsesListsAndStrides() {
        assertArrayEquals(new int[] {2, 4, 6}, ExitSet.parse("6,2,4", 6).layers());
        assertArrayEquals(new int[] {4, 8, 10}, ExitSet.parse("every:4", 10).layers());
        assertArrayEquals(new int[] {12, 16, 20, 24, 28, 32, 36, 40}, ExitSet.parse("every:4@12", 40).layers());
        assertArrayEquals(new int[] {1, 2, 3}, ExitSet.parse("all", 3).layers());
    }

    @Test
    void rejectsLayersOutsideTheModel() {
        var e = assertThrows(BadInputException.class, () -> ExitSet.parse("0,2", 6));
        assertEquals("exit layer 0 in \"0,2\" is out of range: this model has layers 1..6", e.getMessage());
        assertThrows(BadInputException.class, () -> ExitSet.parse("7", 6));
        assertThrows(BadInputException.class, () -> ExitSet.parse("every:x", 6));
        assertThrows(BadInputException.class, () -> ExitSet.parse("2,,4", 6));
        assertThrows(BadInputException.class, () -> ExitSet.parse("every:2@9", 6));
    }

    @Test
    void budgetPicksTheDeepestExitThatFits() {
        ExitSet set = ExitSet.parse("every:4@12", 40);
        assertEquals(20, set.deepestWithin(0.5, 40));
        assertEquals(40, set.deepestWithin(1.0, 40));
        assertThrows(BadInputException.class, () -> set.deepestWithin(0.25, 40));
        assertThrows(BadInputException.class, () -> set.deepestWithin(0, 40));
    }
}
