package io.flowgate.stack.tcp;

import io.flowgate.stack.InetAddr;
import io.flowgate.stack.cc.CongestionControl;
import io.flowgate.stack.cc.CongestionState;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The per-segment methods of this part allocate nothing (measured with the thread's allocation counter). */
class NoAllocationTest
{
    private static final long PEER = InetAddr.v4(0x0A000001);
    private static final long US = InetAddr.v4(0x0A000002);

    private final TcpOptions options = new TcpOptions();
    private final SackScoreboard board = new SackScoreboard(16);
    private final SynCookies cookies = new SynCookies(1);
    private final Isn isn = new Isn(2);
    private final RttEstimator rtt = new RttEstimator(1_000_000_000L, 200_000_000L, 120_000_000_000L);
    private final CongestionControl cubic = CongestionControl.create("cubic");
    private final CongestionControl reno = CongestionControl.create("reno");
    private final CongestionState cs = new CongestionState();
    private final CongestionState rs = new CongestionState();
    private final int[] left = {1100, 1300, 1500};
    private final int[] right = {1200, 1400, 1600};
    private long sink;

    private void segment(final long tcp, final int i)
    {
        final long now = i * 1_000_000L;
        final int n = TcpOptions.write(tcp + 20, true, i, i, left, right, 3);
        io.flowgate.nativebindings.Memory.putByte(tcp + 12, (byte)(((20 + n) >>> 2) << 4));
        sink += options.parse(tcp, false) ? options.tsVal : 0;
        sink += TcpOptions.writeSyn(tcp + 20, 1460, true, true, i, 0, 7);
        board.update(1000, 2000, left, right, 3);
        sink += board.pipe(1000, 2000, 100, 3);
        sink += board.nextSegment(1000, 2000, 1000, 100, 3, true);
        sink += board.isLost(1000, 100, 3) ? 1 : 0;
        board.clear();
        final int c = cookies.generate(0, PEER, 0, US, 1, 2, i, 1460, now);
        sink += cookies.check(0, PEER, 0, US, 1, 2, i, c, now);
        sink += isn.isn(0, US, 0, PEER, 2, 1, now);
        rtt.sample(10_000 + (i & 1023));
        sink += rtt.rtoNs();
        cubic.packetsAcked(cs, 1, 10_000, now);
        cubic.congestionAvoid(cs, 1, now);
        reno.congestionAvoid(rs, 1, now);
        if ((i & 4095) == 0)
        {
            cs.cwnd = Math.max(2, cubic.ssthresh(cs));
            rs.cwnd = Math.max(2, reno.ssthresh(rs));
        }
    }

    @Test
    void shouldNotAllocatePerSegment()
    {
        final com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        org.junit.jupiter.api.Assertions.assertTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled());
        cs.cwnd = 10;
        cs.cwndLimited = true;
        rs.cwnd = 10;
        rs.cwndLimited = true;
        cubic.init(cs, 0);
        reno.init(rs, 0);
        try (Arena arena = Arena.ofConfined())
        {
            final long tcp = arena.allocate(60, 8).address();
            for (int i = 0; i < 50_000; i++)
            {
                segment(tcp, i);
            }
            final long id = Thread.currentThread().threadId();
            final long before = threads.getThreadAllocatedBytes(id);
            for (int i = 50_000; i < 150_000; i++)
            {
                segment(tcp, i);
            }
            final long allocated = threads.getThreadAllocatedBytes(id) - before;
            assertEquals(0, allocated, "bytes allocated over 100000 segments");
        }
    }
}
