package io.flowgate.pipeline.nat.helper;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.conntrack.expect.HelpTable;
import io.flowgate.nativebindings.Memory;
import io.flowgate.pmd.checksum.Checksum;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Sequence adjustment on its own: offsets before and after the rewrite, wrap-around, SACK at any alignment, checksums, bad options. */
class SeqAdjustTest
{
    private final Arena arena = Arena.ofConfined();
    private MemorySegment buffer;
    private HelpTable help;
    private int base;

    @BeforeEach
    void setUp()
    {
        buffer = arena.allocate(256, 8);
        help = new HelpTable(null, 4); // slots written by hand below: no table needed
        base = 0;
    }

    @AfterEach
    void tearDown()
    {
        arena.close();
    }

    private long load(final byte[] packet)
    {
        MemorySegment.copy(packet, 0, buffer, ValueLayout.JAVA_BYTE, 0, packet.length);
        return buffer.address();
    }

    private void offsets(final int dir, final int pos, final int before, final int after)
    {
        final int w = base + HelpTable.SEQADJ + dir * HelpTable.SEQADJ_SIZE;
        help.slots[w + HelpTable.CORRECTION_POS] = pos;
        help.slots[w + HelpTable.OFFSET_BEFORE] = before;
        help.slots[w + HelpTable.OFFSET_AFTER] = after;
    }

    @Test
    void shouldShiftAcrossTheSequenceWrap()
    {
        offsets(0, 0xFFFF_FFF0, 0, 7);
        final long ip = load(HelperTestBench.tcp("10.0.0.2", "203.0.113.5", 1, 21, 0x10L, 0, 0x18, "abc"));
        assertTrue(SeqAdjust.adjust(ip + 20, 0, help, base));
        assertEquals(0x17, Memory.getIntBE(ip + 24));
        assertTrue(Checksum.isTcpIpv4Valid(ip));

        final long before = load(HelperTestBench.tcp("10.0.0.2", "203.0.113.5", 1, 21, 0xFFFF_FFF0L, 0, 0x18, "abc"));
        assertTrue(SeqAdjust.adjust(before + 20, 0, help, base));
        assertEquals(0xFFFF_FFF0, Memory.getIntBE(before + 24), "at the rewrite position: the offset before it");
    }

    @Test
    void shouldShrinkAsWellAsGrow()
    {
        offsets(1, 5000, 0, -8);
        final long ip = load(HelperTestBench.tcp("10.0.0.2", "203.0.113.5", 1, 21, 1000, 5100, 0x10, ""));
        assertTrue(SeqAdjust.adjust(ip + 20, 0, help, base));
        assertEquals(5108, Memory.getIntBE(ip + 28), "the ack goes back up by what the other side lost");
        assertTrue(Checksum.isTcpIpv4Valid(ip));
    }

    @Test
    void shouldAdjustSackBlocksAtAnOddOffset()
    {
        offsets(1, 5000, 0, 4);
        final byte[] packet = HelperTestBench.tcp("10.0.0.2", "203.0.113.5", 1, 21, 1000, 5010, 0x10, "", 5020, 5030);
        // move the SACK option one byte earlier: NOP SACK ... NOP (still 12 option bytes), so its blocks start at an odd offset
        final int opt = 40;
        assertEquals(1, packet[opt]);
        assertEquals(1, packet[opt + 1]);
        System.arraycopy(packet, opt + 2, packet, opt + 1, 10);
        packet[opt + 11] = 1;
        final long ip = load(packet);
        Memory.putShortBE(ip + 36, Checksum.tcpIpv4(ip));
        assertTrue(SeqAdjust.adjust(ip + 20, 0, help, base));
        assertEquals(5006, Memory.getIntBE(ip + 28));
        assertEquals(5016, Memory.getIntBE(ip + opt + 3));
        assertEquals(5026, Memory.getIntBE(ip + opt + 7));
        assertTrue(Checksum.isTcpIpv4Valid(ip), "odd-aligned fields updated with their bytes swapped in the sum");
    }

    @Test
    void shouldRefuseAPartialOption()
    {
        offsets(1, 5000, 0, 4);
        final byte[] packet = HelperTestBench.tcp("10.0.0.2", "203.0.113.5", 1, 21, 1000, 5010, 0x10, "", 5020, 5030);
        packet[40 + 3] = 40; // SACK length beyond the header
        final long ip = load(packet);
        assertFalse(SeqAdjust.adjust(ip + 20, 0, help, base));
    }
}
