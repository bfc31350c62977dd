package io.flowgate.stack.tcp;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 6675's definitions with 100-byte segments: snd_una 1000, HighData 2000 (segments 1000, 1100, ... 1900). */
class SackScoreboardTest
{
    private static final int MSS = 100;
    private static final int DUP = 3;
    private final SackScoreboard board = new SackScoreboard(8);
    private final int[] left = new int[4];
    private final int[] right = new int[4];

    private int ack(final int una, final int nxt, final int... edges)
    {
        for (int i = 0; i < edges.length / 2; i++)
        {
            left[i] = edges[2 * i];
            right[i] = edges[2 * i + 1];
        }
        return board.update(una, nxt, left, right, edges.length / 2);
    }

    @Test
    void shouldCountNewlySackedBytesAndMergeAdjacentBlocks()
    {
        assertEquals(100, ack(1000, 2000, 1100, 1200));
        assertEquals(100, ack(1000, 2000, 1200, 1300, 1100, 1200));
        assertEquals(1, board.ranges());
        assertEquals(200, board.sackedBytes());
        assertEquals(50, ack(1000, 2000, 1050, 1250));
        assertEquals(1050, board.rangeStart(0));
        assertTrue(board.isSacked(1050));
        assertFalse(board.isSacked(1300));
        assertEquals(1300, board.highestSacked(1000));
    }

    @Test
    void shouldIgnoreDsacksAndBlocksOutsideTheWindow()
    {
        ack(1000, 2000, 1500, 1600);
        assertEquals(0, ack(1000, 2000, 900, 1000, 1500, 1600));
        assertEquals(0, ack(1000, 2000, 1520, 1580));
        assertEquals(0, ack(1000, 2000, 1900, 2100));
        assertEquals(0, ack(1000, 2000, 1700, 1700));
        assertEquals(100, board.sackedBytes());
    }

    @Test
    void shouldDropWhatTheCumulativeAckCovers()
    {
        ack(1000, 2000, 1100, 1300, 1500, 1600);
        ack(1200, 2000);
        assertEquals(2, board.ranges());
        assertEquals(1200, board.rangeStart(0));
        assertEquals(200, board.sackedBytes());
        ack(1600, 2000);
        assertEquals(0, board.ranges());
        assertEquals(1600, board.highestSacked(1600));
    }

    @Test
    void shouldDeclareLostByBytesOrSegmentsAbove()
    {
        ack(1000, 2000, 1100, 1200, 1300, 1400);
        assertFalse(board.isLost(1000, MSS, DUP));
        ack(1000, 2000, 1500, 1600);
        assertTrue(board.isLost(1000, MSS, DUP));
        assertFalse(board.isLost(1200, MSS, DUP));
        assertFalse(board.isLost(1400, MSS, DUP));
    }

    @Test
    void shouldCountSmallSegmentsAsDiscontiguousSequences()
    {
        ack(1000, 2000, 1010, 1020, 1030, 1040, 1050, 1060);
        assertTrue(board.isLost(1000, MSS, DUP));
        assertFalse(board.isLost(1020, MSS, DUP));
    }

    @Test
    void shouldSetPipeFromHolesNotLostAndRetransmissions()
    {
        ack(1000, 2000, 1100, 1200, 1300, 1400, 1500, 1600);
        // hole 1000 is lost (300 bytes SACKed above), holes 1200, 1400 are not, 1600..2000 is in flight
        assertEquals(600, board.pipe(1000, 2000, MSS, DUP));
        board.markRetransmitted(1000, 100);
        assertEquals(700, board.pipe(1000, 2000, MSS, DUP));
    }

    @Test
    void shouldChooseNextSegmentByRulesOneTwoThree()
    {
        ack(1000, 2000, 1100, 1200, 1300, 1400, 1500, 1600);
        assertEquals(1000, board.nextSegment(1000, 2000, 1000, MSS, DUP, true));
        board.markRetransmitted(1000, 100);
        // 1200 is not lost: rule 2 sends new data, else rule 3 the first hole below the highest SACK
        assertEquals(2000, board.nextSegment(1000, 2000, 1100, MSS, DUP, true));
        assertEquals(1200, board.nextSegment(1000, 2000, 1100, MSS, DUP, false));
        assertEquals(-1, board.nextSegment(1000, 2000, 1600, MSS, DUP, false));
        assertEquals(2000, board.nextSegment(1000, 2000, 1600, MSS, DUP, true));
    }

    @Test
    void shouldPickUpInsideAHoleAfterPartialRetransmission()
    {
        ack(1000, 2000, 1400, 1800);
        assertEquals(1000, board.nextSegment(1000, 2000, 1000, MSS, DUP, false));
        assertEquals(1100, board.nextSegment(1000, 2000, 1100, MSS, DUP, false));
        assertEquals(1300, board.nextSegment(1000, 2000, 1300, MSS, DUP, false));
        assertEquals(-1, board.nextSegment(1000, 2000, 1400, MSS, DUP, false));
    }

    @Test
    void shouldWorkAcrossSequenceWraparound()
    {
        final int una = 0xFFFF_FF00;
        final int nxt = una + 1000;
        assertEquals(200, ack(una, nxt, una + 100, una + 300));
        assertEquals(100, ack(una, nxt, una + 400, una + 500));
        assertTrue(board.isSacked(0x0000_0010));
        assertTrue(board.isLost(una, MSS, DUP));
        assertEquals(una + 500, board.highestSacked(una));
        assertEquals(una & 0xFFFF_FFFFL, board.nextSegment(una, nxt, una, MSS, DUP, false));
        assertEquals(600, board.pipe(una, nxt, MSS, DUP));
        ack(una + 200, nxt);
        assertEquals(200, board.sackedBytes());
        assertEquals(una + 200, board.rangeStart(0));
    }

    @Test
    void shouldStayConservativeWhenFull()
    {
        final SackScoreboard small = new SackScoreboard(2);
        final int[] l = {1100, 1300, 1500};
        final int[] r = {1200, 1400, 1600};
        small.update(1000, 2000, l, r, 3);
        assertEquals(2, small.ranges());
        assertFalse(small.isSacked(1100));
        assertTrue(small.isSacked(1500));
        small.clear();
        assertEquals(0, small.ranges());
    }
}
