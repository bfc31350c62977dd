package io.flowgate.pipeline.hook;

import io.flowgate.pipeline.burst.PacketBurst;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.List;

/**
 * The netfilter hook chain of one worker: per hook, the registered handlers ordered by priority, run over
 * a burst with the verdict semantics of Linux's {@code nf_hook_slow} ({@code net/netfilter/core.c}).
 * <p>
 * Usage: the control plane registers handlers ({@link #register}); the worker calls {@link #run} at each
 * hook of the data path, and {@link #runAfter} for packets a queue handler reinjects (the handlers after the one
 * that queued them). On entry a packet takes part when its {@code burst.verdict} is ACCEPT; on exit
 * each of those packets has exactly one outcome in {@code burst.verdict}:
 * <ul>
 *   <li>ACCEPT: every handler accepted it, or one said STOP, or it was queued with bypass and nobody
 *   listened; the data path continues with it;</li>
 *   <li>DROP: a handler dropped it, or it was queued and could not be, or it repeated too often, or a
 *   handler returned a value that is no verdict; {@code burst.reason} says which; the worker's tail frees it;</li>
 *   <li>STOLEN: a handler took it; nobody else touches it;</li>
 *   <li>QUEUE: the {@link QueueHandler} took it; nobody else touches it.</li>
 * </ul>
 * Per packet, the handlers of a hook run in priority order and a packet meets the next handler only when
 * the previous one accepted it, as in Linux. Across packets the order is the burst's: handler 1 decides on
 * the whole burst before handler 2 sees any of it.
 * <p>
 * Verdicts, as {@code nf_hook_slow} does, and for REPEAT and STOP as older kernels did in its loop
 * {@code nf_iterate} (current kernels no longer handle either in the hook core: conntrack repeats inside
 * {@code nf_conntrack_in}, and STOP is only a reserved uapi value):
 * <pre>
 *   ACCEPT  next handler
 *   DROP    stop; the packet is dropped
 *   STOLEN  stop; the handler owns the packet
 *   QUEUE   stop; the packet goes to the queue handler; if none listens: dropped, or with the bypass
 *           flag treated as ACCEPT (nf_queue returns -ESRCH, nf_hook_slow continues)
 *   REPEAT  call the same handler again for this packet
 *   STOP    accept, and skip the remaining handlers of this hook
 * </pre>
 * REPEAT is bounded: after {@link #MAX_REPEATS} repeated calls of one handler for one packet, a further
 * REPEAT drops the packet ({@link #REPEAT_LIMIT_DROPS}). Linux never bounds it, relying on its handlers to
 * converge (conntrack repeats once after replacing a stale TCP entry) and on the soft-lockup watchdog
 * otherwise; a run-to-completion worker cannot afford one packet spinning: every packet of its queue would
 * wait behind it, so a faulty handler costs one packet, not the core.
 * <p>
 * Ordering among handlers of equal priority: a new handler goes before the existing handlers of the same
 * priority, as {@code nf_hook_entries_grow} inserts it ({@code reg->priority > orig_ops[i]->priority} is
 * the only case in which it moves past an existing entry): the one registered last runs first.
 * <p>
 * Thread-safety: {@link #run} is called only by the owning worker (it uses scratch arrays of this chain).
 * {@link #register}, {@link #unregister} and {@link #queueHandler(QueueHandler)} may be called from any
 * control thread: each hook's handlers are an immutable array, replaced copy-on-write under a lock and
 * published with a release store; the worker reads it with an acquire load once per burst. An old array is
 * reclaimed by the garbage collector once the worker has let go of it, which is fine on the control path.
 * NOTE: a handler may still be called for the burst in progress when {@link #unregister} returns; a handler
 * that owns resources frees them only after the worker has passed a quiescent point (the worker's epoch).
 * Counters may be read from any thread.
 * <p>
 * Shutdown: nothing to close; unregistered handlers are simply no longer called.
 */
public final class HookChain
{
    /** Repeated calls of one handler for one packet before a further REPEAT drops it. */
    public static final int MAX_REPEATS = 16;
    /** Handlers per hook, Linux's {@code MAX_HOOK_COUNT}. */
    public static final int MAX_HANDLERS = 1024;

