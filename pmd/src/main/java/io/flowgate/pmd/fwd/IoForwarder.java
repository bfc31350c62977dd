package io.flowgate.pmd.fwd;

import io.flowgate.nativebindings.dpdk.Eal;
import io.flowgate.pmd.lcore.LcoreAgent;
import io.flowgate.pmd.port.Port;
import java.util.ArrayList;
import java.util.List;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.IdleStrategy;

/**
 * io forwarding across ports and cores, as testpmd's paired topology: port 2k forwards to 2k+1 and back;
 * an odd last port forwards to itself. Queue q of a port transmits on queue q of its peer, so each
 * transmit queue has exactly one writer. Streams are dealt round-robin to one worker per CPU.
 * <p>
 * Usage: {@code IoForwarder f = IoForwarder.start(eal, ports, cpus, 32, idle);} ... {@code f.close();}
 * <p>
 * Thread-safety: start/close from one control thread; counters from any thread.
 * <p>
 * Shutdown: {@link #close()} stops every worker and waits for its thread to finish its last burst; the
 * ports are then quiet and can be drained and closed.
 */
public final class IoForwarder implements AutoCloseable
{
    private final List<Stream> streams;
    private final List<IoForwardAgent> agents;
    private final List<AgentRunner> runners;

    private IoForwarder(final List<Stream> streams, final List<IoForwardAgent> agents, final List<AgentRunner> runners)
    {
        this.streams = streams;
        this.agents = agents;
        this.runners = runners;
    }

    /** The paired streams over {@code ports}, every receive queue once. */
    public static List<Stream> pairedStreams(final List<? extends Port> ports)
    {
        final List<Stream> streams = new ArrayList<>();
        for (int i = 0; i < ports.size(); i++)
        {
            final Port rx = ports.get(i);
            final Port tx = ports.get((i % 2 == 0) ? Math.min(i + 1, ports.size() - 1) : i - 1);
            for (int q = 0; q < rx.rxQueues(); q++)
            {
                if (q >= tx.txQueues())
                {
                    throw new IllegalArgumentException(rx.name() + " has " + rx.rxQueues() + " rx queues but " + tx.name()
                        + " only " + tx.txQueues() + " tx queues");
                }
                streams.add(new Stream(rx, q, tx, q));
            }
        }
        return streams;
    }

    public static IoForwarder start(final Eal eal, final List<Stream> streams, final int[] cpus, final int burstSize,
                                    final IdleStrategy[] idleStrategies)
    {
        if (cpus.length == 0)
        {
            throw new IllegalArgumentException("no worker CPU given");
        }
        final int workers = Math.min(cpus.length, streams.size());
        final List<List<Stream>> perWorker = new ArrayList<>();
        for (int w = 0; w < workers; w++)
        {
            perWorker.add(new ArrayList<>());
        }
        for (int i = 0; i < streams.size(); i++)
        {
            perWorker.get(i % workers).add(streams.get(i));
        }
        final List<IoForwardAgent> agents = new ArrayList<>();
        final List<AgentRunner> runners = new ArrayList<>();
        for (int w = 0; w < workers; w++)
        {
            final IoForwardAgent agent = new IoForwardAgent("fwd-" + w, perWorker.get(w), burstSize);
            agents.add(agent);
            runners.add(LcoreAgent.start(eal, cpus[w], agent, idleStrategies[w]));
        }
        return new IoForwarder(List.copyOf(streams), agents, runners);
    }

    public List<Stream> streams()
    {
        return streams;
    }

    public int workers()
    {
        return agents.size();
    }

    /** Sum of a counter ({@link ForwardCounters#RX}, {@code TX}, {@code DROP}) over every worker. */
    public long total(final int counter)
    {
        long sum = 0;
        for (final IoForwardAgent agent : agents)
        {
            sum += agent.counters().total(counter);
        }
        return sum;
    }

    public ForwardCounters counters(final int worker)
    {
        return agents.get(worker).counters();
    }

    @Override
    public void close()
    {
        for (final AgentRunner runner : runners)
        {
            runner.close();
        }
    }
}
