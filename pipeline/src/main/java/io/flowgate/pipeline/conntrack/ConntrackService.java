package io.flowgate.pipeline.conntrack;

import io.flowgate.conntrack.Conntrack;
import io.flowgate.conntrack.ConntrackControl;
import io.flowgate.conntrack.ConntrackTable;
import io.flowgate.conntrack.CtEntry;
import io.flowgate.conntrack.CtEvent;
import io.flowgate.conntrack.CtEventRing;
import io.flowgate.conntrack.CtKey;
import io.flowgate.conntrack.CtMailbox;
import io.flowgate.conntrack.CtStats;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The control plane's view of every worker's connection tracker ({@link ConntrackControl}): listings and
 * lookups read the tables lock-free as epoch readers; deletes, flushes and marks are messages to the owning
 * worker ({@link CtMailbox}); events are drained from the workers' rings by one pump thread and handed to
 * the subscribers.
 * <p>
 * Thread-safety: any control thread. Shutdown: {@link #close()} before the tables are freed.
 */
public final class ConntrackService implements ConntrackControl, AutoCloseable
{
    /** Records a listing reads inside one epoch: bounds how long it holds back reclamation on the worker. */
    private static final int RECORDS_PER_EPOCH = 1024;
    private static final long CALL_TIMEOUT_NS = 5_000_000_000L;

    private final List<Conntrack> workers;
    private final List<CtMailbox> mailboxes;
    private final List<CtEventRing> rings;
    private final List<ConntrackTable.Reader> readers = new ArrayList<>();
    private final CtClock clock;
    private final CopyOnWriteArrayList<Subscription> subscribers = new CopyOnWriteArrayList<>();
    private Thread pump;
    private volatile boolean closed;

    public ConntrackService(final List<Conntrack> workers, final List<CtMailbox> mailboxes, final List<CtEventRing> rings, final CtClock clock)
    {
        this.workers = List.copyOf(workers);
        this.mailboxes = List.copyOf(mailboxes);
        this.rings = List.copyOf(rings);
        this.clock = clock;
        for (final Conntrack ct : workers)
        {
            readers.add(ct.table().reader());
        }
    }

    @Override
    public synchronized void forEach(final Consumer<CtEntry> visitor)
    {
        final CtEntry entry = new CtEntry();
        for (int w = 0; w < workers.size(); w++)
        {
            final ConntrackTable.Reader reader = readers.get(w);
            reader.enter();
            try
            {
                final int limit = reader.limit();
                for (int index = 0; index < limit; index++)
                {
                    if (index % RECORDS_PER_EPOCH == 0 && index > 0)
                    {
                        reader.exit();
                        reader.enter();
                    }
                    if (reader.snapshot(index, clock.nowMs(), entry))
                    {
                        entry.worker = w;
                        entry.index = index;
                        visitor.accept(entry);
                    }
                }
            }
            finally
            {
                reader.exit();
            }
        }
    }

    @Override
    public synchronized CtEntry get(final CtKey key)
    {
        for (int w = 0; w < workers.size(); w++)
        {
            final ConntrackTable.Reader reader = readers.get(w);
            reader.enter();
            try
            {
                final int ref = reader.lookup(key);
                final CtEntry entry = new CtEntry();
                if (ref != ConntrackTable.NONE && reader.snapshot(ref >>> 1, clock.nowMs(), entry))
                {
                    entry.worker = w;
                    entry.index = ref >>> 1;
                    return entry;
                }
            }
            finally
            {
                reader.exit();
            }
        }
        return null;
    }

    @Override
    public int delete(final List<CtEntry> entries)
    {
        return byWorker(CtMailbox.DELETE, entries, 0);
    }

    @Override
    public int mark(final List<CtEntry> entries, final int mark)
    {
        return byWorker(CtMailbox.MARK, entries, mark);
    }

    private int byWorker(final int op, final List<CtEntry> entries, final int mark)
    {
        int done = 0;
        for (int w = 0; w < workers.size(); w++)
        {
            final List<CtEntry> mine = new ArrayList<>();
            for (final CtEntry e : entries)
            {
                if (e.worker == w)
                {
                    mine.add(e);
                }
            }
            if (!mine.isEmpty())
            {
                done += answer(w, mailboxes.get(w).call(op, mine.toArray(new CtEntry[0]), mark, CALL_TIMEOUT_NS));
            }
        }
        return done;
    }

    @Override
    public int flush()
    {
        int done = 0;
        for (int w = 0; w < workers.size(); w++)
        {
            done += answer(w, mailboxes.get(w).call(CtMailbox.FLUSH, null, 0, CALL_TIMEOUT_NS));
        }
        return done;
    }

    private static int answer(final int worker, final int result)
    {
        if (result < 0)
        {
            throw new IllegalStateException("conntrack: worker " + worker + " did not answer within " + CALL_TIMEOUT_NS / 1_000_000_000L + " s");
        }
        return result;
    }

    @Override
    public long count()
    {
        long n = 0;
        for (final Conntrack ct : workers)
        {
            n += ct.table().size();
        }
        return n;
    }

    @Override
    public long capacity()
    {
        long n = 0;
        for (final Conntrack ct : workers)
        {
            n += ct.table().capacity();
        }
        return n;
    }

    @Override
    public List<CtStats> stats()
    {
        final List<CtStats> out = new ArrayList<>();
        for (final Conntrack ct : workers)
        {
            final CtStats copy = new CtStats();
            ct.stats().copyTo(copy);
            out.add(copy);
        }
        return out;
    }

    /** The sum of every worker's statistics. */
    public CtStats totals()
    {
        final CtStats sum = new CtStats();
        for (final CtStats s : stats())
        {
            sum.found += s.found;
            sum.invalid += s.invalid;
            sum.ignore += s.ignore;
            sum.insert += s.insert;
            sum.insertFailed += s.insertFailed;
            sum.drop += s.drop;
            sum.earlyDrop += s.earlyDrop;
            sum.error += s.error;
            sum.searchRestart += s.searchRestart;
            sum.clashResolve += s.clashResolve;
            sum.created += s.created;
            sum.delete += s.delete;
            sum.expired += s.expired;
            sum.eventsLost += s.eventsLost;
            sum.chainTooLong += s.chainTooLong;
            sum.icmpError += s.icmpError;
        }
        return sum;
    }

    @Override
    public synchronized AutoCloseable events(final int mask, final Consumer<CtEvent> listener)
    {
        if (closed)
        {
            throw new IllegalStateException("conntrack: stopped");
        }
        final Subscription subscription = new Subscription(mask, listener);
        subscribers.add(subscription);
        updateMask();
        if (pump == null)
        {
            pump = new Thread(this::pump, "flowgate-ct-events");
            pump.setDaemon(true);
            pump.start();
        }
        return () ->
        {
            subscribers.remove(subscription);
            updateMask();
        };
    }

    private synchronized void updateMask()
    {
        int mask = 0;
        for (final Subscription s : subscribers)
        {
            mask |= s.mask;
        }
        for (final CtEventRing ring : rings)
        {
            ring.mask(mask);
        }
    }

    private void pump()
    {
        final Consumer<CtEvent> fanOut = event ->
        {
            for (final Subscription s : subscribers)
            {
                if ((s.mask & event.type) != 0)
                {
                    s.listener.accept(event);
                }
            }
        };
        while (!closed)
        {
            int n = 0;
            for (final CtEventRing ring : rings)
            {
                n += ring.drain(fanOut, 256);
            }
            if (n == 0)
            {
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000L);
            }
        }
    }

    @Override
    public void close()
    {
        closed = true;
        for (final CtEventRing ring : rings)
        {
            ring.mask(0);
        }
        final Thread t = pump;
        if (t != null)
        {
            try
            {
                t.join(1000);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        for (final ConntrackTable.Reader reader : readers)
        {
            reader.close();
        }
        if (t == null || !t.isAlive())
        {
            for (final CtEventRing ring : rings)
            {
                ring.close(); // the workers have stopped (Router.close stops them first) and the pump is gone
            }
        }
    }

    private record Subscription(int mask, Consumer<CtEvent> listener)
    {
    }
}
