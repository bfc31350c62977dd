package io.flowgate.pipeline.neigh;

import java.util.Arrays;
import java.util.random.RandomGenerator;

import static io.flowgate.pipeline.neigh.NeighbourState.CONNECTED;
import static io.flowgate.pipeline.neigh.NeighbourState.DELAY;
import static io.flowgate.pipeline.neigh.NeighbourState.FAILED;
import static io.flowgate.pipeline.neigh.NeighbourState.INCOMPLETE;
import static io.flowgate.pipeline.neigh.NeighbourState.IN_TIMER;
import static io.flowgate.pipeline.neigh.NeighbourState.NOARP;
import static io.flowgate.pipeline.neigh.NeighbourState.NONE;
import static io.flowgate.pipeline.neigh.NeighbourState.PERMANENT;
import static io.flowgate.pipeline.neigh.NeighbourState.PROBE;
import static io.flowgate.pipeline.neigh.NeighbourState.REACHABLE;
import static io.flowgate.pipeline.neigh.NeighbourState.STALE;
import static io.flowgate.pipeline.neigh.NeighbourState.isConnected;
import static io.flowgate.pipeline.neigh.NeighbourState.isInTimer;
import static io.flowgate.pipeline.neigh.NeighbourState.isValid;

/**
 * The writer of the {@link NeighbourTable}: Linux's NUD state machine ({@code net/core/neighbour.c}), its
 * timers, the packets queued while a neighbour resolves ({@link PendingQueue}) and the collection of idle
 * entries. ARP ({@link ArpProcessor}) and neighbour discovery ({@link NdProcessor}) feed it what they learn.
 * <p>
 * Usage, on the slow-path thread:
 * <pre>
 *   resolver.resolve(port, nextHop, mbuf, nowNs);   // a packet a worker could not address: queue it, probe
 *   arp.process(portAddresses, frame, length, nowNs); // an ARP frame received: learn, maybe answer
 *   resolver.doWork(nowNs);                           // every loop: timers and workers' "used" marks
 *   resolver.expire(nowNs, 64);                       // on a ratio: collect idle entries, a budget per call
 * </pre>
 * Probes, released packets and dropped packets go to the {@link NeighbourHandler}. Time is always passed in,
 * never read, so a test decides exactly when every timer fires.
 * <p>
 * Thread-safety: the slow-path thread only; workers only read the table.
 * <p>
 * Shutdown: stop calling it; packets still queued are the caller's to free ({@link #removeAll()} hands them
 * to the handler).
 * <p>
 * Timers: each neighbour has one deadline ({@code timerNs}); {@link #doWork(long)} passes over the table when
 * the earliest deadline or the next scan of "used" marks is due, so a pass costs O(slots) at most every
 * {@code usedScanIntervalNs} plus once per distinct deadline. A timer wheel would make that O(expired) when
 * tables grow to many thousands of entries.
 */
public final class NeighbourResolver
{
    /** {@link #resolve}: the address is usable; the packet went to {@link NeighbourHandler#transmit}. */
    public static final int RESOLVED = 0;
    /** {@link #resolve}: resolution started: the packet is queued and a first probe was solicited. */
    public static final int SOLICITED = 1;
    /** {@link #resolve}: resolution is under way: the packet is queued. */
    public static final int QUEUED = 2;
    /** {@link #resolve}: the packet went to {@link NeighbourHandler#drop} (table full, or no probes configured). */
    public static final int DROPPED = 3;

    /** Linux's {@code NEIGH_UPDATE_F_OVERRIDE}: a different address replaces the cached one. */
    public static final int F_OVERRIDE = 0x1;
    /** Linux's {@code NEIGH_UPDATE_F_WEAK_OVERRIDE}: a different address only makes a connected entry STALE. */
    public static final int F_WEAK_OVERRIDE = 0x2;
    /** Linux's {@code NEIGH_UPDATE_F_ADMIN}: configuration, which may change PERMANENT and NOARP entries. */
    public static final int F_ADMIN = 0x4;

