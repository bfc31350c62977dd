package io.flowgate.app;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Turns Ctrl-C/SIGTERM into a stop request that a run loop polls, and holds the JVM's shutdown until the
 * run has cleaned up (ports drained and closed, pool checked, EAL cleaned up), for at most 15 s. If the run
 * has not finished by then, the hook runs the fallback clean-up (if any) itself before the JVM exits.
 */
final class StopSignal implements AutoCloseable
{
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread hook;
    private volatile boolean requested;

    StopSignal()
    {
        this(() ->
        {
        });
    }

    /** {@code fallback} must be safe to run concurrently with the run's own clean-up (idempotent, locked). */
    StopSignal(final Runnable fallback)
    {
        hook = Thread.ofPlatform().name("flowgate-shutdown").unstarted(() ->
        {
            requested = true;
            try
            {
                if (!finished.await(15, TimeUnit.SECONDS))
                {
                    fallback.run();
                }
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        });
        Runtime.getRuntime().addShutdownHook(hook);
    }

    boolean requested()
    {
        return requested;
    }

    /** The run has finished cleaning up: lets a pending shutdown go on, or removes the hook. */
    @Override
    public void close()
    {
        finished.countDown();
        try
        {
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        catch (final IllegalStateException shuttingDown)
        {
            // The hook is running (Ctrl-C): it returns now that the run has finished.
        }
    }
}
