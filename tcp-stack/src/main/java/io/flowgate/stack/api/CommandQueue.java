package io.flowgate.stack.api;

/**
 * How application threads reach the stack thread: a bounded multi-producer queue of control tasks (listen,
 * connect, close: they may allocate, they are not per segment) and of socket nudges (a socket whose
 * application wrote or read: its flag is set once, so a socket is queued at most once, and no allocation
 * happens per write). {@link #drain} runs on the stack thread in every duty cycle. Contract skeleton: built by the api part.
 */
public final class CommandQueue
{
    public CommandQueue(final int capacity)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Runs queued tasks and nudges; returns how many. */
    public int drain(final long nowNs)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** Queues a task; false when the queue is full. */
    public boolean offer(final Runnable task)
    {
        throw new UnsupportedOperationException("contract");
    }

    /** True on the thread that drains (set by the first drain; until then, false on every thread). */
    public boolean onStackThread()
    {
        throw new UnsupportedOperationException("contract");
    }

    /** True once a drain ran: before that, control calls may run on the caller's thread. */
    public boolean running()
    {
        throw new UnsupportedOperationException("contract");
    }
}
