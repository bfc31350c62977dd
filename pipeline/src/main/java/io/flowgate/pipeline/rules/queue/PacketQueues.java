package io.flowgate.pipeline.rules.queue;

import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.HookPriority;
import java.util.ArrayList;
import java.util.List;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * nft's {@code queue} on flowgate: packets a rule queues are held by their worker and shown to Java code
 * ({@link PacketQueueHandler}) on a thread of their queue number, which gives each its verdict later; the worker
 * then frees it (DROP) or continues it after the rule that queued it (ACCEPT, Linux {@code nf_reinject}).
 * <p>
 * Usage: build one per router with the number of workers; give {@link #worker(int)} to each worker (its HookChain's
 * queue handler, and its duty cycle calls {@link WorkerQueue#drain}); {@link #listen} binds a handler to a queue
 * number (as a program binds to an nfnetlink_queue); until then a queue verdict finds no listener (dropped, or
 * accepted with {@code bypass}). Per worker per queue number there is a bounded queue of {@code maxlen} packets (Linux's
 * {@code queue_maxlen}); when full, the packet is dropped (QueueHandler.REFUSED, counted; bypass does not apply, as
 * nfnetlink_queue without {@code fail-open}).
 * <p>
 * Where a queue is sound ({@link #supported}): at PREROUTING before defragmentation (priority below
 * {@code CONNTRACK_DEFRAG}, -400). Reinjection runs the rest of the hook and the whole data path after it; the
 * packet holds no state of the worker's while it waits. Elsewhere it would: from defragmentation on, a reassembled
 * datagram is marked by its burst position (lost in the queue); from conntrack on (-200), a NEW packet holds an
 * unconfirmed entry that the worker frees at the end of its burst ({@code Conntrack.endBurst}); after routing, the
 * worker's per-burst route and next-hop state and stages that change the packet (TTL decrement at forwarding) would
 * have to be resumed without running twice. The rule engine refuses {@code queue} elsewhere with a clear error.
 * <p>
 * Thread-safety: {@link #listen} and {@link #close} from control threads; each queue number has its own thread
 * calling its handler; verdicts from any thread.
 * <p>
 * Shutdown: stop the workers first, then {@link #close}: it stops the queue threads and frees every packet still
 * held (counted). Verdicts after that are refused.
 */
public final class PacketQueues implements AutoCloseable
{
    /** Linux's default {@code queue_maxlen} (NFQNL_QMAX_DEFAULT). */
    public static final int DEFAULT_MAXLEN = 1024;

    private final WorkerQueue[] workers;
    private final List<Listener> listeners = new ArrayList<>();
    private boolean closed;

    public PacketQueues(final int workers)
    {
        this.workers = new WorkerQueue[workers];
        for (int w = 0; w < workers; w++)
        {
            this.workers[w] = new WorkerQueue(w);
        }
    }

    /** Whether a {@code queue} verdict of a base chain at {@code hook} with {@code priority} can be reinjected soundly. */
    public static boolean supported(final Hook hook, final int priority)
    {
        return hook == Hook.PREROUTING && priority < HookPriority.CONNTRACK_DEFRAG;
    }

    /** Why {@link #supported} refuses, for the engine's error message. */
    public static String unsupportedReason(final Hook hook, final int priority)
    {
        return "queue is supported only at hook prerouting with priority below " + HookPriority.CONNTRACK_DEFRAG
            + " (before defragmentation and conntrack), not at " + hook.name().toLowerCase() + " priority " + priority;
    }

    public WorkerQueue worker(final int worker)
    {
        return workers[worker];
    }

    /**
     * Control path: binds {@code handler} to {@code queueNumber} on every worker, each holding at most {@code maxlen}
     * packets, and starts the queue's thread.
     */
    public synchronized void listen(final int queueNumber, final int maxlen, final PacketQueueHandler handler)
    {
        if (closed)
        {
            throw new IllegalStateException("closed");
        }
        if (queueNumber < 0 || queueNumber > 0xFFFF)
        {
            throw new IllegalArgumentException("queue number must be 0..65535: " + queueNumber);
        }
        for (final Listener l : listeners)
        {
            if (l.queueNumber == queueNumber)
            {
                throw new IllegalStateException("queue " + queueNumber + " already has a listener");
            }
        }
        final QueueChannel[] channels = new QueueChannel[workers.length];
        for (int w = 0; w < workers.length; w++)
        {
            channels[w] = new QueueChannel(w, queueNumber, maxlen);
        }
        final Listener listener = new Listener(queueNumber, channels, handler);
        listeners.add(listener);
        listener.thread.start();
        for (int w = 0; w < workers.length; w++)
        {
            workers[w].add(channels[w]);
        }
    }

    /**
     * Any thread: a counter of queue {@code queueNumber} summed over the workers: {@code "enqueued"}, {@code "refused"},
     * {@code "accepted"}, {@code "dropped"}, {@code "unknown_verdicts"}, {@code "freed_at_close"},
     * {@code "verdict_ring_full"}, {@code "handler_errors"}. Worker-written counters are read racily (monotonic).
     */
    public synchronized long counter(final int queueNumber, final String name)
    {
        for (final Listener l : listeners)
        {
            if (l.queueNumber == queueNumber)
            {
                if (name.equals("handler_errors"))
                {
                    return l.handlerErrors;
                }
                long sum = 0;
                for (final QueueChannel c : l.channels)
                {
                    sum += switch (name)
                    {
                        case "enqueued" -> c.counter(QueueChannel.ENQUEUED);
                        case "refused" -> c.counter(QueueChannel.REFUSED);
                        case "accepted" -> c.counter(QueueChannel.ACCEPTED);
                        case "dropped" -> c.counter(QueueChannel.DROPPED);
                        case "unknown_verdicts" -> c.counter(QueueChannel.UNKNOWN_VERDICTS);
                        case "freed_at_close" -> c.counter(QueueChannel.FREED_AT_CLOSE);
                        case "verdict_ring_full" -> c.verdictRingFull.get();
                        default -> throw new IllegalArgumentException("no counter " + name);
                    };
                }
                return sum;
            }
        }
        return 0;
    }

    /** Stops the queue threads, then frees the packets still held (the workers must have stopped). */
    @Override
    public synchronized void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        for (final Listener l : listeners)
        {
            l.running = false;
        }
        for (final Listener l : listeners)
        {
            try
            {
                l.thread.join();
            }
            catch (final InterruptedException e)
            {
                Thread.currentThread().interrupt();
            }
        }
        for (final WorkerQueue w : workers)
        {
            w.freeAll();
        }
    }

    /** The thread of one queue number: polls every worker's ring of that number and calls the handler. */
    private static final class Listener implements Runnable
    {
        final int queueNumber;
        final QueueChannel[] channels;
        final PacketQueueHandler handler;
        final Thread thread;
        volatile boolean running = true;
        volatile long handlerErrors;

        Listener(final int queueNumber, final QueueChannel[] channels, final PacketQueueHandler handler)
        {
            this.queueNumber = queueNumber;
            this.channels = channels;
            this.handler = handler;
            this.thread = new Thread(this, "flowgate-queue-" + queueNumber);
            this.thread.setDaemon(true);
        }

        @Override
        public void run()
        {
            final IdleStrategy idle = new BackoffIdleStrategy(1, 10, 1_000, 1_000_000);
            while (running)
            {
                int work = 0;
                for (final QueueChannel c : channels)
                {
                    for (int k = 0; k < 64; k++)
                    {
                        final QueuedPacket packet = c.poll();
                        if (packet == null)
                        {
                            break;
                        }
                        work++;
                        deliver(packet);
                    }
                }
                idle.idle(work);
            }
        }

        private void deliver(final QueuedPacket packet)
        {
            try
            {
                handler.onPacket(packet);
            }
            catch (final RuntimeException | Error e)
            {
                handlerErrors = handlerErrors + 1;   // one writer (this thread); the packet waits for a verdict all the same
            }
        }
    }
}
