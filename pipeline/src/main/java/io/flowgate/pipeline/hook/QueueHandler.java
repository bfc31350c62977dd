package io.flowgate.pipeline.hook;

import io.flowgate.pipeline.burst.PacketBurst;

/**
 * Takes packets that a handler gave the verdict QUEUE: the place of Linux's {@code nf_queue} handler
 * ({@code nfnetlink_queue}). A queued packet leaves the burst; the queue handler owns it and will later
 * reinject it with a verdict of its own (reinjection, Linux {@code nf_reinject}, resumes after
 * {@code registration}).
 * <p>
 * Thread-safety: called by the worker that owns the chain; an implementation that hands packets to
 * another thread does so over its own ring.
 */
public interface QueueHandler
{
    /** The packet was taken. */
    int ENQUEUED = 0;
    /** Nobody listens on that queue number (Linux {@code -ESRCH}): bypass applies. */
    int NO_LISTENER = 1;
    /** The queue exists but cannot take the packet now (full): the packet is dropped, bypass or not. */
    int REFUSED = 2;

    /**
     * Offers packet {@code packet} of {@code burst}, queued at {@code hook} by {@code registration}, to queue
     * {@code queueNumber}.
     *
     * @return {@link #ENQUEUED}, {@link #NO_LISTENER} or {@link #REFUSED}.
     */
    int enqueue(Hook hook, HookRegistration registration, PacketBurst burst, int packet, int queueNumber);
}
