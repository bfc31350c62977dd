package io.flowgate.pipeline.rules.queue;

import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.HookRegistration;
import io.flowgate.pipeline.hook.QueueHandler;
import org.agrona.collections.Int2ObjectHashMap;

/**
 * One worker's {@link QueueHandler} (give it to the worker's {@code HookChain}): takes the packets its handlers
 * queue, and in the worker's duty cycle ({@link #drain}) applies the verdicts that came back.
 * <p>
 * Thread-safety: {@link #enqueue} and {@link #drain} on the worker only. The queues it knows are published by
 * {@link PacketQueues#listen} (any control thread) with a volatile store, read once per call.
 */
public final class WorkerQueue implements QueueHandler
{
    /** Verdicts applied per queue per {@link #drain}: bounds the time a duty cycle spends reinjecting. */
    public static final int DRAIN_LIMIT = 256;
    private static final QueueChannel[] NONE = new QueueChannel[0];

    final int worker;
    private volatile Int2ObjectHashMap<QueueChannel> byNumber = new Int2ObjectHashMap<>();
    private volatile QueueChannel[] channels = NONE;

    WorkerQueue(final int worker)
    {
        this.worker = worker;
    }

    /** Control path (under PacketQueues' lock): adds the channel of a new listener. */
    void add(final QueueChannel channel)
    {
        final Int2ObjectHashMap<QueueChannel> copy = new Int2ObjectHashMap<>(byNumber);
        copy.put(channel.queueNumber, channel);
        final QueueChannel[] grown = java.util.Arrays.copyOf(channels, channels.length + 1);
        grown[grown.length - 1] = channel;
        channels = grown;
        byNumber = copy;   // R1: the channel is fully built before it is visible; pairs with A1 in enqueue
    }

    @Override
    public int enqueue(final Hook hook, final HookRegistration registration, final PacketBurst burst, final int packet,
                       final int queueNumber)
    {
        final QueueChannel channel = byNumber.get(queueNumber);   // A1: pairs with R1 in add
        if (channel == null || channel.closed)
        {
            return NO_LISTENER;
        }
        return channel.offer(hook, registration, burst, packet) ? ENQUEUED : REFUSED;
    }

    /**
     * Worker, once per duty cycle: applies the verdicts given since the last call (DROP frees the packet, ACCEPT
     * hands it to {@code reinjector}), then lets the reinjector flush. Returns the verdicts applied.
     */
    public int drain(final Reinjector reinjector)
    {
        final QueueChannel[] channels = this.channels;
        int work = 0;
        for (int c = 0; c < channels.length; c++)
        {
            work += channels[c].drain(reinjector, DRAIN_LIMIT);
        }
        if (work > 0)
        {
            reinjector.flushReinjected();
        }
        return work;
    }

    /** Worker: packets this worker holds in all its queues now. */
    public int held()
    {
        int held = 0;
        for (final QueueChannel channel : channels)
        {
            held += channel.held();
        }
        return held;
    }

    int freeAll()
    {
        int freed = 0;
        for (final QueueChannel channel : channels)
        {
            freed += channel.freeAll();
        }
        return freed;
    }

    QueueChannel[] channels()
    {
        return channels;
    }
}
