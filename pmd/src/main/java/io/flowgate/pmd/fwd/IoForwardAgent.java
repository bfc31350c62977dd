package io.flowgate.pmd.fwd;

import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.pmd.port.MbufBurst;
import io.flowgate.pmd.port.Port;
import java.lang.foreign.Arena;
import java.util.List;
import org.agrona.concurrent.Agent;

/**
 * io forwarding on one core (testpmd's {@code io} mode): for each of its streams, receive a burst and
 * transmit it unchanged on the paired port; what the transmit queue refuses is freed and counted as a
 * drop. No packet byte is read or written.
 * <p>
 * Thread-safety: one thread (its {@code AgentRunner}); counters are read from any thread.
 * <p>
 * Hot path: two critical downcalls per non-empty burst, one per empty poll; nothing allocated
 * ({@code IoForwardBenchmark}, {@code -prof gc}).
 */
public final class IoForwardAgent implements Agent
{
    private final String roleName;
    private final Port[] rxPorts;
    private final int[] rxQueues;
    private final Port[] txPorts;
    private final int[] txQueues;
    private final MbufBurst burst;
    private final long burstAddress;
    private final int burstSize;
    private final ForwardCounters counters;
    private final Arena arena;

    public IoForwardAgent(final String roleName, final List<Stream> streams, final int burstSize)
    {
        this.roleName = roleName;
        final int n = streams.size();
        this.rxPorts = new Port[n];
        this.rxQueues = new int[n];
        this.txPorts = new Port[n];
        this.txQueues = new int[n];
        for (int i = 0; i < n; i++)
        {
            final Stream s = streams.get(i);
            rxPorts[i] = s.rxPort();
            rxQueues[i] = s.rxQueue();
            txPorts[i] = s.txPort();
            txQueues[i] = s.txQueue();
        }
        // Shared arena: allocated on the control thread, used by the worker thread.
        this.arena = Arena.ofShared();
        this.burst = new MbufBurst(arena, burstSize);
        this.burstAddress = burst.address();
        this.burstSize = burstSize;
        this.counters = new ForwardCounters(n);
    }

    public ForwardCounters counters()
    {
        return counters;
    }

    @Override
    public int doWork()
    {
        final Port[] rxPorts = this.rxPorts;
        final int[] rxQueues = this.rxQueues;
        final Port[] txPorts = this.txPorts;
        final int[] txQueues = this.txQueues;
        final long burst = this.burstAddress;
        final int burstSize = this.burstSize;
        int work = 0;
        for (int i = 0; i < rxPorts.length; i++)
        {
            final int received = rxPorts[i].receive(rxQueues[i], burst, burstSize);
            if (received == 0)
            {
                continue;
            }
            final int sent = txPorts[i].transmit(txQueues[i], burst, received);
            if (sent < received)
            {
                Mbuf.freeBulk(burst + 8L * sent, received - sent);
            }
            counters.addBurst(i, received, sent);
            work += received;
        }
        return work;
    }

    @Override
    public void onClose()
    {
        arena.close();
    }

    @Override
    public String roleName()
    {
        return roleName;
    }
}
