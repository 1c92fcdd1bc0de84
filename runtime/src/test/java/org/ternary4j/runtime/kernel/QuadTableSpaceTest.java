package org.ternary4j.runtime.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class QuadTableSpaceTest {
    @Test
    void everySlotIsLentToOneThreadAtATimeAndAWaitingThreadGetsTheOneGivenBack() throws Exception {
        Set<Integer> lent = new HashSet<>();
        for (int i = 0; i < QuadTableSpace.SLOTS; i++) lent.add(QuadTableSpace.acquire());
        assertEquals(QuadTableSpace.SLOTS, lent.size(), "distinct slots while none is given back");
        CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(QuadTableSpace::acquire);
        try {
            waiting.get(100, TimeUnit.MILLISECONDS);
            throw new AssertionError("a slot was lent twice");
        } catch (TimeoutException expected) {
            // every slot is out: the other thread waits
        }
        int back = lent.iterator().next();
        QuadTableSpace.release(back);
        assertEquals(back, waiting.get(10, TimeUnit.SECONDS));
        QuadTableSpace.release(back);
        for (int s : lent) if (s != back) QuadTableSpace.release(s);
    }

    @Test
    void aSlotsFourTablesOfAnyByteLieInsideTheArray() {
        int last = QuadTableSpace.base(QuadTableSpace.SLOTS - 1) + 3 * 256 * QuadLutGemm.TILE + 255 * QuadLutGemm.TILE + QuadLutGemm.TILE;
        assertEquals(QuadTableSpace.TABLES.length, last, "the last slot's last table row ends the array");
        assertTrue(Integer.bitCount(QuadTableSpace.SLOTS) == 1 && QuadTableSpace.SLOTS >= 4, "a power of two, so the mask in base keeps every slot");
    }
}
