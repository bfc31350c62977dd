package io.flowgate.stack;

import static io.flowgate.stack.Packets.LOCAL4;
import static io.flowgate.stack.Packets.PEER4;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.pmd.testing.TestEal;
import io.flowgate.stack.tcp.ConnectionEvents;
import io.flowgate.stack.tcp.TcpCounters;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The whole stack (TCP core included) on real mbufs: a SYN in, the SYN-ACK out through IpOutput. */
class StackTcpTest
{
    private static Mempool pool;

    @BeforeAll
    static void initEal()
    {
        TestEal.get();
        pool = Mempool.createPktmbufPool("tip-tcp", 255, 0, Mempool.DEFAULT_DATA_ROOM, Mempool.SOCKET_ID_ANY);
    }

    @AfterAll
    static void freePool()
    {
        pool.close();
    }

    private static byte[] segment(final int flags, final int seq, final int ack)
    {
        final byte[] t = new byte[20];
        final ByteBuffer b = ByteBuffer.wrap(t);
        b.putShort(0, (short)40000);
        b.putShort(2, (short)80);
        b.putInt(4, seq);
        b.putInt(8, ack);
        t[12] = 0x50;
        t[13] = (byte)flags;
        b.putShort(14, (short)65535);
        b.putShort(16, (short)Packets.checksum(t, 0, 20, Packets.pseudo4(PEER4, LOCAL4, 6, 20)));
        return Packets.ipv4(PEER4, LOCAL4, 6, 3, 0x4000, t);
    }

    @Test
    void aHandshakeThroughTheIpLayer() throws Exception
    {
        final int baseline = pool.inUse();
        final Packets.Capture wire = new Packets.Capture(pool);
        final Stack stack = new Stack(StackConfig.linuxDefaults(), 1);
        stack.attach(wire);
        final int[] accepted = new int[1];
        final long now = System.nanoTime();
        stack.tcp().listen(0, 0, 80, 16, connection -> {
            accepted[0]++;
            return new ConnectionEvents()
            {
                @Override
                public void connected()
                {
                }

                @Override
                public void readable()
                {
                }

                @Override
                public void writable()
                {
                }

                @Override
                public void closed(final int reason)
                {
                }
            };
        }, now);
        stack.receive(Packets.mbuf(pool, segment(0x02, 1000, 0), false, false, 0), 0, now);
        assertEquals(1, wire.sent.size(), "a SYN-ACK");
        final byte[] synAck = wire.sent.get(0);
        final ByteBuffer b = ByteBuffer.wrap(synAck);
        assertEquals(0, Packets.checksum(synAck, 0, 20, 0), "IPv4 header checksum");
        assertEquals(0x4000, b.getShort(6) & 0x4000, "DF on TCP");
        assertEquals(LOCAL4, b.getInt(12));
        assertEquals(PEER4, b.getInt(16));
        assertEquals(0x12, synAck[20 + 13]);
        assertEquals(1001, b.getInt(20 + 8));
        assertEquals(0, Packets.checksum(synAck, 20, synAck.length - 20, Packets.pseudo4(LOCAL4, PEER4, 6, synAck.length - 20)));
        final int iss = b.getInt(20 + 4);
        assertEquals(0, accepted[0], "not before the final ACK");
        // A final ACK with a bad checksum: dropped by the IP layer, counted in TCP's own counters (nstat TcpInErrs,
        // TcpInCsumErrors); then the good one completes the handshake.
        final byte[] bad = segment(0x10, 1001, iss + 1);
        bad[20 + 16] ^= 1;
        stack.receive(Packets.mbuf(pool, bad, false, false, 0), 0, now);
        assertEquals(0, accepted[0], "a bad checksum completes nothing");
        assertEquals(1, stack.tcp().counter(TcpCounters.IN_CSUM_ERRORS));
        assertEquals(1, stack.tcp().counter(TcpCounters.IN_ERRS));
        stack.receive(Packets.mbuf(pool, segment(0x10, 1001, iss + 1), false, false, 0), 0, now);
        assertEquals(1, accepted[0], "the final ACK completes the handshake");
        assertEquals(1, stack.tcp().counter(TcpCounters.IN_CSUM_ERRORS), "the good ACK counted no error");
        stack.doWork(now);
        stack.close();
        assertEquals(baseline, pool.inUse(), "every mbuf freed exactly once");
    }
}