    /** Per-hook counters: packets that entered the hook with verdict ACCEPT. */
    public static final int PACKETS_IN = 0;
    /** Packets that left with ACCEPT (all handlers accepted, STOP, or bypassed queue). */
    public static final int ACCEPTED = 1;
    /** Packets that left with DROP, for whatever reason (the next three are parts of it). */
    public static final int DROPPED = 2;
    public static final int STOLEN = 3;
    public static final int QUEUED = 4;
    /** Dropped because one handler repeated more than {@link #MAX_REPEATS} times. */
    public static final int REPEAT_LIMIT_DROPS = 5;
    /** Dropped because the queue handler was missing or refused, without bypass. */
    public static final int QUEUE_DROPS = 6;
    /** Dropped because a handler returned a value that is no verdict. */
    public static final int BAD_VERDICT_DROPS = 7;
    /** Queued with bypass while nobody listened, and so accepted. */
    public static final int QUEUE_BYPASSES = 8;
    public static final int COUNTERS = 9;

    /** {@code burst.reason} of a packet a handler dropped: Linux {@code SKB_DROP_REASON_NETFILTER_DROP}. */
    public static final int REASON_NETFILTER_DROP = 32;
    /** {@code burst.reason} of a packet that could not be queued (Linux: NETFILTER_DROP from nf_queue). */
    public static final int REASON_QUEUE_DROP = 33;
    /** {@code burst.reason} of a packet dropped by the REPEAT bound (flowgate only). */
    public static final int REASON_REPEAT_LIMIT = 34;
    /** {@code burst.reason} of a packet given a value that is no verdict (Linux leaks it after a warning). */
    public static final int REASON_BAD_VERDICT = 35;

    private static final VarHandle ENTRIES = MethodHandles.arrayElementVarHandle(HookRegistration[][].class);
    private static final HookRegistration[] NONE = new HookRegistration[0];

    /** Outcome of a packet for the current handler, kept in {@link #verdicts} after its verdict is applied. */
    private static final int CONTINUE = Verdict.ACCEPT;
    private static final int DONE = -1;

    /** Outcomes of {@link #queue}. */
    private static final int QUEUE_TAKEN = 0;
    private static final int QUEUE_BYPASSED = 1;
    private static final int QUEUE_DROPPED = 2;

    private final Object lock = new Object();
    private final HookRegistration[][] entries = new HookRegistration[Hook.COUNT][];
    private final Counters[] hookCounters = new Counters[Hook.COUNT];
    private volatile QueueHandler queueHandler;

    // Worker scratch, indexed as the burst.
    private final int capacity;
    private final int[] active;
    private final int[] repeat;
    private final int[] verdicts;
    /** Packets of the current {@link #run} that a handler STOPped: they left {@link #active} accepted. */
    private int stopped;

    /**
     * @param capacity the largest burst {@link #run} will be given.
     */
    public HookChain(final int capacity)
    {
        if (capacity < 1)
        {
            throw new IllegalArgumentException("capacity must be positive: " + capacity);
        }
        this.capacity = capacity;
        this.active = new int[capacity];
        this.repeat = new int[capacity];
        this.verdicts = new int[capacity];
        for (int h = 0; h < Hook.COUNT; h++)
        {
            entries[h] = NONE;
            hookCounters[h] = new Counters(COUNTERS);
        }
    }

    public int capacity()
    {
        return capacity;
    }

    // ------------------------------------------------------------------------------------------------------
    // Control plane
    // ------------------------------------------------------------------------------------------------------

