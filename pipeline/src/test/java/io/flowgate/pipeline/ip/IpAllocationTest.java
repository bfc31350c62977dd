package io.flowgate.pipeline.ip;

import io.flowgate.nativebindings.Memory;
import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.hook.Verdict;
import io.flowgate.pmd.checksum.Checksum;
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.header.Ipv4Flyweight;
import io.flowgate.pmd.header.Ipv6Flyweight;
import io.flowgate.pmd.testing.CapturedPackets;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The IP stages allocate nothing per burst: a guard for the 0 B/op rule between JMH runs. */
class IpAllocationTest
{
    private static final int ITERATIONS = 20_000;

    private final Arena arena = Arena.ofConfined();
    private final PacketBurst burst = new PacketBurst(arena, 8);
    private final Ipv4Input ipv4 = new Ipv4Input();
    private final Ipv6Input ipv6 = new Ipv6Input();
    private final IpForward forward = new IpForward();
    private final long[] frames = new long[8];
    private final int[] lengths = new int[8];
    private final int[] etherTypes = new int[8];

    @AfterEach
    void close()
    {
        arena.close();
    }

    @Test
    void shouldValidateAndForwardWithoutAllocating()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported(), "no per-thread allocation counter");
        threads.setThreadAllocatedMemoryEnabled(true);
        final String[] captured = {
            CapturedPackets.ICMP_ECHO_REQUEST, CapturedPackets.TCP_SYN, CapturedPackets.IPV4_UDP_ODD,
            CapturedPackets.ICMP_ECHO_REPLY, CapturedPackets.IPV6_UDP, CapturedPackets.ICMPV6_NEIGHBOR_SOLICITATION,
            CapturedPackets.ARP_REQUEST, CapturedPackets.ICMP_PORT_UNREACHABLE};
        for (int i = 0; i < captured.length; i++)
        {
            final byte[] bytes = CapturedPackets.bytes(captured[i]);
            frames[i] = CapturedPackets.load(arena, bytes);
            lengths[i] = Math.max(60, bytes.length);
            etherTypes[i] = (bytes[12] & 0xFF) << 8 | (bytes[13] & 0xFF);
        }
        frames[3] = frames[0] + 1;   // misaligned: an invalid header

        long result = 0;
        for (int warmUp = 0; warmUp < 3; warmUp++)
        {
            result += work();   // until the JIT has settled: steady state is what must not allocate
        }
        final long threadId = Thread.currentThread().threadId();
        final long before = threads.getThreadAllocatedBytes(threadId);
        result += work();
        final long allocated = threads.getThreadAllocatedBytes(threadId) - before;

        assertEquals(0, allocated, "bytes allocated (result " + result + ")");
    }

    private long work()
    {
        long result = 0;
        for (int i = 0; i < ITERATIONS; i++)
        {
            burst.count(frames.length);
            for (int p = 0; p < frames.length; p++)
            {
                burst.frame[p] = frames[p];
                burst.length[p] = lengths[p];
                burst.l3[p] = frames[p] + EthernetFlyweight.HEADER_LENGTH;
                burst.etherType[p] = etherTypes[p];
                burst.verdict[p] = Verdict.ACCEPT;
            }
            result += ipv4.process(burst) + ipv6.process(burst) + ipv4.dropMartians(burst, false);
            result += forward.process(burst);
            // undo the decrements so that TTLs never run out
            for (int p = 0; p < frames.length; p++)
            {
                if (burst.verdict[p] == Verdict.ACCEPT && etherTypes[p] == EthernetFlyweight.ETHER_TYPE_IPV6)
                {
                    Memory.putByte(burst.l3[p] + Ipv6Flyweight.HOP_LIMIT_OFFSET, (byte)64);
                }
                else if (burst.verdict[p] == Verdict.ACCEPT && etherTypes[p] == EthernetFlyweight.ETHER_TYPE_IPV4)
                {
                    final long header = burst.l3[p];
                    Memory.putByte(header + Ipv4Flyweight.TTL_OFFSET, (byte)64);
                    Ipv4Flyweight.putChecksum(header, Checksum.checksumSkipping(header, 20, Ipv4Flyweight.CHECKSUM_OFFSET, 0));
                }
            }
        }
        return result;
    }
}
