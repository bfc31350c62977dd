package io.flowgate.stack.api;

import io.flowgate.stack.StackException;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.jctools.queues.MpscArrayQueue;
import org.jctools.queues.MpscUnboundedXaddArrayQueue;

/**
 * How application threads reach the stack thread: a bounded multi-producer queue of control tasks (listen,
 * connect, close: they may allocate, they are not per segment) and of socket nudges (a socket whose
 * application wrote or read: its flag is set once, so a socket is queued at most once, and no allocation
 * happens per write). {@link #drain} runs on the stack thread in every duty cycle.
 * <p>
 * Nudges go through an unbounded queue of pooled chunks (JCTools' xadd queue), so a nudge is never lost however
 * many sockets there are, and steady state allocates nothing: a {@link Nudge} is queued only when its flag goes
 * from clear to set, and the stack clears the flag before it runs it (N1), so a nudge raised while it runs
 * queues it again rather than being missed.
 * <p>
 * Order in {@link #drain}: nudges first, then tasks, so data written before a close is handed to the connection
 * before the close.
 */
public final class CommandQueue
{
    /** Something the stack thread runs when an application thread nudged it; one object per socket, reused. */
    public abstract static class Nudge
    {
        private static final VarHandle QUEUED;

        static
        {
            try
            {
                QUEUED = MethodHandles.lookup().findVarHandle(Nudge.class, "queued", int.class);
            }
            catch (final ReflectiveOperationException e)
            {
                throw new ExceptionInInitializerError(e);
            }
        }

        @SuppressWarnings("unused") // accessed through QUEUED
        private volatile int queued;

        /** On the stack thread. */
        protected abstract void onNudge(long nowNs);
    }

    private static final int NUDGE_CHUNK = 1024;
    private static final int POOLED_CHUNKS = 32; // up to 32k sockets nudged in one duty cycle without allocating

    private final MpscArrayQueue<Runnable> tasks;
    private final MpscUnboundedXaddArrayQueue<Nudge> nudges = new MpscUnboundedXaddArrayQueue<>(NUDGE_CHUNK, POOLED_CHUNKS);
    private volatile Thread stackThread;
    private long lastNowNs;

    public CommandQueue(final int capacity)
    {
        this.tasks = new MpscArrayQueue<>(capacity);
    }

    /** Runs queued tasks and nudges; returns how many. */
    public int drain(final long nowNs)
    {
        if (stackThread == null)
        {
            stackThread = Thread.currentThread();
        }
        lastNowNs = nowNs;
        int work = 0;
        Nudge nudge;
        while ((nudge = nudges.relaxedPoll()) != null)
        {
            Nudge.QUEUED.setVolatile(nudge, 0); // N1: clear before running, pairs with the CAS in nudge()
            nudge.onNudge(nowNs);
            work++;
        }
        Runnable task;
        while ((task = tasks.relaxedPoll()) != null)
        {
            task.run();
            work++;
        }
        return work;
    }

    /** Queues a task; false when the queue is full. */
    public boolean offer(final Runnable task)
    {
        return tasks.offer(task);
    }

    /** Queues {@code nudge} unless it is already queued; any thread, allocation-free. */
    public void nudge(final Nudge nudge)
    {
        if ((int)Nudge.QUEUED.getAcquire(nudge) == 0 && Nudge.QUEUED.compareAndSet(nudge, 0, 1))
        {
            nudges.offer(nudge);
        }
    }

    /** True on the thread that drains (set by the first drain; until then, false on every thread). */
    public boolean onStackThread()
    {
        return stackThread == Thread.currentThread();
    }

    /** True once a drain ran: before that, control calls may run on the caller's thread. */
    public boolean running()
    {
        return stackThread != null;
    }

    /** The time of the drain running now (on the stack thread), else the clock. */
    public long nowNs()
    {
        return onStackThread() ? lastNowNs : System.nanoTime();
    }

    /** A control call's work on the stack thread. */
    @FunctionalInterface
    interface Control<T>
    {
        T run(long nowNs) throws StackException;
    }

    /** How long a control call waits for the stack thread before giving up. */
    static final long CALL_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(5);

    /**
     * Runs {@code control} on the stack thread and returns its answer: at once when called on the stack thread or
     * before the stack runs, otherwise queued and waited for (control calls only: this allocates and blocks).
     */
    <T> T call(final Control<T> control) throws StackException
    {
        if (onStackThread() || !running())
        {
            return control.run(nowNs());
        }
        final CompletableFuture<T> answer = new CompletableFuture<>();
        final Runnable task = () ->
        {
            try
            {
                answer.complete(control.run(lastNowNs));
            }
            catch (final Throwable t)
            {
                answer.completeExceptionally(t);
            }
        };
        final long deadlineNs = System.nanoTime() + CALL_TIMEOUT_NS;
        while (!offer(task))
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                throw new StackException("command queue full: the stack thread is not draining it");
            }
            Thread.onSpinWait();
        }
        try
        {
            return answer.get(Math.max(1, deadlineNs - System.nanoTime()), TimeUnit.NANOSECONDS);
        }
        catch (final TimeoutException e)
        {
            throw new StackException("the stack thread did not answer within " + TimeUnit.NANOSECONDS.toMillis(CALL_TIMEOUT_NS) + " ms");
        }
        catch (final InterruptedException e)
        {
            Thread.currentThread().interrupt();
            throw new StackException("interrupted while waiting for the stack thread");
        }
        catch (final ExecutionException e)
        {
            final Throwable cause = e.getCause();
            if (cause instanceof StackException se)
            {
                throw se;
            }
            if (cause instanceof RuntimeException re)
            {
                throw re;
            }
            if (cause instanceof Error err)
            {
                throw err;
            }
            throw new IllegalStateException(cause);
        }
    }

    /** {@link #call} for calls whose failure is a bug or a stopped stack: unchecked. */
    <T> T callUnchecked(final Control<T> control)
    {
        try
        {
            return call(control);
        }
        catch (final StackException e)
        {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }
}