    static final long NO_TIMER = Long.MAX_VALUE;
    /** Linux never arms a neighbour timer closer than {@code HZ/100}. */
    static final long MIN_TIMER_NS = 10_000_000L;

    private static final long IPV4_MULTICAST_MAC = 0x0100_5E00_0000L;
    private static final long BROADCAST_MAC = 0xFFFF_FFFF_FFFFL;

    private final NeighbourTable table;
    private final NeighbourHandler handler;
    private final RandomGenerator random;
    private final PendingQueue pending;

    private final long retransTimeNs;
    private final long baseReachableTimeNs;
    private final long reachableRedrawIntervalNs;
    private final long delayProbeTimeNs;
    private final long gcStaleTimeNs;
    private final long locktimeNs;
    private final long usedScanIntervalNs;
    private final int ucastProbes;
    private final int mcastProbes;
    private final int mcastReprobes;
    private final int gcThresh1;

    // Per neighbour, indexed by table slot.
    private final long[] updatedNs;
    private final long[] confirmedNs;
    private final long[] usedNs;
    private final long[] timerNs;
    private final int[] probes;
    private final boolean[] configured;

    private long reachableTimeNs;
    private long nextRedrawNs = Long.MIN_VALUE;
    private long nextPassNs = Long.MIN_VALUE;
    private long nextUsedScanNs = Long.MIN_VALUE;
    private int gcCursor;

    private long allocs;
    private long destroys;
    private long resolveFailures;
    private long queueDrops;
    private long tableFulls;

    /**
     * @param random draws the reachable time, 0.5 to 1.5 times the base (Linux's {@code neigh_rand_reach_time});
     *               pass a seeded generator for reproducible runs.
     */
    public NeighbourResolver(
        final NeighbourTable table, final NeighbourParams params, final RandomGenerator random, final NeighbourHandler handler)
    {
        this.table = table;
        this.handler = handler;
        this.random = random;
        final int slots = table.slotCount();
        this.pending = new PendingQueue(slots, params.queuePerNeighbour, params.queueCapacity);
        this.retransTimeNs = params.retransTimeNs;
        this.baseReachableTimeNs = params.baseReachableTimeNs;
        this.reachableRedrawIntervalNs = params.reachableRedrawIntervalNs;
        this.delayProbeTimeNs = params.delayProbeTimeNs;
        this.gcStaleTimeNs = params.gcStaleTimeNs;
        this.locktimeNs = params.locktimeNs;
        this.usedScanIntervalNs = params.usedScanIntervalNs;
        this.ucastProbes = params.ucastProbes;
        this.mcastProbes = params.mcastProbes;
        this.mcastReprobes = params.mcastReprobes;
        this.gcThresh1 = params.gcThresh1;
        this.updatedNs = new long[slots];
        this.confirmedNs = new long[slots];
        this.usedNs = new long[slots];
        this.timerNs = new long[slots];
        this.probes = new int[slots];
        this.configured = new boolean[slots];
        Arrays.fill(timerNs, NO_TIMER);
        this.reachableTimeNs = drawReachableTime();
    }

    public NeighbourTable table()
    {
        return table;
    }

    public PendingQueue pending()
    {
        return pending;
    }

    /** The current reachable time, drawn from the base every {@code reachableRedrawIntervalNs}. */
    public long reachableTimeNs()
    {
        return reachableTimeNs;
    }

    /** Linux's {@code locktime}, which {@link ArpProcessor} applies. */
    long locktimeNs()
    {
        return locktimeNs;
    }

    // ------------------------------------------------------------------------------------------------------
    // A packet a worker could not address
    // ------------------------------------------------------------------------------------------------------