    /**
     * Control path: registers {@code handler} at {@code hook} with {@code priority} ({@link HookPriority});
     * the worker sees it from its next burst on.
     */
    public HookRegistration register(
        final Hook hook, final int priority, final String name, final HookHandler handler)
    {
        if (hook == null || handler == null)
        {
            throw new NullPointerException("hook and handler are required");
        }
        final HookRegistration registration = new HookRegistration(hook, priority, name, handler);
        synchronized (lock)
        {
            final HookRegistration[] old = entries[hook.ordinal()];
            if (old.length >= MAX_HANDLERS)
            {
                throw new IllegalStateException("too many handlers at " + hook + ": " + old.length);
            }
            int at = 0;
            while (at < old.length && priority > old[at].priority)
            {
                at++;
            }
            final HookRegistration[] grown = new HookRegistration[old.length + 1];
            System.arraycopy(old, 0, grown, 0, at);
            grown[at] = registration;
            System.arraycopy(old, at, grown, at + 1, old.length - at);
            ENTRIES.setRelease(entries, hook.ordinal(), grown);   // R1: pairs with A1 in run
        }
        return registration;
    }

    /**
     * Control path: removes {@code registration}; returns false when it was not registered here. See the
     * class comment for the burst that may still be in progress.
     */
    public boolean unregister(final HookRegistration registration)
    {
        synchronized (lock)
        {
            final HookRegistration[] old = entries[registration.hook.ordinal()];
            int at = 0;
            while (at < old.length && old[at] != registration)
            {
                at++;
            }
            if (at == old.length)
            {
                return false;
            }
            final HookRegistration[] shrunk = old.length == 1 ? NONE : new HookRegistration[old.length - 1];
            System.arraycopy(old, 0, shrunk, 0, at);
            System.arraycopy(old, at + 1, shrunk, at, old.length - at - 1);
            ENTRIES.setRelease(entries, registration.hook.ordinal(), shrunk);   // R1: pairs with A1 in run
            return true;
        }
    }

    /** Control path: the handlers of {@code hook} in the order they run. */
    public List<HookRegistration> registrations(final Hook hook)
    {
        return List.of((HookRegistration[])ENTRIES.getAcquire(entries, hook.ordinal()));
    }

    /** Control path: sets (or with null removes) the handler that takes queued packets. */
    public void queueHandler(final QueueHandler queueHandler)
    {
        this.queueHandler = queueHandler;
    }

    /** Any thread: one of the per-hook counters named by the constants of this class. */
    public long counter(final Hook hook, final int counter)
    {
        return hookCounters[hook.ordinal()].get(counter);
    }

    // ------------------------------------------------------------------------------------------------------
    // Data path
    // ------------------------------------------------------------------------------------------------------

    /** Whether {@code hook} has no handler now: the worker may skip running it (and its counters stay still). */
    public boolean isEmpty(final Hook hook)
    {
        return ((HookRegistration[])ENTRIES.getAcquire(entries, hook.ordinal())).length == 0;
    }

    /**
     * Whether {@code handler} is {@code hook}'s only handler now: the worker may then skip the hook for a burst
     * in which that handler has nothing to do (defragmentation without fragments), as with {@link #isEmpty}.
     */
    public boolean isOnly(final Hook hook, final HookHandler handler)
    {
        final HookRegistration[] registrations = (HookRegistration[])ENTRIES.getAcquire(entries, hook.ordinal());
        return registrations.length == 1 && registrations[0].handler == handler;
    }

    /** Whether {@code hook} has exactly the two handlers {@code first} then {@code second} (in priority order). */
    public boolean isOnly(final Hook hook, final HookHandler first, final HookHandler second)
    {
        final HookRegistration[] registrations = (HookRegistration[])ENTRIES.getAcquire(entries, hook.ordinal());
        return registrations.length == 2 && registrations[0].handler == first && registrations[1].handler == second;
    }

    /** Whether {@code hook} has exactly the three handlers {@code first}, {@code second}, {@code third} (in priority order). */
    public boolean isOnly(final Hook hook, final HookHandler first, final HookHandler second, final HookHandler third)
    {
        final HookRegistration[] registrations = (HookRegistration[])ENTRIES.getAcquire(entries, hook.ordinal());
        return registrations.length == 3 && registrations[0].handler == first && registrations[1].handler == second
            && registrations[2].handler == third;
    }

