package io.flowgate.xdp.offload;

import io.flowgate.conntrack.OffHeap;
import io.flowgate.conntrack.SpscSlotRing;
import io.flowgate.pipeline.offload.OffloadCookie;
import io.flowgate.pipeline.offload.OffloadFold;
import io.flowgate.pipeline.offload.OffloadRequest;
import io.flowgate.pipeline.offload.WorkerOffload;
import io.flowgate.xdp.bpf.FlowRecord;
import io.flowgate.xdp.bpf.FlowTable;
import io.flowgate.xdp.bpf.XdpProgram;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.agrona.collections.Long2LongHashMap;

/**
 * The control side of the offload of established connections to the XDP fast path (docs/xdp-fastpath.md "Offload"):
 * it turns the workers' requests into {@code fg_flows} entries, reads the entries back periodically and sends each
 * owner worker what the fast path counted, removes entries on request (with a final fold), and switches the fast path.
 * <p>
 * Usage: {@link #create} with the workers' {@link WorkerOffload}s, the loaded {@link XdpProgram} and the ifindex of each
 * flowgate port; {@link #enabled(boolean)}; {@link #start()} runs it on its own control thread (it parks between
 * rounds: every {@link OffloadConfig#requestPollNs} for requests, every {@link OffloadConfig#foldPeriodNs} a fold).
 * Tests may drive {@link #doWork} instead of starting the thread.
 * <p>
 * Thread-safety: {@link #enabled(boolean)}, {@link #syncNow}, {@link #counter} and {@link #doWork} may be called from
 * any thread; one lock serialises everything that touches the map and the rings (the map's bpf calls are the cost,
 * not the lock). Each worker ring has one consumer / producer at a time: this agent.
 * <p>
 * Shutdown: {@link #close} stops the thread; the map keeps its entries until {@code enabled(false)} or the program closes.
 * <p>
 * Clocks: the map's last-seen times are {@code bpf_ktime_get_ns()} (CLOCK_MONOTONIC) and are passed on as they are; the
 * owner converts them with its {@code CtClock.monotonicToMs} (same clock as {@code System.nanoTime()}).
 */
public final class OffloadAgent implements AutoCloseable
{
    /** Counters ({@link #counter}). */
    public static final int OFFLOADED = 0;
    public static final int REMOVED = 1;
    public static final int MAP_FULL = 2;
    public static final int FOLDS = 3;
    public static final int FOLD_RING_FULL = 4;
    public static final int NO_PORT = 5;
    public static final int ORPHANS = 6;
    public static final int SCANS = 7;
    public static final int COUNTERS = 8;

    private static final String[] NAMES = {"offloaded", "removed", "map_full", "folds", "fold_ring_full", "no_port", "orphans", "scans"};
    private static final int MAX_WORKERS = 256;
    private static final int MAX_ORPHANS_PER_SCAN = 256;
    private static final long NONE = -1;

    private final ReentrantLock lock = new ReentrantLock();
    private final WorkerOffload[] workers;
    private final WorkerOffload[] byId = new WorkerOffload[MAX_WORKERS];
    private final boolean[] clearPending;
    private final XdpProgram program;
    private final FlowTable table;
    private final int[] ifindexByPort;
    private final OffloadConfig config;
    private final Long2LongHashMap slotByCookie;
    private final FlowRecord[] flows;
    private final long[] cookieBySlot;
    private final long[] foldedPackets;
    private final long[] foldedBytes;
    private final int[] freeSlots;
    private int freeCount;
    private final FlowRecord scratch = new FlowRecord();
    private final FlowRecord[] orphans = new FlowRecord[MAX_ORPHANS_PER_SCAN];
    private int orphanCount;
    private final FlowTable.Visitor scanVisitor = this::scanned;
    private final long[] counters = new long[COUNTERS];
    private volatile boolean enabled;
    private long syncSequence;
    private long nextFoldNs;
    private volatile boolean running;
    private Thread thread;

