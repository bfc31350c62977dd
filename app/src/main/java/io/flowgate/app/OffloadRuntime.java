package io.flowgate.app;

import io.flowgate.xdp.bpf.XdpMode;
import io.flowgate.xdp.bpf.XdpProgram;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The running router's XDP fast path (docs/xdp-fastpath.md): flowgate's program attached to every xsk port's interface,
 * and the agent that moves offload requests into the flow map and folds its counters back into conntrack. Serves
 * {@code flowgate offload status|on|off} and the fold {@code flowgate ct list} asks for first.
 * <p>
 * Thread-safety: the management server's thread and the shutdown call it; every method is synchronized (control plane).
 */
final class OffloadRuntime implements AutoCloseable
{
    /** fg_stats names in {@code enum fg_stat} order (flowgate_xdp.h). */
    static final String[] STAT_NAMES = {"rx", "fast", "miss", "tcp_flags", "fragment", "ttl", "mtu", "other", "redirect_failed",
        "xsk_missing"};

    /**
     * The offload agent as the app drives it (offload's {@code OffloadAgent} behind it): the switch, a fold on demand and its
     * counters. Null until the agent is started.
     */
    interface Agent extends AutoCloseable
    {
        /** Offload on or off: off empties the map with a final fold and clears the OFFLOAD bits (the conntrack table stays). */
        void enabled(boolean on);

        /** Reads the map now and waits until every worker applied the folds (bounded); false when it timed out. */
        boolean foldNow(long timeoutMs);

        /** name=value counters, one line. */
        String counters();

        @Override
        void close();
    }

    /** An interface the program is attached to. */
    record Attached(String port, int portId, String iface, int ifindex, XdpMode mode, boolean zeroCopy)
    {
    }

    private final XdpProgram program;
    private final int maxFlows;
    private final List<Attached> attached = new ArrayList<>();
    private Agent agent;

    OffloadRuntime(final XdpProgram program, final int maxFlows)
    {
        this.program = program;
        this.maxFlows = maxFlows;
    }

    synchronized void attached(final Attached a)
    {
        attached.add(a);
    }

    synchronized void agent(final Agent agent)
    {
        this.agent = agent;
    }

    XdpProgram program()
    {
        return program;
    }

    /** The switch: the program on every interface and the agent (which stops requests and empties the map when off). */
    synchronized void enabled(final boolean on)
    {
        // The agent swaps the program itself (off: program first, then a final fold and the map emptied); the call on
        // the program after it is then a no-op, and the switch without an agent.
        if (agent != null)
        {
            agent.enabled(on);
        }
        program.fastPath(on);
    }

    synchronized boolean enabled()
    {
        return program.fastPath();
    }

    /** Before {@code ct list}: the map's counters folded into conntrack. True when there is nothing to wait for or it completed. */
    synchronized boolean foldNow(final long timeoutMs)
    {
        return agent == null || agent.foldNow(timeoutMs);
    }

    /** {@code flowgate offload status}. */
    synchronized List<String> status()
    {
        final List<String> lines = new ArrayList<>();
        lines.add("offload " + (program.fastPath() ? "on" : "off") + " program " + (program.fastPath() ? "fg_fastpath" : "fg_xsk") + " id "
            + program.programId());
        for (final Attached a : attached)
        {
            lines.add(String.format(Locale.ROOT, "interface %s ifindex %d port %s (id %d) mode %s %s", a.iface(), a.ifindex(), a.port(),
                a.portId(), a.mode().name().toLowerCase(Locale.ROOT), a.zeroCopy() ? "zero-copy" : "copy"));
        }
        lines.add(statsLine(program.stats()));
        final int[] used = {0};
        program.flows().forEach(f -> used[0]++);
        lines.add("flows map " + used[0] + "/" + maxFlows);
        lines.add("agent " + (agent == null ? "not running" : agent.counters()));
        return lines;
    }

    static String statsLine(final long[] stats)
    {
        final StringBuilder b = new StringBuilder("fg_stats");
        for (int i = 0; i < stats.length; i++)
        {
            b.append(' ').append(i < STAT_NAMES.length ? STAT_NAMES[i] : "stat" + i).append('=').append(stats[i]);
        }
        return b.toString();
    }

    /** Stops the agent (final fold), detaches from every interface and closes the program. */
    @Override
    public synchronized void close()
    {
        try
        {
            if (agent != null)
            {
                agent.close();
            }
        }
        finally
        {
            program.close();
        }
    }
}