    /**
     * Worker only: runs {@code hook}'s handlers over the packets of {@code burst} whose verdict is ACCEPT,
     * leaving each with its outcome in {@code burst.verdict} (see the class comment).
     *
     * @return the packets still ACCEPT afterwards.
     */
    public int run(final Hook hook, final PacketBurst burst)
    {
        return runFrom(hook, burst, null);
    }

    /**
     * Worker only: {@link #run} for packets reinjected after a queue verdict (Linux {@code nf_reinject}): only the
     * handlers after {@code after} run. When {@code after} is no longer registered (the ruleset was replaced while
     * the packets waited), the handlers of a higher priority than it had run.
     *
     * @return the packets still ACCEPT afterwards.
     */
    public int runAfter(final Hook hook, final HookRegistration after, final PacketBurst burst)
    {
        return runFrom(hook, burst, after);
    }

    private int runFrom(final Hook hook, final PacketBurst burst, final HookRegistration after)
    {
        final int hookNumber = hook.ordinal();
        final Counters counters = hookCounters[hookNumber];
        final HookRegistration[] registrations =
            (HookRegistration[])ENTRIES.getAcquire(entries, hookNumber);   // A1: pairs with R1 in register
        final int first = after == null ? 0 : indexAfter(registrations, after);
        final int[] burstVerdicts = burst.verdict;
        final int[] active = this.active;
        final int count = burst.count();

        int live = 0;
        for (int i = 0; i < count; i++)
        {
            if (burstVerdicts[i] == Verdict.ACCEPT)
            {
                active[live++] = i;
            }
        }
        counters.add(PACKETS_IN, live);

        final QueueHandler queueHandler = this.queueHandler;
        stopped = 0;
        for (int h = first; h < registrations.length && live > 0; h++)
        {
            live = runHandler(hook, counters, queueHandler, registrations[h], burst, live);
        }

        final int accepted = live + stopped;
        counters.add(ACCEPTED, accepted);
        return accepted;
    }

    private static int indexAfter(final HookRegistration[] registrations, final HookRegistration after)
    {
        for (int h = 0; h < registrations.length; h++)
        {
            if (registrations[h] == after)
            {
                return h + 1;
            }
        }
        int h = 0;
        while (h < registrations.length && registrations[h].priority <= after.priority)
        {
            h++;
        }
        return h;
    }

