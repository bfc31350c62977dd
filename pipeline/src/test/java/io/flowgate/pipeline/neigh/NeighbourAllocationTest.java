package io.flowgate.pipeline.neigh;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;

import io.flowgate.nativebindings.Memory;
import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.hook.Verdict;
import io.flowgate.pmd.testing.CapturedPackets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.flowgate.pmd.testing.CapturedPackets.IPV4_A;
import static io.flowgate.pmd.testing.CapturedPackets.IPV4_B;
import static io.flowgate.pmd.testing.CapturedPackets.IPV6_DOCUMENTATION_HI;
import static io.flowgate.pmd.testing.CapturedPackets.MAC_B;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Worker lookups and the slow path's steady state (answer, learn, resolve, time out, collect) allocate
 * nothing: the per-thread allocation counter around many iterations, after warm-up rounds.
 */
class NeighbourAllocationTest
{
    private static final int ITERATIONS = 20_000;
    private static final long MS = 1_000_000L;

    private final Arena arena = Arena.ofConfined();
    private final NeighbourTable table = new NeighbourTable(256, 1);
    private final CountingHandler handler = new CountingHandler();
    private final NeighbourResolver resolver = new NeighbourResolver(
        table, NeighbourParams.linuxDefaults().gcThresh1(0), new SplittableRandom(3), handler);
    private final ArpProcessor arp = new ArpProcessor(resolver);
    private final NdProcessor nd = new NdProcessor(resolver, true);
    private final PortAddresses port = new PortAddresses(0, MAC_B, 2).addIpv4(IPV4_B).addIpv6(IPV6_DOCUMENTATION_HI, 2);

    @AfterEach
    void close()
    {
        table.close();
        arena.close();
    }

    @Test
    void shouldLookUpAnswerLearnResolveAndExpireWithoutAllocating()
    {
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported(), "no per-thread allocation counter");
        threads.setThreadAllocatedMemoryEnabled(true);

        final byte[] arpRequest = CapturedPackets.bytes(CapturedPackets.ARP_REQUEST);
        final byte[] solicitation = CapturedPackets.bytes(CapturedPackets.ICMPV6_NEIGHBOR_SOLICITATION);
        final long frame = arena.allocate(256, 64).address();
        final PacketBurst burst = new PacketBurst(arena, 32);
        final int[] nextHopIp = new int[32];
        final long[] dstMac = new long[32];
        burst.count(32);
        for (int i = 0; i < 32; i++)
        {
            burst.verdict[i] = Verdict.ACCEPT;
            burst.nextHop[i] = 0;
            burst.outPort[i] = 0;
            nextHopIp[i] = i % 2 == 0 ? IPV4_A : 0x0A00_0000 | i;
        }

        long sink = round(0, arpRequest, solicitation, frame, burst, nextHopIp, dstMac);
        final long threadId = Thread.currentThread().threadId();
        final long before = threads.getThreadAllocatedBytes(threadId);
        sink += round(1, arpRequest, solicitation, frame, burst, nextHopIp, dstMac);
        final long allocated = threads.getThreadAllocatedBytes(threadId) - before;

        // NOTE: not assertEquals(0): some runs (2026-11, this machine) count one 160 B or 88 B allocation, in
        // nd.process or doWork at a different iteration each time, scalar replacement on or off, while -Xint
        // counts exactly 0: a one-off of the JIT, not of this code. One object per iteration would count at
        // least 16 B * ITERATIONS.
        assertTrue(allocated < ITERATIONS, "bytes allocated over " + ITERATIONS + " iterations: " + allocated + " (sink " + sink + ")");
        assertTrue(handler.solicits > 0 && handler.drops > 0, "timers fired and resolutions failed");
    }

    private long round(
        final int round, final byte[] arpRequest, final byte[] solicitation, final long frame,
        final PacketBurst burst, final int[] nextHopIp, final long[] dstMac)
    {
        long sink = 0;
        final long startNs = round * 1_000_000L * MS;
        for (int i = 0; i < ITERATIONS; i++)
        {
            // 20 ms a step: a round spans 400 s, so the warm-up round has drawn a reachable time too.
            final long nowNs = startNs + i * 20 * MS;
            MemorySegment.copy(arpRequest, 0, Memory.ALL, ValueLayout.JAVA_BYTE, frame, arpRequest.length);
            sink += arp.process(port, frame, arpRequest.length, nowNs);
            MemorySegment.copy(solicitation, 0, Memory.ALL, ValueLayout.JAVA_BYTE, frame, solicitation.length);
            sink += nd.process(port, frame, solicitation.length, 256, nowNs);
            sink += resolver.resolve(0, 0x0A00_0000 | (i & 63), 1 + i, nowNs);
            sink += resolver.doWork(nowNs);
            sink += resolver.expire(nowNs, 8);
            sink += table.lookupBurst(burst, nextHopIp, dstMac);
            sink += table.lookupMac(0, IPV4_A) + table.lookupMac6(0, IPV6_DOCUMENTATION_HI, 1);
        }
        return sink;
    }

    private static final class CountingHandler implements NeighbourHandler
    {
        long solicits;
        long transmits;
        long drops;

        @Override
        public void solicit(final NeighbourTable table, final int slot, final long dstMac)
        {
            solicits++;
        }

        @Override
        public void transmit(final long packet, final int port, final long dstMac)
        {
            transmits++;
        }

        @Override
        public void drop(final long packet, final int reason)
        {
            drops++;
        }
    }
}
