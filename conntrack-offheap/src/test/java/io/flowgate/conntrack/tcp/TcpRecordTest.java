package io.flowgate.conntrack.tcp;

import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.OffHeap;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;

import static org.junit.jupiter.api.Assertions.assertEquals;

class TcpRecordTest
{
    @Test
    void shouldKeepEveryFieldIndependentInsideTheProtocolArea()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final long record = arena.allocate(CtRecord.SIZE, 64).address();
            OffHeap.fill(record, CtRecord.SIZE, (byte)0x5A);
            TcpRecord.clear(record);
            for (int i = 0; i < CtRecord.PROTO_OFFSET; i++)
            {
                assertEquals(0x5A, OffHeap.getUnsignedByte(record + i), "byte " + i + " outside the area");
            }

            TcpRecord.state(record, TcpState.SYN_SENT2);
            TcpRecord.retrans(record, 255);
            TcpRecord.flags(record, 0, 0x2B);
            TcpRecord.flags(record, 1, 0x15);
            TcpRecord.scale(record, 0, 14);
            TcpRecord.scale(record, 1, 7);
            TcpRecord.lastWscale(record, 9);
            TcpRecord.lastIndex(record, 5);
            TcpRecord.lastDir(record, 1);
            TcpRecord.lastFlags(record, TcpRecord.FLAG_SACK_PERM | TcpRecord.EXP_CHALLENGE_ACK | TcpRecord.SIMULTANEOUS_OPEN);
            TcpRecord.lastWin(record, 0xFFFF);
            TcpRecord.lastEnd(record, 0xDEADBEEF);
            TcpRecord.lastMix(record, 0x12345678);
            for (int dir = 0; dir < 2; dir++)
            {
                TcpRecord.tdEnd(record, dir, 0x1000 + dir);
                TcpRecord.tdMaxEnd(record, dir, 0x2000 + dir);
                TcpRecord.tdMaxWin(record, dir, 0x3000 + dir);
                TcpRecord.tdMaxAck(record, dir, 0x4000 + dir);
            }

            assertEquals(TcpState.SYN_SENT2, OffHeap.getUnsignedByte(record + CtRecord.TCP_STATE_OFFSET));
            assertEquals(255, TcpRecord.retrans(record));
            assertEquals(0x2B, TcpRecord.flags(record, 0));
            assertEquals(0x15, TcpRecord.flags(record, 1));
            assertEquals(14, TcpRecord.scale(record, 0));
            assertEquals(7, TcpRecord.scale(record, 1));
            assertEquals(9, TcpRecord.lastWscale(record));
            assertEquals(5, TcpRecord.lastIndex(record));
            assertEquals(1, TcpRecord.lastDir(record));
            assertEquals(TcpRecord.FLAG_SACK_PERM | TcpRecord.EXP_CHALLENGE_ACK | TcpRecord.SIMULTANEOUS_OPEN,
                TcpRecord.lastFlags(record));
            assertEquals(0xFFFF, TcpRecord.lastWin(record));
            assertEquals(0xDEADBEEF, TcpRecord.lastEnd(record));
            assertEquals(0x12345678, TcpRecord.lastMix(record));
            for (int dir = 0; dir < 2; dir++)
            {
                assertEquals(0x1000 + dir, TcpRecord.tdEnd(record, dir));
                assertEquals(0x2000 + dir, TcpRecord.tdMaxEnd(record, dir));
                assertEquals(0x3000 + dir, TcpRecord.tdMaxWin(record, dir));
                assertEquals(0x4000 + dir, TcpRecord.tdMaxAck(record, dir));
            }
            assertEquals(CtRecord.SIZE, TcpRecord.SEEN_OFFSET + 2 * TcpRecord.SEEN_SIZE);
        }
    }

    @Test
    void shouldFoldZeroLengthSegmentToItsAck()
    {
        assertEquals(123_456, TcpRecord.mix(777, 123_456, 777));
    }
}