    /**
     * Finds or starts the resolution of IPv4 neighbour {@code ipv4} on {@code port} for {@code packet}
     * ({@link PendingQueue#NO_PACKET} to resolve without one), as {@code __neigh_event_send} does for a packet
     * sent to an entry that is not connected. A multicast or limited-broadcast address needs no resolution:
     * its entry is created NOARP with the mapped MAC address, as {@code arp_constructor} does.
     *
     * @return {@link #RESOLVED}, {@link #SOLICITED}, {@link #QUEUED} or {@link #DROPPED}.
     */
    public int resolve(final int port, final int ipv4, final long packet, final long nowNs)
    {
        int slot = table.find(port, ipv4);
        if (slot == NeighbourTable.NO_SLOT)
        {
            final boolean multicast = (ipv4 & 0xF000_0000) == 0xE000_0000;
            if (multicast || ipv4 == -1)
            {
                slot = table.insert(port, ipv4, NOARP, multicast ? IPV4_MULTICAST_MAC | (ipv4 & 0x7F_FFFF) : BROADCAST_MAC);
            }
            else
            {
                slot = table.insert(port, ipv4, NONE, 0L);
            }
            if (slot == NeighbourTable.NO_SLOT)
            {
                return tableFull(packet);
            }
            created(slot, nowNs);
        }
        return eventSend(slot, packet, nowNs);
    }

    /**
     * {@link #resolve(int, int, long, long)} for IPv6 neighbour {@code hi:lo}; a multicast address gets a NOARP
     * entry with its 33:33 MAC address (RFC 2464 7), as {@code ndisc_constructor} does.
     */
    public int resolve6(final int port, final long hi, final long lo, final long packet, final long nowNs)
    {
        int slot = table.find6(port, hi, lo);
        if (slot == NeighbourTable.NO_SLOT)
        {
            final boolean multicast = (hi >>> 56) == 0xFF;
            slot = multicast ?
                table.insert6(port, hi, lo, NOARP, NdFlyweight.multicastMac(lo)) :
                table.insert6(port, hi, lo, NONE, 0L);
            if (slot == NeighbourTable.NO_SLOT)
            {
                return tableFull(packet);
            }
            created(slot, nowNs);
        }
        return eventSend(slot, packet, nowNs);
    }

    // ------------------------------------------------------------------------------------------------------
    // Timers and collection
    // ------------------------------------------------------------------------------------------------------

    /**
     * Runs the neighbour timers that are due ({@code neigh_timer_handler}) and takes the workers' "used" marks
     * (a STALE entry used goes to DELAY). Cheap when nothing is due.
     *
     * @return the number of timers fired and marks taken.
     */
    public int doWork(final long nowNs)
    {
        if (nowNs >= nextRedrawNs)
        {
            if (nextRedrawNs != Long.MIN_VALUE)
            {
                reachableTimeNs = drawReachableTime();
            }
            nextRedrawNs = nowNs + reachableRedrawIntervalNs;
        }
        if (nowNs < nextPassNs)
        {
            return 0;
        }
        final boolean scanUsed = nowNs >= nextUsedScanNs;
        if (scanUsed)
        {
            nextUsedScanNs = nowNs + usedScanIntervalNs;
        }
        final NeighbourTable table = this.table;
        final long[] timerNs = this.timerNs;
        final int slots = table.slotCount();
        long earliest = NO_TIMER;
        int work = 0;
        for (int slot = 0; slot < slots; slot++)
        {
            if (!table.isInUse(slot))
            {
                continue;
            }
            if (scanUsed && table.takeUsed(slot))
            {
                used(slot, nowNs);
                work++;
            }
            if (timerNs[slot] <= nowNs)
            {
                timerNs[slot] = NO_TIMER;
                fire(slot, nowNs);
                work++;
            }
            earliest = Math.min(earliest, timerNs[slot]);
        }
        nextPassNs = Math.min(earliest, nextUsedScanNs);
        return work;
    }