    /**
     * Calls one handler for {@code active[0..live)}, then again for the packets it repeated, and applies the
     * verdicts; leaves in {@code active} the packets that continue to the next handler, in burst order.
     */
    private int runHandler(
        final Hook hook,
        final Counters counters,
        final QueueHandler queueHandler,
        final HookRegistration registration,
        final PacketBurst burst,
        final int live)
    {
        final HookHandler handler = registration.handler;
        final Counters handlerCounters = registration.counters;
        final int[] active = this.active;
        final int[] repeat = this.repeat;
        final int[] verdicts = this.verdicts;
        final int[] burstVerdicts = burst.verdict;
        final int[] reasons = burst.reason;

        int[] packets = active;
        int pending = live;
        int rounds = 0;
        int accepted = 0;
        int dropped = 0;
        int stolen = 0;
        int queued = 0;
        int stops = 0;
        int repeated = 0;
        int calls = 0;
        int decided = 0;

        while (true)
        {
            handler.process(hook, burst, packets, pending, verdicts);
            calls++;
            decided += pending;

            // Repeats are collected in place: in later rounds packets == repeat, and the write index
            // never passes the read index.
            int repeats = 0;
            for (int k = 0; k < pending; k++)
            {
                final int packet = packets[k];
                final int verdict = verdicts[packet];
                switch (verdict & Verdict.VERDICT_MASK)
                {
                    case Verdict.ACCEPT ->
                    {
                        verdicts[packet] = CONTINUE;
                        accepted++;
                    }
                    case Verdict.DROP ->
                    {
                        drop(packet, REASON_NETFILTER_DROP, burstVerdicts, reasons);
                        dropped++;
                    }
                    case Verdict.STOLEN ->
                    {
                        burstVerdicts[packet] = Verdict.STOLEN;
                        verdicts[packet] = DONE;
                        stolen++;
                    }
                    case Verdict.QUEUE ->
                    {
                        switch (queue(hook, counters, queueHandler, registration, burst, packet, verdict))
                        {
                            case QUEUE_TAKEN -> queued++;
                            case QUEUE_BYPASSED -> accepted++;
                            default -> dropped++;
                        }
                    }
                    case Verdict.REPEAT -> repeat[repeats++] = packet;
                    case Verdict.STOP ->
                    {
                        verdicts[packet] = DONE;   // burst verdict stays ACCEPT
                        stops++;
                    }
                    default ->
                    {
                        drop(packet, REASON_BAD_VERDICT, burstVerdicts, reasons);
                        counters.increment(BAD_VERDICT_DROPS);
                        dropped++;
                    }
                }
            }

            if (repeats == 0)
            {
                break;
            }
            repeated += repeats;
            if (++rounds > MAX_REPEATS)
            {
                for (int k = 0; k < repeats; k++)
                {
                    drop(repeat[k], REASON_REPEAT_LIMIT, burstVerdicts, reasons);
                }
                counters.add(REPEAT_LIMIT_DROPS, repeats);
                dropped += repeats;
                break;
            }
            packets = repeat;
            pending = repeats;
        }

        handlerCounters.add(HookRegistration.CALLS, calls);
        handlerCounters.add(HookRegistration.PACKETS, decided);
        handlerCounters.add(HookRegistration.ACCEPTED, accepted);
        if (dropped != 0)
        {
            handlerCounters.add(HookRegistration.DROPPED, dropped);
            counters.add(DROPPED, dropped);
        }
        if (stolen != 0)
        {
            handlerCounters.add(HookRegistration.STOLEN, stolen);
            counters.add(STOLEN, stolen);
        }
        if (queued != 0)
        {
            handlerCounters.add(HookRegistration.QUEUED, queued);
        }
        if (repeated != 0)
        {
            handlerCounters.add(HookRegistration.REPEATED, repeated);
        }
        if (stops != 0)
        {
            handlerCounters.add(HookRegistration.STOPPED, stops);
        }
        stopped += stops;

        int kept = 0;
        for (int k = 0; k < live; k++)
        {
            final int packet = active[k];
            if (verdicts[packet] == CONTINUE)
            {
                active[kept++] = packet;
            }
        }
        return kept;
    }

    /** Applies a QUEUE verdict; returns QUEUE_TAKEN, QUEUE_BYPASSED or QUEUE_DROPPED. */
    private int queue(
        final Hook hook,
        final Counters counters,
        final QueueHandler queueHandler,
        final HookRegistration registration,
        final PacketBurst burst,
        final int packet,
        final int verdict)
    {
        final int result = queueHandler == null ?
            QueueHandler.NO_LISTENER :
            queueHandler.enqueue(hook, registration, burst, packet, Verdict.queueNumber(verdict));
        if (result == QueueHandler.ENQUEUED)
        {
            burst.verdict[packet] = Verdict.QUEUE;
            verdicts[packet] = DONE;
            counters.increment(QUEUED);
            return QUEUE_TAKEN;
        }
        if (result == QueueHandler.NO_LISTENER && Verdict.isQueueBypass(verdict))
        {
            verdicts[packet] = CONTINUE;
            counters.increment(QUEUE_BYPASSES);
            return QUEUE_BYPASSED;
        }
        drop(packet, REASON_QUEUE_DROP, burst.verdict, burst.reason);
        counters.increment(QUEUE_DROPS);
        return QUEUE_DROPPED;
    }

    private void drop(final int packet, final int reason, final int[] burstVerdicts, final int[] reasons)
    {
        burstVerdicts[packet] = Verdict.DROP;
        reasons[packet] = reason;
        verdicts[packet] = DONE;
    }

    @Override
    public String toString()
    {
        final StringBuilder text = new StringBuilder("HookChain{");
        for (final Hook hook : Hook.values())
        {
            text.append(hook).append('=')
                .append(Arrays.toString((HookRegistration[])ENTRIES.getAcquire(entries, hook.ordinal())))
                .append(' ');
        }
        return text.append('}').toString();
    }
}
