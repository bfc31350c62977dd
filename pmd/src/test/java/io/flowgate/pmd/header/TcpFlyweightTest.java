package io.flowgate.pmd.header;

import java.lang.foreign.Arena;

import io.flowgate.nativebindings.Memory;
import io.flowgate.pmd.testing.CapturedPackets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TcpFlyweightTest
{
    private final Arena arena = Arena.ofConfined();
    private final TcpFlyweight tcp = new TcpFlyweight();

    @AfterEach
    void close()
    {
        arena.close();
    }

    @Test
    void shouldReadEveryFieldOfCapturedSyn()
    {
        final long header = CapturedPackets.load(arena, CapturedPackets.TCP_SYN) + 34;

        tcp.wrap(header);

        assertEquals(45990, tcp.srcPort());
        assertEquals(8080, tcp.dstPort());
        assertEquals(441899166, tcp.sequence());
        assertEquals(0, tcp.acknowledgment());
        assertEquals(10, tcp.dataOffset());
        assertEquals(40, tcp.headerLength());
        assertEquals(20, tcp.optionsLength());
        assertEquals(header + TcpFlyweight.OPTIONS_OFFSET, tcp.optionsAddress());
        assertEquals(TcpFlyweight.SYN, tcp.flags());
        assertEquals(64240, tcp.window());
        assertEquals(0x1203, tcp.checksum());
        assertEquals(0, tcp.urgentPointer());
        assertEquals(header + 40, tcp.payloadAddress());
        assertTrue(TcpFlyweight.isWellFormed(header, 40));
    }

    @Test
    void shouldReadSameFieldsThroughStaticAccessors()
    {
        final long header = CapturedPackets.load(arena, CapturedPackets.TCP_ACK_VLAN_100) + 38;

        assertEquals(45990, TcpFlyweight.getSrcPort(header));
        assertEquals(8080, TcpFlyweight.getDstPort(header));
        assertEquals(TcpFlyweight.ACK, TcpFlyweight.getFlags(header));
        assertEquals(32, TcpFlyweight.getHeaderLength(header));
        assertEquals(0x476c, TcpFlyweight.getChecksum(header));
        assertEquals(1220857820, tcp.wrap(header).acknowledgment());
        assertEquals(63, tcp.window());
    }

    @Test
    void shouldFindEveryOptionOfCapturedSyn()
    {
        final long header = CapturedPackets.load(arena, CapturedPackets.TCP_SYN) + 34;
        tcp.wrap(header);

        final int mss = tcp.findOption(TcpFlyweight.OPTION_MSS);
        assertEquals(20, mss);
        assertEquals(4, Memory.getUnsignedByte(header + mss + 1));
        assertEquals(1460, Memory.getShortBE(header + mss + 2));

        assertEquals(24, tcp.findOption(TcpFlyweight.OPTION_SACK_PERMITTED));

        final int timestamp = tcp.findOption(TcpFlyweight.OPTION_TIMESTAMP);
        assertEquals(26, timestamp);
        assertEquals(10, Memory.getUnsignedByte(header + timestamp + 1));
        assertEquals(4061396677L, Memory.getIntBE(header + timestamp + 2) & 0xFFFF_FFFFL);
        assertEquals(0, Memory.getIntBE(header + timestamp + 6));

        final int windowScale = tcp.findOption(TcpFlyweight.OPTION_WINDOW_SCALE);
        assertEquals(37, windowScale);
        assertEquals(10, Memory.getUnsignedByte(header + windowScale + 2));

        assertEquals(TcpFlyweight.NO_OPTION, tcp.findOption(TcpFlyweight.OPTION_SACK));
    }

    @Test
    void shouldSkipNopsToTimestampOfCapturedAck()
    {
        final long header = CapturedPackets.load(arena, CapturedPackets.TCP_ACK_VLAN_100) + 38;
        tcp.wrap(header);

        final int timestamp = tcp.findOption(TcpFlyweight.OPTION_TIMESTAMP);

        assertEquals(22, timestamp);
        assertEquals(2149014351L, Memory.getIntBE(header + timestamp + 6) & 0xFFFF_FFFFL);
        assertEquals(TcpFlyweight.NO_OPTION, tcp.findOption(TcpFlyweight.OPTION_MSS));
    }

    @Test
    void shouldStopAtEndOfOptionList()
    {
        final long header = CapturedPackets.load(arena, CapturedPackets.TCP_SYN) + 34;
        tcp.wrap(header);
        Memory.putByte(header + 24, (byte)TcpFlyweight.OPTION_END);

        assertEquals(20, tcp.findOption(TcpFlyweight.OPTION_MSS));
        assertEquals(TcpFlyweight.NO_OPTION, tcp.findOption(TcpFlyweight.OPTION_TIMESTAMP));
    }

    @Test
    void shouldGiveUpOnOptionLengthBelowTwo()
    {
        final long header = CapturedPackets.load(arena, CapturedPackets.TCP_SYN) + 34;
        tcp.wrap(header);
        Memory.putByte(header + 25, (byte)0);

        assertEquals(TcpFlyweight.NO_OPTION, tcp.findOption(TcpFlyweight.OPTION_WINDOW_SCALE));
    }

    @Test
    void shouldGiveUpOnOptionRunningPastHeader()
    {
        final long header = CapturedPackets.load(arena, CapturedPackets.TCP_SYN) + 34;
        tcp.wrap(header);
        Memory.putByte(header + 38, (byte)4);

        assertEquals(TcpFlyweight.NO_OPTION, tcp.findOption(TcpFlyweight.OPTION_WINDOW_SCALE));
        assertEquals(20, tcp.findOption(TcpFlyweight.OPTION_MSS));
    }

    @Test
    void shouldNotLookPastDataOffset()
    {
        final long header = CapturedPackets.load(arena, CapturedPackets.TCP_SYN) + 34;
        tcp.wrap(header).dataOffset(9);

        assertEquals(26, tcp.findOption(TcpFlyweight.OPTION_TIMESTAMP));
        assertEquals(TcpFlyweight.NO_OPTION, tcp.findOption(TcpFlyweight.OPTION_WINDOW_SCALE));
    }

    @Test
    void shouldFindNoOptionWithoutOptions()
    {
        final long header = CapturedPackets.load(arena, CapturedPackets.TCP_SYN) + 34;

        assertEquals(TcpFlyweight.NO_OPTION, tcp.wrap(header).dataOffset(5).findOption(TcpFlyweight.OPTION_MSS));
        assertEquals(0, tcp.optionsLength());
    }

    @Test
    void shouldBuildCapturedHeaderFromFields()
    {
        final byte[] captured = CapturedPackets.bytes(CapturedPackets.TCP_SYN);
        final long header = CapturedPackets.load(arena, new byte[40]);

        tcp.wrap(header)
            .srcPort(45990)
            .dstPort(8080)
            .sequence(441899166)
            .acknowledgment(0)
            .headerLength(40)
            .flags(TcpFlyweight.SYN)
            .window(64240)
            .checksum(0x1203)
            .urgentPointer(0);
        Memory.copy(
            CapturedPackets.load(arena, CapturedPackets.slice(captured, 54, 20)), tcp.optionsAddress(), 20);

        assertArrayEquals(CapturedPackets.slice(captured, 34, 40), CapturedPackets.read(header, 40));
    }

    @Test
    void shouldKeepReservedBitsWhenSettingDataOffset()
    {
        final long header = CapturedPackets.load(arena, CapturedPackets.TCP_SYN) + 34;
        tcp.wrap(header);
        Memory.putByte(header + TcpFlyweight.DATA_OFFSET_OFFSET, (byte)0xA1);

        tcp.dataOffset(8);

        assertEquals(0x81, Memory.getUnsignedByte(header + TcpFlyweight.DATA_OFFSET_OFFSET));
        assertEquals(TcpFlyweight.SYN, tcp.flags());
    }

    @Test
    void shouldWriteEveryFlagBit()
    {
        final long header = CapturedPackets.load(arena, CapturedPackets.TCP_SYN) + 34;
        tcp.wrap(header);
        final int all = TcpFlyweight.FIN | TcpFlyweight.SYN | TcpFlyweight.RST | TcpFlyweight.PSH |
            TcpFlyweight.ACK | TcpFlyweight.URG | TcpFlyweight.ECE | TcpFlyweight.CWR;

        assertEquals(0xFF, all);
        assertEquals(0xFF, tcp.flags(all).flags());
        assertEquals(10, tcp.dataOffset());
        assertEquals(64240, tcp.window());
        assertEquals(TcpFlyweight.SYN | TcpFlyweight.ACK, tcp.flags(0x12).flags());
    }

    @Test
    void shouldRejectHeaderLongerThanSegment()
    {
        final long header = CapturedPackets.load(arena, CapturedPackets.TCP_SYN) + 34;

        assertFalse(TcpFlyweight.isWellFormed(header, 19));
        assertFalse(TcpFlyweight.isWellFormed(header, 39));
        assertFalse(TcpFlyweight.isWellFormed(tcp.wrap(header).dataOffset(4).address(), 40));
        assertTrue(TcpFlyweight.isWellFormed(tcp.dataOffset(5).address(), 20));
    }

    @Test
    void shouldWritePortsAndChecksumThroughStaticAccessors()
    {
        final long header = CapturedPackets.load(arena, CapturedPackets.TCP_SYN) + 34;

        TcpFlyweight.putSrcPort(header, 1);
        TcpFlyweight.putDstPort(header, 65535);
        TcpFlyweight.putChecksum(header, 0xFFFF);

        tcp.wrap(header);
        assertEquals(1, tcp.srcPort());
        assertEquals(65535, tcp.dstPort());
        assertEquals(0xFFFF, tcp.checksum());
        assertEquals(441899166, tcp.sequence());
    }
}