    /**
     * Collects idle entries, looking at no more than {@code budget} slots, from where the last call stopped: an
     * entry is removed when it is FAILED or unused for {@code gcStaleTimeNs}, unless it is PERMANENT or its
     * timer runs, and only while the table holds at least {@code gcThresh1} entries (as
     * {@code neigh_periodic_work}). Configured entries stay, NOARP ones included: Linux keeps a subnet's
     * broadcast NOARP through its route, which holds a reference; here the configuration is that reference.
     *
     * @return the number of entries removed.
     */
    public int expire(final long nowNs, final int budget)
    {
        final NeighbourTable table = this.table;
        final int slots = table.slotCount();
        final int limit = Math.min(budget, slots);
        int removed = 0;
        for (int i = 0; i < limit && table.size() >= gcThresh1; i++)
        {
            final int slot = gcCursor;
            gcCursor = (gcCursor + 1) & (slots - 1);
            if (!table.isInUse(slot))
            {
                continue;
            }
            if (table.takeUsed(slot))
            {
                used(slot, nowNs);
            }
            final int state = table.state(slot);
            if ((state & (PERMANENT | IN_TIMER)) != 0 || configured[slot])
            {
                continue;
            }
            if (usedNs[slot] < confirmedNs[slot])
            {
                usedNs[slot] = confirmedNs[slot];
            }
            if (state == FAILED || nowNs - usedNs[slot] >= gcStaleTimeNs)
            {
                destroy(slot);
                removed++;
            }
        }
        return removed;
    }

    /**
     * An upper layer saw the neighbour answer (a TCP ACK that advanced, say), as Linux's {@code neigh_confirm}:
     * a DELAY entry then returns to REACHABLE at its timer instead of probing.
     */
    public void confirm(final int port, final int ipv4, final long nowNs)
    {
        confirmSlot(table.find(port, ipv4), nowNs);
    }

    public void confirm6(final int port, final long hi, final long lo, final long nowNs)
    {
        confirmSlot(table.find6(port, hi, lo), nowNs);
    }

    // ------------------------------------------------------------------------------------------------------
    // Configuration (ip neigh add/replace/del)
    // ------------------------------------------------------------------------------------------------------

    /** Adds or replaces a PERMANENT entry; packets waiting for it are released. Returns false when the table is full. */
    public boolean addPermanent(final int port, final int ipv4, final long mac, final long nowNs)
    {
        return admin(findOrCreate(port, ipv4, nowNs), mac, PERMANENT, nowNs);
    }

    public boolean addPermanent6(final int port, final long hi, final long lo, final long mac, final long nowNs)
    {
        return admin(findOrCreate6(port, hi, lo, nowNs), mac, PERMANENT, nowNs);
    }

    /** Adds or replaces a NOARP entry, such as a subnet's broadcast address with the broadcast MAC. */
    public boolean addNoArp(final int port, final int ipv4, final long mac, final long nowNs)
    {
        return admin(findOrCreate(port, ipv4, nowNs), mac, NOARP, nowNs);
    }

    /** Deletes the entry, whatever its state; packets waiting for it are dropped. */
    public boolean remove(final int port, final int ipv4)
    {
        return removeSlot(table.find(port, ipv4));
    }

    public boolean remove6(final int port, final long hi, final long lo)
    {
        return removeSlot(table.find6(port, hi, lo));
    }

