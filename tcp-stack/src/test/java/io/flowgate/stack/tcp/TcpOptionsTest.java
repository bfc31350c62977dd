package io.flowgate.stack.tcp;

import io.flowgate.nativebindings.Memory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TcpOptionsTest
{
    private final Arena arena = Arena.ofConfined();
    private final long tcp = arena.allocate(60, 8).address();
    private final TcpOptions options = new TcpOptions();

    @AfterEach
    void close()
    {
        arena.close();
    }

    private void header(final int... optionBytes)
    {
        Memory.fill(tcp, 60, (byte)0);
        for (int i = 0; i < optionBytes.length; i++)
        {
            Memory.putByte(tcp + 20 + i, (byte)optionBytes[i]);
        }
        final int length = 20 + ((optionBytes.length + 3) & ~3);
        Memory.putByte(tcp + 12, (byte)((length >>> 2) << 4));
    }

    private int[] bytes(final long at, final int n)
    {
        final int[] b = new int[n];
        for (int i = 0; i < n; i++)
        {
            b[i] = Memory.getUnsignedByte(at + i);
        }
        return b;
    }

    @Test
    void shouldWriteLinuxSynLayoutAndParseItBack()
    {
        final int n = TcpOptions.writeSyn(tcp + 20, 1460, true, true, 0x01020304, 0, 7);
        assertEquals(20, n);
        assertEquals(n, TcpOptions.synLength(true, true, 7));
        org.junit.jupiter.api.Assertions.assertArrayEquals(
            new int[] {2, 4, 0x05, 0xB4, 4, 2, 8, 10, 1, 2, 3, 4, 0, 0, 0, 0, 1, 3, 3, 7}, bytes(tcp + 20, 20));
        Memory.putByte(tcp + 12, (byte)(((20 + n) >>> 2) << 4));
        assertTrue(options.parse(tcp, true));
        assertEquals(1460, options.mss);
        assertEquals(7, options.windowScale);
        assertTrue(options.sackPermitted);
        assertTrue(options.hasTimestamp);
        assertEquals(0x01020304, options.tsVal);
        assertEquals(0, options.tsEcr);
    }

    @Test
    void shouldWriteNopNopTimestampWithoutSackAndNopNopSackPermWithoutTimestamps()
    {
        assertEquals(20, TcpOptions.writeSyn(tcp + 20, 536, false, true, 5, 6, 0));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {2, 4, 2, 0x18, 1, 1, 8, 10}, bytes(tcp + 20, 8));
        assertEquals(12, TcpOptions.writeSyn(tcp + 20, 536, true, false, 0, 0, 2));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {2, 4, 2, 0x18, 1, 1, 4, 2, 1, 3, 3, 2},
                                                           bytes(tcp + 20, 12));
        assertEquals(4, TcpOptions.writeSyn(tcp + 20, 536, false, false, 0, 0, -1));
    }

    @Test
    void shouldRoundTripTimestampsAndSackBlocksOnData()
    {
        final int[] left = {100, 300, 500, 700};
        final int[] right = {200, 400, 600, 800};
        final int n = TcpOptions.write(tcp + 20, true, 11, 22, left, right, 4);
        assertEquals(12 + 4 + 24, n);
        assertEquals(n, TcpOptions.length(true, 4));
        Memory.putByte(tcp + 12, (byte)(((20 + n) >>> 2) << 4));
        assertTrue(options.parse(tcp, false));
        assertTrue(options.hasTimestamp);
        assertEquals(11, options.tsVal);
        assertEquals(22, options.tsEcr);
        assertEquals(3, options.sackBlocks);
        assertEquals(500, options.sackLeft[2]);
        assertEquals(600, options.sackRight[2]);
        assertEquals(TcpOptions.ABSENT, options.mss);

        final int m = TcpOptions.write(tcp + 20, false, 0, 0, left, right, 4);
        assertEquals(4 + 32, m);
        Memory.putByte(tcp + 12, (byte)(((20 + m) >>> 2) << 4));
        assertTrue(options.parse(tcp, false));
        assertFalse(options.hasTimestamp);
        assertEquals(4, options.sackBlocks);
        assertEquals(800, options.sackRight[3]);
    }

    @Test
    void shouldIgnoreSynOnlyOptionsOnOtherSegments()
    {
        header(2, 4, 5, 0xB4, 1, 3, 3, 7, 4, 2);
        assertTrue(options.parse(tcp, false));
        assertEquals(TcpOptions.ABSENT, options.mss);
        assertEquals(TcpOptions.ABSENT, options.windowScale);
        assertFalse(options.sackPermitted);
    }

    @Test
    void shouldClampWindowScaleTo14()
    {
        header(1, 3, 3, 15);
        assertTrue(options.parse(tcp, true));
        assertEquals(14, options.windowScale);
    }

    @Test
    void shouldRefuseLengthsOfZeroOrOneAndOptionsRunningPastTheHeader()
    {
        header(1, 1, 8, 0);
        assertFalse(options.parse(tcp, false));
        header(2, 1, 0, 0);
        assertFalse(options.parse(tcp, true));
        header(1, 1, 8, 10, 0, 0, 0, 0);
        assertFalse(options.parse(tcp, false));
        header(1, 1, 1, 8);
        assertFalse(options.parse(tcp, false));
    }

    @Test
    void shouldIgnoreWrongSizedOptionsAndStopAtEndOfList()
    {
        header(2, 3, 5, 1, 0, 8, 10, 0);
        assertTrue(options.parse(tcp, true));
        assertEquals(TcpOptions.ABSENT, options.mss);
        assertFalse(options.hasTimestamp);
    }

    @Test
    void shouldRefuseHeaderShorterThanTwentyBytes()
    {
        Memory.putByte(tcp + 12, (byte)(4 << 4));
        assertFalse(options.parse(tcp, false));
    }

    @Test
    void shouldResetFieldsBetweenSegments()
    {
        header(1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2);
        assertTrue(options.parse(tcp, false));
        assertTrue(options.hasTimestamp);
        header(1, 1, 1, 1);
        assertTrue(options.parse(tcp, false));
        assertFalse(options.hasTimestamp);
        assertEquals(0, options.sackBlocks);
    }
}
