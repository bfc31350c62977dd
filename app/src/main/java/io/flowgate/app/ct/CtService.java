package io.flowgate.app.ct;

import io.flowgate.app.mgmt.ManagementServer;
import io.flowgate.conntrack.ConntrackControl;
import io.flowgate.conntrack.CtEntry;
import io.flowgate.conntrack.CtEvent;
import io.flowgate.conntrack.CtKey;
import io.flowgate.conntrack.CtStats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code ct} service of the management socket: conntrack-tools' operations over a
 * {@link ConntrackControl}, filtered on the server and formatted here, so the client only copies lines.
 * Exit statuses follow conntrack: 1 when {@code get} finds nothing or {@code delete}/{@code update} touch
 * no entry.
 * <p>
 * Thread-safety: one instance serves every connection; it keeps no state of its own.
 */
public final class CtService implements ManagementServer.Handler
{
    public static final String NAME = "ct";
    /** Formatted events held per subscriber while its client reads (about 200 B each). */
    static final int EVENT_QUEUE_LINES = 16384;
    /** Listing text held in memory while forEach runs (16 Mi chars, 16 MiB: about 90k entries of about 180 characters). */
    static final int LIST_HOLD_CHARS = 16 << 20;

    private final ConntrackControl control;

    public CtService(final ConntrackControl control)
    {
        this.control = control;
    }

    @Override
    public int handle(final List<String> args, final ManagementServer.Response response) throws Exception
    {
        final CtRequest request = CtRequest.parse(args);
        if (request.socket != null || request.maxEvents != 0)
        {
            throw new IllegalArgumentException("--socket and --max-events are client options");
        }
        final CtFilter filter = request.filter;
        final int flags = request.outputFlags;
        return switch (request.op)
        {
            case LIST -> list(response, filter, flags);
            case GET -> get(response, filter, flags);
            case DELETE -> delete(response, filter, flags);
            case UPDATE -> update(response, filter, flags);
            case FLUSH ->
            {
                control.flush();
                response.err(ConntrackFormat.flushed());
                yield 0;
            }
            case COUNT ->
            {
                response.out(Long.toString(control.count()));
                yield 0;
            }
            case STATS ->
            {
                final List<CtStats> stats = control.stats();
                for (int cpu = 0; cpu < stats.size(); cpu++)
                {
                    response.out(ConntrackFormat.statsLine(cpu, stats.get(cpu)));
                }
                yield 0;
            }
            case EVENTS -> events(response, filter, flags, request.eventMask);
        };
    }

    private int list(final ManagementServer.Response response, final CtFilter filter, final int flags) throws IOException
    {
        final long[] shown = new long[1];
        // NOTE: forEach is an epoch read over the workers' tables; writing to a slow client inside it would
        // hold back the reclamation of deleted records. Up to LIST_HOLD_CHARS (about 90k entries) the
        // listing is held in memory and written after forEach returns; beyond it, writes may wait for the client.
        response.holdUpTo(LIST_HOLD_CHARS);
        try
        {
            control.forEach(entry ->
            {
                if (filter.matches(entry))
                {
                    writeOut(response, ConntrackFormat.entry(entry, flags, 1));
                    shown[0]++;
                }
            });
        }
        catch (final UncheckedIOException ex)
        {
            throw ex.getCause();
        }
        finally
        {
            response.holdUpTo(0);
        }
        response.err(ConntrackFormat.summary(shown[0], "shown"));
        return 0;
    }

    private int get(final ManagementServer.Response response, final CtFilter filter, final int flags) throws IOException
    {
        final CtEntry entry = control.get(filter.originalKey(new CtKey()));
        if (entry == null)
        {
            response.err(ConntrackFormat.noSuchEntry());
            return 1;
        }
        if (!filter.matches(entry))
        {
            // Found by its reply tuple: conntrack -G then filters it out on the original tuple, as here.
            response.err(ConntrackFormat.summary(0, "shown"));
            return 1;
        }
        // conntrack -G shows use=2: the kernel counts the reference its get holds.
        response.out(ConntrackFormat.entry(entry, flags, 2));
        response.err(ConntrackFormat.summary(1, "shown"));
        return 0;
    }

