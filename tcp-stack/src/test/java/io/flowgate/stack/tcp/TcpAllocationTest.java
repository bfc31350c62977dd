package io.flowgate.stack.tcp;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/** No allocation per segment: the bytes this thread allocates stay flat over 10,000 segments of bulk transfer. */
class TcpAllocationTest
{
    private static long pump(final TestWire w, final TcpCoreTest.Pair p, final byte[] chunk, final byte[] sink,
                             final long segments)
    {
        final long end = w.a.tcp.counter(TcpCounters.OUT_SEGS) + segments;
        long received = 0;
        while (w.a.tcp.counter(TcpCounters.OUT_SEGS) < end)
        {
            if (p.client.sendBuffer().write(chunk, 0, chunk.length) > 0)
            {
                p.client.appSend(w.now);
            }
            w.step();
            int n;
            while ((n = p.server.receiveBuffer().read(sink, 0, sink.length)) > 0)
            {
                received += n;
            }
            p.server.appReceived(w.now);
        }
        return received;
    }

    @Test
    void bulkTransferAllocatesNothingPerSegment() throws Exception
    {
        final com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        try (TestWire w = new TestWire(TestWire.small()))
        {
            final TcpCoreTest.Pair p = new TcpCoreTest.Pair(w, false);
            w.quiet = true;
            w.lossRate = 0.005; // recovery paths too
            final byte[] chunk = new byte[16 << 10];
            final byte[] sink = new byte[64 << 10];
            pump(w, p, chunk, sink, 20_000); // warm: pools, lists and JIT settle
            final long before = mx.getCurrentThreadAllocatedBytes();
            final long received = pump(w, p, chunk, sink, 10_000);
            final long allocated = mx.getCurrentThreadAllocatedBytes() - before;
            assertTrue(received > 5_000_000, "bulk data flowed: " + received);
            assertTrue(allocated < 16 << 10, "allocated " + allocated + " bytes over 10,000 segments");
        }
    }
}
