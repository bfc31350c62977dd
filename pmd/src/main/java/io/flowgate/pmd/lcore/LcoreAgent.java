package io.flowgate.pmd.lcore;

import io.flowgate.nativebindings.dpdk.Eal;
import io.flowgate.nativebindings.os.Affinity;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.IdleStrategy;

/**
 * Runs an {@link Agent} as a DPDK worker: on its own platform thread, pinned to one CPU with
 * {@code sched_setaffinity} and registered with EAL ({@code rte_thread_register}) before its first
 * {@code doWork()}, unregistered after its last.
 * <p>
 * Why both: threads created after {@code rte_eal_init} inherit its pin to the first core, and an
 * unregistered thread has no lcore id, so it bypasses the mempool caches; either halved forwarding speed
 * in the feasibility run (DESIGN.md).
 * <p>
 * Usage: {@code LcoreAgent.start(eal, cpu, agent, idle)} returns the running {@link AgentRunner};
 * {@code runner.close()} stops it and waits for the thread.
 */
public final class LcoreAgent implements Agent
{
    private final Eal eal;
    private final int cpu;
    private final Agent delegate;
    private volatile int lcoreId = -1;

    private LcoreAgent(final Eal eal, final int cpu, final Agent delegate)
    {
        this.eal = eal;
        this.cpu = cpu;
        this.delegate = delegate;
    }

    public static AgentRunner start(final Eal eal, final int cpu, final Agent agent, final IdleStrategy idleStrategy)
    {
        final LcoreAgent lcoreAgent = new LcoreAgent(eal, cpu, agent);
        final AgentRunner runner = new AgentRunner(idleStrategy, LcoreAgent::reportError, null, lcoreAgent);
        AgentRunner.startOnThread(runner, r -> Thread.ofPlatform().name(lcoreAgent.roleName()).daemon(true).unstarted(r));
        return runner;
    }

    private static void reportError(final Throwable error)
    {
        System.err.println("flowgate: worker error: " + error);
    }

    /** The lcore id EAL gave this worker, -1 before it started. */
    public int lcoreId()
    {
        return lcoreId;
    }

    @Override
    public void onStart()
    {
        Affinity.pinCurrentThread(cpu);
        lcoreId = eal.registerCurrentThread();
        delegate.onStart();
    }

    @Override
    public int doWork() throws Exception
    {
        return delegate.doWork();
    }

    @Override
    public void onClose()
    {
        try
        {
            delegate.onClose();
        }
        finally
        {
            eal.unregisterCurrentThread();
        }
    }

    @Override
    public String roleName()
    {
        return delegate.roleName() + "@cpu" + cpu;
    }
}
