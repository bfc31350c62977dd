package io.flowgate.app.ct;

import io.flowgate.conntrack.ConntrackControl;
import io.flowgate.conntrack.CtEntry;
import io.flowgate.conntrack.CtEvent;
import io.flowgate.conntrack.CtKey;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStats;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * A test double of {@link ConntrackControl} (our own interface, so a hand-written double rather than the
 * real table): a list of entries, and events published by {@link #publish}. Records what the control plane
 * asked of it so tests can check that delete, flush and mark reached it.
 */
public final class InMemoryConntrackControl implements ConntrackControl
{
    public final List<CtEntry> entries = new CopyOnWriteArrayList<>();
    public final List<CtStats> stats = new ArrayList<>();
    public final List<Subscription> subscriptions = new CopyOnWriteArrayList<>();
    public volatile int flushes;
    public volatile int lastMark = -1;

    public static final class Subscription implements AutoCloseable
    {
        final int mask;
        final Consumer<CtEvent> listener;
        public volatile boolean closed;

        Subscription(final int mask, final Consumer<CtEvent> listener)
        {
            this.mask = mask;
            this.listener = listener;
        }

        @Override
        public void close()
        {
            closed = true;
        }
    }

    public InMemoryConntrackControl add(final CtEntry entry)
    {
        entry.index = entries.size();
        entries.add(entry);
        return this;
    }

    /** Delivers an event to every open subscription whose mask takes it, as the control thread would. */
    public void publish(final CtEvent event)
    {
        for (final Subscription subscription : subscriptions)
        {
            if (!subscription.closed && (subscription.mask & event.type) != 0)
            {
                subscription.listener.accept(event);
            }
        }
    }

    @Override
    public void forEach(final Consumer<CtEntry> visitor)
    {
        final CtEntry reused = new CtEntry();
        for (final CtEntry entry : entries)
        {
            visitor.accept(reused.copyFrom(entry));
        }
    }

    @Override
    public CtEntry get(final CtKey key)
    {
        for (final CtEntry entry : entries)
        {
            for (int dir = 0; dir < 2; dir++)
            {
                if (entry.family == key.family && entry.protocol == key.protocol && entry.zone == key.zone &&
                    entry.srcHi[dir] == key.srcHi && entry.srcLo[dir] == key.srcLo && entry.dstHi[dir] == key.dstHi &&
                    entry.dstLo[dir] == key.dstLo && entry.srcPort[dir] == key.srcPort && entry.dstPort[dir] == key.dstPort)
                {
                    return new CtEntry().copyFrom(entry);
                }
            }
        }
        return null;
    }

    @Override
    public int delete(final List<CtEntry> victims)
    {
        int deleted = 0;
        for (final CtEntry victim : victims)
        {
            if (entries.removeIf(e -> e.worker == victim.worker && e.index == victim.index && e.generation == victim.generation))
            {
                deleted++;
            }
        }
        return deleted;
    }

    @Override
    public int flush()
    {
        flushes++;
        final int count = entries.size();
        entries.clear();
        return count;
    }

    @Override
    public int mark(final List<CtEntry> targets, final int mark)
    {
        lastMark = mark;
        int updated = 0;
        for (final CtEntry target : targets)
        {
            for (final CtEntry entry : entries)
            {
                if (entry.worker == target.worker && entry.index == target.index && entry.generation == target.generation)
                {
                    entry.mark = mark;
                    updated++;
                }
            }
        }
        return updated;
    }

    @Override
    public long count()
    {
        return entries.size();
    }

    @Override
    public long capacity()
    {
        return 65536;
    }

    @Override
    public List<CtStats> stats()
    {
        return stats;
    }

    @Override
    public AutoCloseable events(final int mask, final Consumer<CtEvent> listener)
    {
        final Subscription subscription = new Subscription(mask, listener);
        subscriptions.add(subscription);
        return subscription;
    }

    /** An IPv4 entry whose reply tuple is the original reversed (no NAT). */
    public static CtEntry ipv4(final int protocol, final String src, final String dst, final int sport, final int dport)
    {
        final CtEntry entry = new CtEntry();
        entry.family = CtRecord.FAMILY_IPV4;
        entry.protocol = protocol;
        entry.srcLo[0] = v4(src);
        entry.dstLo[0] = v4(dst);
        entry.srcPort[0] = sport;
        entry.dstPort[0] = dport;
        entry.srcLo[1] = v4(dst);
        entry.dstLo[1] = v4(src);
        entry.srcPort[1] = dport;
        entry.dstPort[1] = sport;
        return entry;
    }

    public static long v4(final String dotted)
    {
        final String[] parts = dotted.split("\\.");
        long value = 0;
        for (final String part : parts)
        {
            value = value << 8 | Integer.parseInt(part);
        }
        return value;
    }
}