    /** Deletes every entry (shutdown, flush); packets waiting are dropped. */
    public void removeAll()
    {
        for (int slot = 0; slot < table.slotCount(); slot++)
        {
            if (table.isInUse(slot))
            {
                destroy(slot);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------
    // What ARP and ND learn (package-private: the processors call them)
    // ------------------------------------------------------------------------------------------------------

    /** The slot of IPv4 neighbour {@code ipv4} on {@code port}, created in NONE when {@code create}; or NO_SLOT. */
    int lookup(final int port, final int ipv4, final boolean create, final long nowNs)
    {
        final int slot = table.find(port, ipv4);
        return slot != NeighbourTable.NO_SLOT || !create ? slot : findOrCreate(port, ipv4, nowNs);
    }

    int lookup6(final int port, final long hi, final long lo, final boolean create, final long nowNs)
    {
        final int slot = table.find6(port, hi, lo);
        return slot != NeighbourTable.NO_SLOT || !create ? slot : findOrCreate6(port, hi, lo, nowNs);
    }

    /** When the neighbour in {@code slot} last changed state or address. */
    long updatedNs(final int slot)
    {
        return updatedNs[slot];
    }

    /**
     * Linux's {@code __neigh_update}: the neighbour in {@code slot} announced {@code mac}
     * ({@link NeighbourTable#NO_MAC} when the message carried none) and asks for {@code requestedState}, under
     * {@code flags} ({@code F_*}). A connected state confirms reachability; an unchanged address never
     * downgrades a valid entry to STALE; without {@link #F_OVERRIDE} a different address is ignored (or, with
     * {@link #F_WEAK_OVERRIDE}, only makes a connected entry STALE). An entry that becomes valid releases its
     * queued packets, oldest first.
     *
     * @return false when the update was refused.
     */
    boolean update(final int slot, final long mac, final int requestedState, final int flags, final long nowNs)
    {
        final int old = table.state(slot);
        final long oldMac = table.mac(slot);
        if ((flags & F_ADMIN) == 0 && (old & (NOARP | PERMANENT)) != 0)
        {
            return false;
        }
        int state = requestedState;
        if (!isValid(state))
        {
            timerNs[slot] = NO_TIMER;
            table.update(slot, state, oldMac);
            if ((old & (INCOMPLETE | PROBE)) != 0 && state == FAILED)
            {
                invalidate(slot);
            }
            return true;
        }
        long newMac;
        if (mac != NeighbourTable.NO_MAC)
        {
            newMac = mac;
        }
        else if (isValid(old))
        {
            newMac = oldMac;
        }
        else
        {
            return false;
        }
        boolean changed = !isValid(old) || newMac != oldMac;
        if (isConnected(state))
        {
            confirmedNs[slot] = nowNs;
        }
        if (isValid(old))
        {
            if (changed && (flags & F_OVERRIDE) == 0)
            {
                if ((flags & F_WEAK_OVERRIDE) == 0 || !isConnected(old))
                {
                    return false;
                }
                newMac = oldMac;
                changed = false;
                state = STALE;
            }
            else if (!changed && state == STALE && (flags & F_ADMIN) == 0)
            {
                state = old;
            }
        }
        if (state != old || changed)
        {
            updatedNs[slot] = nowNs;
        }
        if (state != old)
        {
            timerNs[slot] = NO_TIMER;
            if (state == PROBE)
            {
                probes[slot] = 0;
            }
            if (isInTimer(state))
            {
                arm(slot, nowNs + (state == REACHABLE ? reachableTimeNs : 0));
            }
        }
        if (changed && !isConnected(state))
        {
            confirmedNs[slot] = nowNs - 2 * baseReachableTimeNs;
        }
        if (state != old || changed)
        {
            table.update(slot, state, newMac);
        }
        if (state != old && !isValid(old))
        {
            release(slot, newMac);
        }
        return true;
    }

    // ------------------------------------------------------------------------------------------------------

    public long allocs()
    {
        return allocs;
    }

    public long destroys()
    {
        return destroys;
    }

    /** Resolutions that ended FAILED (Linux's {@code res_failed}). */
    public long resolveFailures()
    {
        return resolveFailures;
    }

    /** Queued packets dropped for room (Linux's {@code unres_discards}). */
    public long queueDrops()
    {
        return queueDrops;
    }

    /** Neighbours not created for want of room (Linux's {@code table_fulls}). */
    public long tableFulls()
    {
        return tableFulls;
    }

    // ------------------------------------------------------------------------------------------------------

    private int eventSend(final int slot, final long packet, final long nowNs)
    {
        final int state = table.state(slot);
        usedNs[slot] = nowNs;
        if ((state & (CONNECTED | DELAY | PROBE)) != 0)
        {
            transmit(slot, packet);
            return RESOLVED;
        }
        boolean immediateProbe = false;
        if ((state & (STALE | INCOMPLETE)) == 0)
        {
            if (mcastProbes == 0)
            {
                table.update(slot, FAILED, table.mac(slot));
                updatedNs[slot] = nowNs;
                if (packet != PendingQueue.NO_PACKET)
                {
                    handler.drop(packet, NeighbourHandler.DROP_FAILED);
                }
                return DROPPED;
            }
            probes[slot] = ucastProbes;
            table.update(slot, INCOMPLETE, table.mac(slot));
            updatedNs[slot] = nowNs;
            arm(slot, nowNs + Math.max(retransTimeNs, MIN_TIMER_NS));
            immediateProbe = true;
        }
        else if (state == STALE)
        {
            table.update(slot, DELAY, table.mac(slot));
            updatedNs[slot] = nowNs;
            arm(slot, nowNs + delayProbeTimeNs);
            transmit(slot, packet);
            return RESOLVED;
        }
        if (packet != PendingQueue.NO_PACKET)
        {
            final long dropped = pending.offer(slot, packet);
            if (dropped != PendingQueue.NO_PACKET)
            {
                queueDrops++;
                handler.drop(dropped, NeighbourHandler.DROP_QUEUE_FULL);
            }
        }
        if (immediateProbe)
        {
            probe(slot);
            return SOLICITED;
        }
        return QUEUED;
    }

    /** {@code neigh_timer_handler}, with the timer already disarmed. */
    private void fire(final int slot, final long nowNs)
    {
        final int state = table.state(slot);
        if (!isInTimer(state))
        {
            return;
        }
        int next = state;
        long deadlineNs;
        if (state == REACHABLE)
        {
            if (nowNs <= confirmedNs[slot] + reachableTimeNs)
            {
                deadlineNs = confirmedNs[slot] + reachableTimeNs;
            }
            else if (nowNs <= usedNs[slot] + delayProbeTimeNs)
            {
                next = DELAY;
                deadlineNs = nowNs + delayProbeTimeNs;
            }
            else
            {
                next = STALE;
                deadlineNs = NO_TIMER;
            }
        }
        else if (state == DELAY)
        {
            if (nowNs <= confirmedNs[slot] + delayProbeTimeNs)
            {
                next = REACHABLE;
                deadlineNs = confirmedNs[slot] + reachableTimeNs;
            }
            else
            {
                next = PROBE;
                probes[slot] = 0;
                deadlineNs = nowNs + Math.max(retransTimeNs, MIN_TIMER_NS);
            }
        }
        else
        {
            deadlineNs = nowNs + Math.max(retransTimeNs, MIN_TIMER_NS);
        }

        if ((next & (INCOMPLETE | PROBE)) != 0 && probes[slot] >= maxProbes(next))
        {
            table.update(slot, FAILED, table.mac(slot));
            invalidate(slot);
            return;
        }
        if (next != state)
        {
            table.update(slot, next, table.mac(slot));
            updatedNs[slot] = nowNs;
        }
        if (isInTimer(next))
        {
            arm(slot, Math.max(deadlineNs, nowNs + MIN_TIMER_NS));
        }
        if ((next & (INCOMPLETE | PROBE)) != 0)
        {
            probe(slot);
        }
    }

    /** A worker used the entry: {@code neigh->used}, and STALE moves to DELAY as in {@code __neigh_event_send}. */
    private void used(final int slot, final long nowNs)
    {
        usedNs[slot] = nowNs;
        if (table.state(slot) == STALE)
        {
            table.update(slot, DELAY, table.mac(slot));
            updatedNs[slot] = nowNs;
            arm(slot, nowNs + delayProbeTimeNs);
        }
    }

    /**
     * {@code neigh_probe} with {@code arp_solicit}/{@code ndisc_solicit}'s choice: the first {@code ucastProbes}
     * probes of a count go unicast to the cached address, the rest to everyone. INCOMPLETE starts its count at
     * {@code ucastProbes}, so all of its probes are multicast; PROBE starts at 0.
     */
    private void probe(final int slot)
    {
        final int sent = probes[slot];
        handler.solicit(table, slot, sent < ucastProbes ? table.mac(slot) : NeighbourHandler.MULTICAST);
        probes[slot] = sent + 1;
    }

    private int maxProbes(final int state)
    {
        return ucastProbes + (state == PROBE ? mcastReprobes : mcastProbes);
    }

    private void arm(final int slot, final long deadlineNs)
    {
        timerNs[slot] = deadlineNs;
        if (deadlineNs < nextPassNs)
        {
            nextPassNs = deadlineNs;
        }
    }

    /** {@code neigh_invalidate}: resolution failed; the queued packets are dropped. */
    private void invalidate(final int slot)
    {
        resolveFailures++;
        long packet;
        while ((packet = pending.poll(slot)) != PendingQueue.NO_PACKET)
        {
            handler.drop(packet, NeighbourHandler.DROP_FAILED);
        }
    }

    private void release(final int slot, final long mac)
    {
        final int port = table.port(slot);
        long packet;
        while ((packet = pending.poll(slot)) != PendingQueue.NO_PACKET)
        {
            handler.transmit(packet, port, mac);
        }
    }

    private void transmit(final int slot, final long packet)
    {
        if (packet != PendingQueue.NO_PACKET)
        {
            handler.transmit(packet, table.port(slot), table.mac(slot));
        }
    }

    private int tableFull(final long packet)
    {
        tableFulls++;
        if (packet != PendingQueue.NO_PACKET)
        {
            handler.drop(packet, NeighbourHandler.DROP_TABLE_FULL);
        }
        return DROPPED;
    }

    private int findOrCreate(final int port, final int ipv4, final long nowNs)
    {
        int slot = table.find(port, ipv4);
        if (slot == NeighbourTable.NO_SLOT)
        {
            slot = table.insert(port, ipv4, NONE, 0L);
            if (slot == NeighbourTable.NO_SLOT)
            {
                tableFulls++;
                return slot;
            }
            created(slot, nowNs);
        }
        return slot;
    }

    private int findOrCreate6(final int port, final long hi, final long lo, final long nowNs)
    {
        int slot = table.find6(port, hi, lo);
        if (slot == NeighbourTable.NO_SLOT)
        {
            slot = table.insert6(port, hi, lo, NONE, 0L);
            if (slot == NeighbourTable.NO_SLOT)
            {
                tableFulls++;
                return slot;
            }
            created(slot, nowNs);
        }
        return slot;
    }

    private boolean admin(final int slot, final long mac, final int state, final long nowNs)
    {
        if (slot == NeighbourTable.NO_SLOT || !update(slot, mac, state, F_OVERRIDE | F_ADMIN, nowNs))
        {
            return false;
        }
        configured[slot] = true;
        return true;
    }

    /** {@code neigh_alloc}: a new entry counts as just used and long unconfirmed. */
    private void created(final int slot, final long nowNs)
    {
        allocs++;
        updatedNs[slot] = nowNs;
        usedNs[slot] = nowNs;
        confirmedNs[slot] = nowNs - 2 * baseReachableTimeNs;
        timerNs[slot] = NO_TIMER;
        probes[slot] = 0;
        configured[slot] = false;
    }

    private void confirmSlot(final int slot, final long nowNs)
    {
        if (slot != NeighbourTable.NO_SLOT)
        {
            confirmedNs[slot] = nowNs;
        }
    }

    private boolean removeSlot(final int slot)
    {
        if (slot == NeighbourTable.NO_SLOT)
        {
            return false;
        }
        destroy(slot);
        return true;
    }

    private void destroy(final int slot)
    {
        long packet;
        while ((packet = pending.poll(slot)) != PendingQueue.NO_PACKET)
        {
            handler.drop(packet, NeighbourHandler.DROP_REMOVED);
        }
        timerNs[slot] = NO_TIMER;
        table.remove(slot);
        destroys++;
    }

    private long drawReachableTime()
    {
        return (baseReachableTimeNs >> 1) + random.nextLong(baseReachableTimeNs);
    }
}