    private OffloadAgent(final WorkerOffload[] workers, final XdpProgram program, final int[] ifindexByPort, final OffloadConfig config)
    {
        this.workers = workers.clone();
        this.clearPending = new boolean[workers.length];
        for (final WorkerOffload w : workers)
        {
            if (w.worker() < 0 || w.worker() >= MAX_WORKERS || byId[w.worker()] != null)
            {
                throw new IllegalArgumentException("worker ids must be distinct and below " + MAX_WORKERS + ": " + w.worker());
            }
            byId[w.worker()] = w;
        }
        this.program = program;
        this.table = program.flows();
        this.ifindexByPort = ifindexByPort.clone();
        this.config = config;
        final int capacity = table.capacity();
        this.slotByCookie = new Long2LongHashMap(capacity * 2, 0.65f, NONE);
        this.flows = new FlowRecord[capacity];
        this.cookieBySlot = new long[capacity];
        this.foldedPackets = new long[capacity];
        this.foldedBytes = new long[capacity];
        this.freeSlots = new int[capacity];
        for (int s = 0; s < capacity; s++)
        {
            flows[s] = new FlowRecord();
            cookieBySlot[s] = NONE;
            freeSlots[s] = capacity - 1 - s;
        }
        this.freeCount = capacity;
        for (int k = 0; k < orphans.length; k++)
        {
            orphans[k] = new FlowRecord();
        }
    }

    /**
     * The entry point for the app: the Router's workers' offload sides, the loaded program (ports attached or attached
     * later), and {@code ifindexByPort[portId]} for every flowgate port that has the program (0: none, never offloaded
     * through). Starts disabled: call {@link #enabled(boolean)}, then {@link #start()}.
     */
    public static OffloadAgent create(final WorkerOffload[] workers, final XdpProgram program, final int[] ifindexByPort,
                                      final OffloadConfig config)
    {
        return new OffloadAgent(workers, program, ifindexByPort, config);
    }

    /** Starts the control thread. */
    public void start()
    {
        running = true;
        thread = Thread.ofPlatform().name("flowgate-offload").daemon(true).start(this::run);
    }

    private void run()
    {
        while (running)
        {
            if (doWork(System.nanoTime()) == 0)
            {
                LockSupport.parkNanos(config.requestPollNs());
            }
        }
    }

    /** One round: requests drained; a fold when {@code nowNs} passed the period. Returns the work done. */
    public int doWork(final long nowNs)
    {
        lock.lock();
        try
        {
            int work = retryClears() + drainRequests();
            if (nowNs - nextFoldNs >= 0)
            {
                nextFoldNs = nowNs + config.foldPeriodNs();
                work += scan();
            }
            return work;
        }
        finally
        {
            lock.unlock();
        }
    }

