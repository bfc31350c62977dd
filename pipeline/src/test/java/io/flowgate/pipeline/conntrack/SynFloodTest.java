package io.flowgate.pipeline.conntrack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.conntrack.Conntrack;
import io.flowgate.conntrack.ConntrackConfig;
import io.flowgate.conntrack.ConntrackTable;
import io.flowgate.conntrack.CtInfo;
import io.flowgate.conntrack.CtKey;
import io.flowgate.conntrack.CtPacket;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStatus;
import io.flowgate.pipeline.conntrack.diff.PacketBuilder;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Bad input at scale: a flood of SYNs from random sources against a small table, mixed with malformed
 * packets, while one established TCP connection goes on. The flood is counted (early drops, drops), never
 * takes the established connection's entry, never corrupts it; every malformed packet is INVALID.
 */
class SynFloodTest
{
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer = arena.allocate(2048, 64);
    private final CtPacketParser parser = new CtPacketParser(true);
    private final CtPacket facts = new CtPacket();

    private int pass(final Conntrack ct, final byte[] packet, final int nowMs)
    {
        MemorySegment.copy(packet, 0, buffer, ValueLayout.JAVA_BYTE, 0, packet.length);
        parser.ipv4(buffer.address(), packet.length, 0, facts);
        final int ctinfo = ct.in(facts, nowMs);
        if (ct.index() >= 0 && !ct.drop())
        {
            ct.confirm(ct.index(), nowMs);
        }
        ct.endBurst();
        return ctinfo;
    }

    @Test
    void shouldKeepAnEstablishedConnectionThroughASynFloodOnAFullTable()
    {
        final Conntrack ct = new Conntrack(0, ConntrackConfig.defaults(1024), new HugePageTableMemory(), null, null, 32, 1, 3);
        try
        {
            final String client = "10.77.1.2";
            final String server = "10.77.2.2";
            int now = 1000;
            assertEquals(CtInfo.NEW, pass(ct, PacketBuilder.tcp(client, server, 40000, 80).seq(1000).flags(PacketBuilder.SYN)
                .window(64240).build(), now));
            assertEquals(CtInfo.ESTABLISHED_REPLY, pass(ct, PacketBuilder.tcp(server, client, 80, 40000).seq(5000).ack(1001)
                .flags(PacketBuilder.SYN | PacketBuilder.ACK).window(65160).build(), now));
            assertEquals(CtInfo.ESTABLISHED, pass(ct, PacketBuilder.tcp(client, server, 40000, 80).seq(1001).ack(5001)
                .flags(PacketBuilder.ACK).window(502).build(), now));
            long clientSeq = 1001;
            final SplittableRandom random = new SplittableRandom(7);
            int malformed = 0;
            for (int round = 0; round < 200; round++)
            {
                for (int k = 0; k < 50; k++)
                {
                    final String source = "198.18." + random.nextInt(256) + "." + (1 + random.nextInt(254));
                    pass(ct, PacketBuilder.tcp(source, server, 1024 + random.nextInt(60000), 80).seq(random.nextInt())
                        .flags(PacketBuilder.SYN).window(1024).build(), now);
                }
                // Malformed: SYN+FIN, no flags, a truncated header, a bad checksum: all INVALID, none creates an entry.
                final int before = ct.table().size();
                assertEquals(CtInfo.INVALID, pass(ct, PacketBuilder.tcp("198.18.0.1", server, 1, 80).flags(PacketBuilder.SYN | PacketBuilder.FIN)
                    .build(), now));
                assertEquals(CtInfo.INVALID, pass(ct, PacketBuilder.tcp("198.18.0.2", server, 2, 80).flags(0).build(), now));
                assertEquals(CtInfo.INVALID, pass(ct, PacketBuilder.tcp("198.18.0.3", server, 3, 80).flags(PacketBuilder.SYN).dataOffset(15)
                    .build(), now));
                assertEquals(CtInfo.INVALID, pass(ct, PacketBuilder.tcp("198.18.0.4", server, 4, 80).flags(PacketBuilder.SYN).badChecksum()
                    .build(), now));
                malformed += 4;
                assertTrue(ct.table().size() <= before, "malformed packets created nothing");
                // The established connection goes on, data one way and ACKs the other.
                assertEquals(CtInfo.ESTABLISHED, pass(ct, PacketBuilder.tcp(client, server, 40000, 80).seq(clientSeq).ack(5001)
                    .flags(PacketBuilder.ACK | PacketBuilder.PSH).window(502).payload(100).build(), now));
                clientSeq += 100;
                assertEquals(CtInfo.ESTABLISHED_REPLY, pass(ct, PacketBuilder.tcp(server, client, 80, 40000).seq(5001).ack(clientSeq)
                    .flags(PacketBuilder.ACK).window(509).build(), now));
                now += 10;
            }
            assertTrue(ct.table().size() <= 1024);
            assertTrue(ct.stats().earlyDrop > 0, "the flood filled the table and evicted its own unassured entries");
            assertTrue(ct.stats().invalid >= malformed);
            final int ref = ct.table().lookup(new CtKey().ipv4(0, 6, 0x0A4D0102, 0x0A4D0202, 40000, 80), now);
            assertTrue(ref != ConntrackTable.NONE, "the established connection is still in the table");
            final long record = ct.table().record(ref >>> 1);
            assertEquals(CtStatus.ASSURED | CtStatus.SEEN_REPLY | CtStatus.CONFIRMED,
                CtRecord.status(record) & (CtStatus.ASSURED | CtStatus.SEEN_REPLY | CtStatus.CONFIRMED));
            assertEquals(202, CtRecord.packets(record, 0), "SYN, ACK and 200 data segments, all counted");
            assertEquals(201, CtRecord.packets(record, 1));
        }
        finally
        {
            ct.table().close();
            arena.close();
        }
    }
}
