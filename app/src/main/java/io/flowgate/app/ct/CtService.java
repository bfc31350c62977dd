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
    /** Entries per delete or mark message to the control (each waits for the workers' answer). */
    static final int CHANGE_BATCH = 4096;

    private final ConntrackControl control;
    /** With the XDP fast path: folds the flow map's counters into the table before a list or get; false when it timed out. */
    private volatile java.util.function.BooleanSupplier foldFirst;

    public CtService(final ConntrackControl control)
    {
        this.control = control;
    }

    /**
     * Offloaded connections (docs/xdp-fastpath.md): their packets are counted in the XDP program's map until the agent folds
     * them in; {@code list} and {@code get} ask for a fold first, so the counters are the ones the hosts see.
     */
    public CtService foldFirst(final java.util.function.BooleanSupplier fold)
    {
        this.foldFirst = fold;
        return this;
    }

    private void fold(final ManagementServer.Response response) throws IOException
    {
        final java.util.function.BooleanSupplier fold = foldFirst;
        if (fold != null && !fold.getAsBoolean())
        {
            response.err("flowgate ct: the fast path's counters were not folded in time; offloaded entries may lag by one sync interval");
        }
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
            case LIST ->
            {
                fold(response);
                yield list(response, filter, flags);
            }
            case GET ->
            {
                fold(response);
                yield get(response, filter, flags);
            }
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

    /**
     * Deletes or re-marks what {@code filter} selects. One forEach pass prints each selected entry (as it
     * will be: with its new mark for an update) and notes its id (worker, slot, incarnation, new mark: 16 bytes, not a
     * whole CtEntry, so deleting ten million entries costs 160 MB rather than gigabytes); then the changes
     * go to the control in batches. An entry that vanished in between is printed but not counted.
     */
    private int change(final ManagementServer.Response response, final CtFilter filter, final int flags, final boolean delete,
                       final long markValue, final long markMask) throws IOException
    {
        final Ids ids = new Ids();
        final CtEntry shown = new CtEntry();
        response.holdUpTo(LIST_HOLD_CHARS);
        try
        {
            control.forEach(entry ->
            {
                if (filter.matches(entry))
                {
                    final int mark = delete ? entry.mark : (int)(entry.mark & ~markMask | markValue & markMask);
                    ids.add(entry.worker, entry.index, entry.generation, mark);
                    shown.copyFrom(entry).mark = mark;
                    // conntrack -U prints the entry it read back after the update, with the kernel's use=2.
                    writeOut(response, ConntrackFormat.entry(shown, flags, delete ? 1 : 2));
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
        int changed = 0;
        if (delete)
        {
            final List<CtEntry> batch = new ArrayList<>(CHANGE_BATCH);
            for (int i = 0; i < ids.size; i++)
            {
                batch.add(ids.entry(i));
                if (batch.size() == CHANGE_BATCH || i == ids.size - 1)
                {
                    changed += control.delete(batch);
                    batch.clear();
                }
            }
        }
        else
        {
            // Grouped by new mark (one group unless a mask keeps bits that differ between entries).
            final Map<Integer, List<CtEntry>> byMark = new LinkedHashMap<>();
            for (int i = 0; i < ids.size; i++)
            {
                final List<CtEntry> batch = byMark.computeIfAbsent(ids.mark[i], m -> new ArrayList<>());
                batch.add(ids.entry(i));
                if (batch.size() == CHANGE_BATCH)
                {
                    changed += control.mark(batch, ids.mark[i]);
                    batch.clear();
                }
            }
            for (final Map.Entry<Integer, List<CtEntry>> group : byMark.entrySet())
            {
                if (!group.getValue().isEmpty())
                {
                    changed += control.mark(group.getValue(), group.getKey());
                }
            }
        }
        response.err(ConntrackFormat.summary(changed, delete ? "deleted" : "updated"));
        return changed == 0 ? 1 : 0;
    }

    private int delete(final ManagementServer.Response response, final CtFilter filter, final int flags) throws IOException
    {
        return change(response, filter, flags, true, 0, 0);
    }

    private int update(final ManagementServer.Response response, final CtFilter filter, final int flags) throws IOException
    {
        // In conntrack -U, -m is the new mark (value, or value/mask: the bits of mask take value's bits), not a filter.
        final long value = filter.markValue;
        final long mask = filter.markMask;
        filter.markValue = -1;
        filter.markMask = 0xFFFF_FFFFL;
        return change(response, filter, flags, false, value, mask);
    }

    /** Ids of entries to change, in growable primitive arrays. */
    private static final class Ids
    {
        int size;
        int[] worker = new int[64];
        int[] index = new int[64];
        int[] generation = new int[64];
        int[] mark = new int[64];

        void add(final int w, final int i, final int g, final int m)
        {
            if (size == worker.length)
            {
                final int capacity = size * 2;
                worker = java.util.Arrays.copyOf(worker, capacity);
                index = java.util.Arrays.copyOf(index, capacity);
                generation = java.util.Arrays.copyOf(generation, capacity);
                mark = java.util.Arrays.copyOf(mark, capacity);
            }
            worker[size] = w;
            index[size] = i;
            generation[size] = g;
            mark[size] = m;
            size++;
        }

        CtEntry entry(final int i)
        {
            final CtEntry entry = new CtEntry();
            entry.worker = worker[i];
            entry.index = index[i];
            entry.generation = generation[i];
            entry.mark = mark[i];
            return entry;
        }
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