    /**
     * Any thread ({@code flowgate ct list}): folds what the fast path counted into every owner now and returns once
     * every worker has applied it (each worker applies folds in its housekeeping), or false after {@code timeoutNs}.
     */
    public boolean syncNow(final long timeoutNs)
    {
        final long deadline = System.nanoTime() + timeoutNs;
        final long sequence;
        lock.lock();
        try
        {
            drainRequests();
            scan();
            sequence = ++syncSequence;
            for (final WorkerOffload w : workers)
            {
                while (!post(w, OffloadFold.SYNC, sequence, 0, 0))
                {
                    if (System.nanoTime() - deadline > 0)
                    {
                        return false;
                    }
                    LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50)); // the worker is behind on its folds
                }
            }
        }
        finally
        {
            lock.unlock();
        }
        for (final WorkerOffload w : workers)
        {
            while (w.appliedSync() < sequence)
            {
                if (System.nanoTime() - deadline > 0)
                {
                    return false;
                }
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(50));
            }
        }
        return true;
    }

    /**
     * Any thread: the switch. On: the fast-path program on every interface, the workers make requests. Off: the workers
     * stop asking, the program carries everything to the AF_XDP sockets, the map is read a last time (final folds) and
     * emptied, and every worker clears its OFFLOAD bits (told through its fold ring). The conntrack tables keep their
     * entries.
     */
    public void enabled(final boolean on)
    {
        lock.lock();
        try
        {
            if (on)
            {
                program.fastPath(true);
                enabled = true;
                for (final WorkerOffload w : workers)
                {
                    w.enabled(true);
                }
                return;
            }
            for (final WorkerOffload w : workers)
            {
                w.enabled(false);
            }
            enabled = false;
            program.fastPath(false);
            drainRequests(); // removals still count; inserts are dropped now
            scan();
            table.clear();
            for (int s = 0; s < cookieBySlot.length; s++)
            {
                if (cookieBySlot[s] != NONE)
                {
                    free(s);
                }
            }
            for (int k = 0; k < workers.length; k++)
            {
                clearPending[k] = true;
            }
            retryClears();
        }
        finally
        {
            lock.unlock();
        }
    }

    public boolean enabled()
    {
        return enabled;
    }

    /** Any thread: flows in the map as the agent knows them. */
    public int offloadedNow()
    {
        return slotByCookie.size();
    }

    /** Any thread: a counter ({@link #OFFLOADED}...); request-ring overflows are the workers' ({@code WorkerOffload.REQUEST_RING_FULL}). */
    public long counter(final int counter)
    {
        return counters[counter]; // NOTE: a racy read of a single writer's long (torn reads excluded on 64-bit HotSpot)
    }

    public static String counterName(final int counter)
    {
        return NAMES[counter];
    }

    /** Sum over the workers of a {@link WorkerOffload} counter (e.g. {@code REQUEST_RING_FULL}). */
    public long workerCounter(final int counter)
    {
        long sum = 0;
        for (final WorkerOffload w : workers)
        {
            sum += w.counter(counter);
        }
        return sum;
    }

    private int retryClears()
    {
        int work = 0;
        for (int k = 0; k < workers.length; k++)
        {
            if (clearPending[k] && post(workers[k], OffloadFold.CLEAR, 0, 0, 0))
            {
                clearPending[k] = false;
                work++;
            }
        }
        return work;
    }

    private int drainRequests()
    {
        int work = 0;
        for (final WorkerOffload w : workers)
        {
            final SpscSlotRing ring = w.requests();
            for (long slot = ring.peek(); slot != 0; slot = ring.peek())
            {
                if (OffloadRequest.type(slot) == OffloadRequest.INSERT)
                {
                    insert(w, slot);
                }
                else
                {
                    remove(OffloadRequest.cookie(slot));
                }
                ring.release();
                work++;
            }
        }
        return work;
    }

    private void insert(final WorkerOffload owner, final long slot)
    {
        final long cookie = OffloadRequest.cookie(slot);
        if (!enabled || slotByCookie.get(cookie) != NONE)
        {
            return; // switched off since (the worker's CLEAR follows), or asked twice
        }
        final int ingress = OffloadRequest.ingress(slot);
        final int ifindex = ingress >= 0 && ingress < ifindexByPort.length ? ifindexByPort[ingress] : 0;
        if (ifindex == 0 || freeCount == 0)
        {
            counters[ifindex == 0 ? NO_PORT : MAP_FULL]++;
            post(owner, cookie, 0, 0, OffloadFold.REFUSED);
            return;
        }
        final int s = freeSlots[--freeCount];
        final FlowRecord f = flows[s];
        f.ifindex = ifindex;
        f.family = OffloadRequest.family(slot);
        f.protocol = OffloadRequest.protocol(slot);
        f.srcHi = OffloadRequest.address(slot, OffloadRequest.SRC_HI_OFFSET);
        f.srcLo = OffloadRequest.address(slot, OffloadRequest.SRC_LO_OFFSET);
        f.dstHi = OffloadRequest.address(slot, OffloadRequest.DST_HI_OFFSET);
        f.dstLo = OffloadRequest.address(slot, OffloadRequest.DST_LO_OFFSET);
        f.srcPort = OffloadRequest.port(slot, OffloadRequest.SRC_PORT_OFFSET);
        f.dstPort = OffloadRequest.port(slot, OffloadRequest.DST_PORT_OFFSET);
        f.cookie = cookie;
        f.egress = OffloadRequest.egress(slot);
        f.mtu = OffloadRequest.mtu(slot);
        final int flags = OffloadRequest.flags(slot);
        f.flags = ((flags & OffloadRequest.SNAT) != 0 ? FlowRecord.SNAT : 0) | ((flags & OffloadRequest.DNAT) != 0 ? FlowRecord.DNAT : 0);
        f.dstMac = OffHeap.getLong(slot + OffloadRequest.DST_MAC_OFFSET);
        f.srcMac = OffHeap.getLong(slot + OffloadRequest.SRC_MAC_OFFSET);
        f.newSrcHi = OffloadRequest.address(slot, OffloadRequest.NEW_SRC_HI_OFFSET);
        f.newSrcLo = OffloadRequest.address(slot, OffloadRequest.NEW_SRC_LO_OFFSET);
        f.newDstHi = OffloadRequest.address(slot, OffloadRequest.NEW_DST_HI_OFFSET);
        f.newDstLo = OffloadRequest.address(slot, OffloadRequest.NEW_DST_LO_OFFSET);
        f.newSrcPort = OffloadRequest.port(slot, OffloadRequest.NEW_SRC_PORT_OFFSET);
        f.newDstPort = OffloadRequest.port(slot, OffloadRequest.NEW_DST_PORT_OFFSET);
        boolean inserted = table.insert(f);
        if (!inserted)
        {
            copyKey(f, scratch);
        }
        if (!inserted && table.lookup(scratch))
        {
            // The key is taken: a connection with this tuple that died while its removal was lost, or one we never
            // knew (an earlier run). The new connection owns the tuple now.
            final long old = scratch.cookie;
            final long oldSlot = slotByCookie.get(old);
            if (oldSlot != NONE)
            {
                remove(old);
            }
            else
            {
                table.remove(scratch);
                counters[ORPHANS]++;
            }
            inserted = table.insert(f);
        }
        if (!inserted)
        {
            freeSlots[freeCount++] = s;
            counters[MAP_FULL]++;
            post(owner, cookie, 0, 0, OffloadFold.REFUSED);
            return;
        }
        cookieBySlot[s] = cookie;
        foldedPackets[s] = 0;
        foldedBytes[s] = 0;
        slotByCookie.put(cookie, s);
        counters[OFFLOADED]++;
    }

    /** Copies {@code f}'s key into {@code to}. */
    private static void copyKey(final FlowRecord f, final FlowRecord to)
    {
        to.ifindex = f.ifindex;
        to.family = f.family;
        to.protocol = f.protocol;
        to.srcHi = f.srcHi;
        to.srcLo = f.srcLo;
        to.dstHi = f.dstHi;
        to.dstLo = f.dstLo;
        to.srcPort = f.srcPort;
        to.dstPort = f.dstPort;
    }

    /** Removes the flow of {@code cookie} (unknown cookies are ignored) and sends its owner the final counters. */
    private void remove(final long cookie)
    {
        final long slot = slotByCookie.get(cookie);
        if (slot == NONE)
        {
            return;
        }
        final int s = (int)slot;
        final FlowRecord f = flows[s];
        if (table.remove(f))
        {
            foldOne(s, f.packets, f.bytes, f.lastSeenNs);
        }
        free(s);
        counters[REMOVED]++;
    }

    private void free(final int s)
    {
        slotByCookie.remove(cookieBySlot[s]);
        cookieBySlot[s] = NONE;
        freeSlots[freeCount++] = s;
    }

    private int scan()
    {
        orphanCount = 0;
        counters[SCANS]++;
        final int visited = table.forEach(scanVisitor);
        for (int k = 0; k < orphanCount; k++)
        {
            table.remove(orphans[k]);
            counters[ORPHANS]++;
        }
        return visited;
    }

    private void scanned(final FlowRecord flow)
    {
        final long slot = slotByCookie.get(flow.cookie);
        if (slot == NONE)
        {
            if (orphanCount < orphans.length)
            {
                copyKey(flow, orphans[orphanCount++]); // deleted after the walk (deleting while walking may skip entries)
            }
            return;
        }
        foldOne((int)slot, flow.packets, flow.bytes, flow.lastSeenNs);
    }

    /** Sends the owner what the map counted since the last fold of slot {@code s}; nothing when nothing new. */
    private void foldOne(final int s, final long packets, final long bytes, final long lastSeenNs)
    {
        final long dp = packets - foldedPackets[s];
        if (dp <= 0)
        {
            return;
        }
        final long cookie = cookieBySlot[s];
        final WorkerOffload owner = byId[OffloadCookie.worker(cookie)];
        if (owner == null)
        {
            return;
        }
        if (post(owner, cookie, dp, bytes - foldedBytes[s], lastSeenNs))
        {
            foldedPackets[s] = packets;
            foldedBytes[s] = bytes;
            counters[FOLDS]++;
        }
        else
        {
            counters[FOLD_RING_FULL]++; // the next round sends the sum
        }
    }

    private static boolean post(final WorkerOffload owner, final long cookie, final long packets, final long bytes, final long lastSeenNs)
    {
        final SpscSlotRing ring = owner.folds();
        final long slot = ring.claim();
        if (slot == 0)
        {
            return false;
        }
        OffHeap.putLong(slot + OffloadFold.COOKIE_OFFSET, cookie);
        OffHeap.putLong(slot + OffloadFold.PACKETS_OFFSET, packets);
        OffHeap.putLong(slot + OffloadFold.BYTES_OFFSET, bytes);
        OffHeap.putLong(slot + OffloadFold.LAST_SEEN_OFFSET, lastSeenNs);
        ring.commit();
        return true;
    }

    @Override
    public void close()
    {
        running = false;
        final Thread t = thread;
        if (t != null)
        {
            LockSupport.unpark(t);
            try
            {
                t.join(TimeUnit.SECONDS.toMillis(5));
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }
}