    private List<CtEntry> matching(final CtFilter filter)
    {
        final List<CtEntry> entries = new ArrayList<>();
        control.forEach(entry ->
        {
            if (filter.matches(entry))
            {
                entries.add(new CtEntry().copyFrom(entry));
            }
        });
        return entries;
    }

    private int delete(final ManagementServer.Response response, final CtFilter filter, final int flags) throws IOException
    {
        final List<CtEntry> entries = matching(filter);
        final int deleted = entries.isEmpty() ? 0 : control.delete(entries);
        for (final CtEntry entry : entries)
        {
            response.out(ConntrackFormat.entry(entry, flags, 1));
        }
        response.err(ConntrackFormat.summary(deleted, "deleted"));
        return deleted == 0 ? 1 : 0;
    }

    private int update(final ManagementServer.Response response, final CtFilter filter, final int flags) throws IOException
    {
        // In conntrack -U, -m is the new mark (value, or value/mask: the bits of mask take value's bits).
        final long value = filter.markValue;
        final long mask = filter.markMask;
        filter.markValue = -1;
        final List<CtEntry> entries = matching(filter);
        final Map<Integer, List<CtEntry>> byMark = new LinkedHashMap<>();
        for (final CtEntry entry : entries)
        {
            final int mark = (int)(entry.mark & ~mask | value & mask);
            byMark.computeIfAbsent(mark, m -> new ArrayList<>()).add(entry);
        }
        int updated = 0;
        for (final Map.Entry<Integer, List<CtEntry>> group : byMark.entrySet())
        {
            updated += control.mark(group.getValue(), group.getKey());
            for (final CtEntry entry : group.getValue())
            {
                entry.mark = group.getKey();
                // conntrack -U prints the entry it read back after the update, with the kernel's use=2.
                response.out(ConntrackFormat.entry(entry, flags, 2));
            }
        }
        response.err(ConntrackFormat.summary(updated, "updated"));
        return updated == 0 ? 1 : 0;
    }

    /**
     * Streams events until the client closes. The listener (the control plane's event thread, shared by
     * every subscriber) only formats and queues; this handler's thread writes, so a client that stops
     * reading loses its own events (counted, and told on stderr once the queue drains) instead of stalling
     * the others. A small daemon thread waits for the client to close its end.
     */
    private int events(final ManagementServer.Response response, final CtFilter filter, final int flags, final int mask)
        throws Exception
    {
        final BlockingQueue<String> queue = new ArrayBlockingQueue<>(EVENT_QUEUE_LINES);
        final AtomicLong lost = new AtomicLong();
        final Thread writer = Thread.currentThread();
        final Thread closeWatch = new Thread(() ->
        {
            response.awaitClientClose();
            writer.interrupt();
        }, "flowgate-mgmt-events-close");
        closeWatch.setDaemon(true);
        try (AutoCloseable subscription = control.events(mask, event ->
        {
            if ((event.type & mask) != 0 && filter.matches(event.entry) && !queue.offer(ConntrackFormat.event(event, flags)))
            {
                lost.incrementAndGet();
            }
        }))
        {
            closeWatch.start();
            // Tells a raw reader (and the tests) that events from now on reach it; the CLI skips notes.
            response.note("subscribed");
            response.flush();
            while (!response.isBroken())
            {
                final String line;
                try
                {
                    line = queue.take();
                }
                catch (final InterruptedException ex)
                {
                    break;
                }
                response.out(line);
                for (String more = queue.poll(); more != null; more = queue.poll())
                {
                    response.out(more);
                }
                final long missed = lost.getAndSet(0);
                if (missed > 0)
                {
                    response.err(ConntrackFormat.PROGRAM + ": WARNING: " + missed + " events lost (the client read too slowly)");
                }
                response.flush();
            }
        }
        catch (final IOException ignored)
        {
            // The client left mid-write: the stream is over.
        }
        finally
        {
            Thread.interrupted();
        }
        return 0;
    }

    private static void writeOut(final ManagementServer.Response response, final String line)
    {
        try
        {
            response.out(line);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }
}
