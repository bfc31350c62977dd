package io.flowgate.pipeline.offload;

import io.flowgate.conntrack.Conntrack;
import io.flowgate.conntrack.ConntrackTable;
import io.flowgate.conntrack.CtInfo;
import io.flowgate.conntrack.CtKey;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStatus;
import io.flowgate.conntrack.OffHeap;
import io.flowgate.conntrack.SpscSlotRing;
import io.flowgate.conntrack.tcp.TcpState;
import io.flowgate.nativebindings.Memory;
import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.conntrack.CtClock;
import io.flowgate.pipeline.rules.RuleWorker;
import java.lang.foreign.Arena;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A worker's side of the offload of established connections to the XDP fast path (docs/xdp-fastpath.md "Offload").
 * <p>
 * Usage: built per worker before start and given to it ({@code RouterWorker.offload}); the worker calls
 * {@link #consider} for each forwarded packet as it stages it for transmit (MACs written, NAT applied) and
 * {@link #poll} in its housekeeping; the conntrack tells {@link #unoffload} (an {@link Conntrack.OffloadListener}).
 * The agent ({@code io.flowgate.xdp.offload.OffloadAgent}) consumes {@link #requests()} and produces into
 * {@link #folds()}, and switches the whole thing with {@link #enabled(boolean)}.
 * <p>
 * Decision ({@code flow_offload} in nft's terms, done by the worker without a rule): the packet's verdict is ACCEPT
 * and it is forwarded; its entry is CONFIRMED, ASSURED, not DYING, not EXPECTED, without HELPER, SEQ_ADJUST,
 * NAT_CLASH or a fixed timeout; the packet is ESTABLISHED or ESTABLISHED_REPLY (not RELATED); TCP in ESTABLISHED or
 * UDP that has seen a reply; IPv4 or IPv6; and no rule that matched the packet ran a statement other than a plain verdict
 * or a counter ({@code PacketBurst.ruleEffects}: limit, log, mark set, notrack, NAT, queue), since the fast path would
 * bypass it for the flow's later packets ({@link #DECLINED_RULES}). The rule counters that counted the requesting packet
 * are remembered per direction, and each fold adds the fast path's packets and bytes to them ({@link #rules}), so that
 * {@code ct state established counter accept} both offloads and keeps counting. Each direction is requested once (the first packet of it that qualifies),
 * and the entry's OFFLOAD status bit is set with the first.
 * <p>
 * Thread-safety: {@link #consider}, {@link #poll}, {@link #unoffload} on the owning worker only; {@link #enabled},
 * {@link #appliedSync}, {@link #counter} from any thread; the rings one producer and one consumer each.
 * Shutdown: the rings live in the arena given at construction.
 */
public final class WorkerOffload implements Conntrack.OffloadListener
{
    /** Counters ({@link #counter}). */
    public static final int REQUESTED = 0;
    public static final int REQUEST_RING_FULL = 1;
    public static final int REMOVALS = 2;
    public static final int REMOVAL_RING_FULL = 3;
    public static final int FOLDS = 4;
    public static final int STALE_FOLDS = 5;
    public static final int REFUSED = 6;
    /** Packets that qualified but a rule that matched them ran a statement ({@code PacketBurst.ruleEffects}): one per packet. */
    public static final int DECLINED_RULES = 7;
    /** Folds that carried packets for rule counters of a ruleset since replaced: not counted; the direction was taken back. */
    public static final int RULES_RELOADED = 8;
    public static final int COUNTERS = 9;
    /** {@link #ruleCounters} ints per entry direction: count, ruleset version, then the rules. */
    private static final int RULE_STRIDE = 2 + PacketBurst.RULE_COUNTERS;

    private static final VarHandle ENABLED;
    private static final VarHandle APPLIED_SYNC;
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    static
    {
        try
        {
            final MethodHandles.Lookup lookup = MethodHandles.lookup();
            ENABLED = lookup.findVarHandle(WorkerOffload.class, "enabled", boolean.class);
            APPLIED_SYNC = lookup.findVarHandle(WorkerOffload.class, "appliedSync", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /** Entry bits not allowed on an offloaded connection (and CONFIRMED | ASSURED required). */
    private static final int NOT_OFFLOADABLE = CtStatus.DYING | CtStatus.EXPECTED | CtStatus.HELPER | CtStatus.SEQ_ADJUST | CtStatus.NAT_CLASH
        | CtStatus.FIXED_TIMEOUT | CtStatus.TEMPLATE;
    private static final int REQUIRED = CtStatus.CONFIRMED | CtStatus.ASSURED;

    private final int worker;
    private final Conntrack conntrack;
    private final ConntrackTable table;
    private final CtClock clock;
    private final SpscSlotRing requests;
    private final SpscSlotRing folds;
    /** Per entry: bit d set when direction d was requested, bit 2 + d when the agent refused it (owner only). */
    private final byte[] requested;
    /** Removals the request ring had no room for, retried in {@link #poll}. */
    private final long[] pendingRemovals;
    private int pendingCount;
    /** The worker's rule engine (null without rules): whose counters the folds add to. */
    private RuleWorker rules;
    /** Per entry direction ({@code (2 * idx + dir) * RULE_STRIDE}): rule counters the fast path counts for; null without rules. */
    private int[] ruleCounters;
    private final CtKey in = new CtKey();
    private final CtKey out = new CtKey();
    private final long[] counters = new long[COUNTERS];
    @SuppressWarnings("unused")
    private long p01, p02, p03, p04, p05, p06, p07;
    private volatile boolean enabled;
    private volatile long appliedSync;
    @SuppressWarnings("unused")
    private long p11, p12, p13, p14, p15, p16, p17;

    /**
     * @param requestSlots slots of the request ring (power of two): bursts of new connections beyond it wait for a later packet
     * @param foldSlots    slots of the fold ring (power of two): at least the flows one worker may have offloaded, times two
     */
    public WorkerOffload(final Arena arena, final int worker, final Conntrack conntrack, final CtClock clock, final int requestSlots,
                         final int foldSlots)
    {
        this.worker = worker;
        this.conntrack = conntrack;
        this.table = conntrack.table();
        this.clock = clock;
        this.requests = new SpscSlotRing(arena, requestSlots, OffloadRequest.SIZE);
        this.folds = new SpscSlotRing(arena, foldSlots, OffloadFold.SIZE);
        this.requested = new byte[table.capacity()];
        this.pendingRemovals = new long[Math.max(64, requestSlots)];
        conntrack.offload(this);
    }

    /**
     * Before the worker starts (RouterWorker wires it): the rule engine of this worker, whose rule counters the
     * folds of a direction add the fast path's packets to when a counter counted the packet that requested it.
     */
    public void rules(final RuleWorker rules)
    {
        this.rules = rules;
        if (rules != null && ruleCounters == null)
        {
            ruleCounters = new int[2 * requested.length * RULE_STRIDE];
        }
    }

    public int worker()
    {
        return worker;
    }

    /** The agent's side of the worker-to-agent ring ({@link OffloadRequest} slots). */
    public SpscSlotRing requests()
    {
        return requests;
    }

    /** The agent's side of the agent-to-worker ring ({@link OffloadFold} slots). */
    public SpscSlotRing folds()
    {
        return folds;
    }

    /** Any thread (the agent): whether new requests are made. Off does not clear anything by itself (see {@link OffloadFold#CLEAR}). */
    public void enabled(final boolean on)
    {
        ENABLED.setRelease(this, on);
    }

    public boolean enabled()
    {
        return (boolean)ENABLED.getAcquire(this);
    }

    /** Any thread: the last {@link OffloadFold#SYNC} sequence this worker applied (every fold before it is in its table). */
    public long appliedSync()
    {
        return (long)APPLIED_SYNC.getAcquire(this); // R3: pairs with W3 in poll
    }

    /** Any thread: a counter ({@link #REQUESTED}...). */
    public long counter(final int counter)
    {
        return (long)LONGS.getOpaque(counters, counter);
    }

    /** The name of counter {@code counter} for statistics ("requested", ..., "declined_rules", "rules_reloaded"). */
    public static String counterName(final int counter)
    {
        return switch (counter)
        {
            case REQUESTED -> "requested";
            case REQUEST_RING_FULL -> "request_ring_full";
            case REMOVALS -> "removals";
            case REMOVAL_RING_FULL -> "removal_ring_full";
            case FOLDS -> "folds";
            case STALE_FOLDS -> "stale_folds";
            case REFUSED -> "refused";
            case DECLINED_RULES -> "declined_rules";
            case RULES_RELOADED -> "rules_reloaded";
            default -> throw new IllegalArgumentException("no counter " + counter);
        };
    }

    private void count(final int counter)
    {
        LONGS.setOpaque(counters, counter, counters[counter] + 1); // single writer: a plain increment published opaquely
    }

    /**
     * Owner, per forwarded packet at transmit staging: requests the offload of packet {@code i}'s direction when the
     * decision allows it. {@code out} is its egress port, {@code mtu} that port's MTU; the frame's MACs are final.
     */
    public void consider(final PacketBurst b, final int i, final int outPort, final int mtu)
    {
        final int idx = b.ct[i];
        if (idx < 0)
        {
            return;
        }
        final int info = b.ctinfo[i];
        final int dir;
        if (info == CtInfo.ESTABLISHED)
        {
            dir = 0;
        }
        else if (info == CtInfo.ESTABLISHED_REPLY)
        {
            dir = 1;
        }
        else
        {
            return;
        }
        final byte mask = requested[idx];
        if ((mask & (1 << dir)) != 0)
        {
            return;
        }
        final long record = table.record(idx);
        final int status = CtRecord.status(record);
        if ((status & (REQUIRED | NOT_OFFLOADABLE)) != REQUIRED || !enabled)
        {
            return;
        }
        final int protocol = CtRecord.protocol(record);
        if (protocol == Conntrack.IPPROTO_TCP)
        {
            if (OffHeap.getUnsignedByte(record + CtRecord.TCP_STATE_OFFSET) != TcpState.ESTABLISHED)
            {
                return;
            }
        }
        else if (protocol != Conntrack.IPPROTO_UDP || (status & CtStatus.SEEN_REPLY) == 0)
        {
            return;
        }
        final int effects = b.ruleEffects[i];
        if (effects != 0 && (effects < 0 || ruleCounters == null))
        {
            count(DECLINED_RULES); // the verdict is not a plain forward: a later packet of the flow may still qualify
            return;
        }
        request(b, i, idx, record, dir, mask, status, outPort, mtu);
    }

    /** The slow half of {@link #consider}: once per direction of a connection. */
    private void request(final PacketBurst b, final int i, final int idx, final long record, final int dir, final byte mask, final int status,
                         final int outPort, final int mtu)
    {
        final long slot = requests.claim();
        if (slot == 0)
        {
            count(REQUEST_RING_FULL); // not now; a later packet of the direction asks again
            return;
        }
        // As received: this direction's tuple. As sent: the other direction's tuple inverted (NAT fixed it there).
        table.tuple(idx, dir, in);
        table.tuple(idx, dir ^ 1, out);
        final long newSrcHi = out.dstHi;
        final long newSrcLo = out.dstLo;
        final long newDstHi = out.srcHi;
        final long newDstLo = out.srcLo;
        final int newSrcPort = out.dstPort;
        final int newDstPort = out.srcPort;
        int flags = 0;
        if (newSrcHi != in.srcHi || newSrcLo != in.srcLo || newSrcPort != in.srcPort)
        {
            flags |= OffloadRequest.SNAT;
        }
        if (newDstHi != in.dstHi || newDstLo != in.dstLo || newDstPort != in.dstPort)
        {
            flags |= OffloadRequest.DNAT;
        }
        final long frame = b.frame[i];
        // MACs in the frame as written: dst bytes 0..5, src 6..11; read big-endian into the low 48 bits.
        final long dstMac = Long.reverseBytes(Memory.getLong(frame)) >>> 16;
        final long srcMac = Long.reverseBytes(Memory.getLong(frame + 4)) & 0xFFFF_FFFF_FFFFL;
        OffHeap.putInt(slot + OffloadRequest.TYPE_OFFSET, OffloadRequest.INSERT);
        OffHeap.putInt(slot + OffloadRequest.INGRESS_OFFSET, b.inPort[i]);
        OffHeap.putLong(slot + OffloadRequest.COOKIE_OFFSET, OffloadCookie.of(worker, table.generation(idx), dir, idx));
        OffHeap.putInt(slot + OffloadRequest.EGRESS_OFFSET, outPort);
        OffHeap.putInt(slot + OffloadRequest.MTU_OFFSET, mtu);
        OffHeap.putByte(slot + OffloadRequest.FAMILY_OFFSET, CtRecord.family(record));
        OffHeap.putByte(slot + OffloadRequest.PROTOCOL_OFFSET, in.protocol);
        OffHeap.putByte(slot + OffloadRequest.FLAGS_OFFSET, flags);
        OffHeap.putShort(slot + OffloadRequest.SRC_PORT_OFFSET, in.srcPort);
        OffHeap.putShort(slot + OffloadRequest.DST_PORT_OFFSET, in.dstPort);
        OffHeap.putLong(slot + OffloadRequest.SRC_HI_OFFSET, in.srcHi);
        OffHeap.putLong(slot + OffloadRequest.SRC_LO_OFFSET, in.srcLo);
        OffHeap.putLong(slot + OffloadRequest.DST_HI_OFFSET, in.dstHi);
        OffHeap.putLong(slot + OffloadRequest.DST_LO_OFFSET, in.dstLo);
        OffHeap.putLong(slot + OffloadRequest.NEW_SRC_HI_OFFSET, newSrcHi);
        OffHeap.putLong(slot + OffloadRequest.NEW_SRC_LO_OFFSET, newSrcLo);
        OffHeap.putLong(slot + OffloadRequest.NEW_DST_HI_OFFSET, newDstHi);
        OffHeap.putLong(slot + OffloadRequest.NEW_DST_LO_OFFSET, newDstLo);
        OffHeap.putShort(slot + OffloadRequest.NEW_SRC_PORT_OFFSET, newSrcPort);
        OffHeap.putShort(slot + OffloadRequest.NEW_DST_PORT_OFFSET, newDstPort);
        OffHeap.putLong(slot + OffloadRequest.DST_MAC_OFFSET, dstMac);
        OffHeap.putLong(slot + OffloadRequest.SRC_MAC_OFFSET, srcMac);
        requests.commit();
        final int[] rc = ruleCounters;
        if (rc != null)
        {
            final int n = b.ruleEffects[i];
            final int at = (2 * idx + dir) * RULE_STRIDE;
            rc[at] = n;
            rc[at + 1] = rules.version();
            for (int k = 0; k < n; k++)
            {
                rc[at + 2 + k] = b.ruleCounters[PacketBurst.RULE_COUNTERS * i + k];
            }
        }
        requested[idx] = (byte)(mask | (1 << dir));
        if ((status & CtStatus.OFFLOAD) == 0)
        {
            conntrack.offloaded(idx, true);
        }
        count(REQUESTED);
    }

    /**
     * Owner (the conntrack's listener): entry {@code idx} leaves the fast path (FIN/RST) or dies (expiry, eviction,
     * deletion, offloaded or not); forgets what was asked for the slot and asks the agent to remove each direction it
     * was given (a refused one is not in the map).
     */
    @Override
    public void unoffload(final int idx, final long record)
    {
        final int mask = requested[idx];
        if (mask == 0)
        {
            return;
        }
        requested[idx] = 0;
        final int generation = table.generation(idx);
        for (int d = 0; d < 2; d++)
        {
            if ((mask & (1 << d)) != 0 && (mask & (4 << d)) == 0)
            {
                remove(OffloadCookie.of(worker, generation, d, idx));
            }
        }
    }

    private void remove(final long cookie)
    {
        final long slot = requests.claim();
        if (slot == 0)
        {
            count(REMOVAL_RING_FULL);
            if (pendingCount < pendingRemovals.length)
            {
                pendingRemovals[pendingCount++] = cookie; // retried in poll
            }
            // NOTE: beyond that the flow stays in the map until its next fold, which finds it stale and asks again.
            return;
        }
        OffHeap.putInt(slot + OffloadRequest.TYPE_OFFSET, OffloadRequest.REMOVE);
        OffHeap.putLong(slot + OffloadRequest.COOKIE_OFFSET, cookie);
        requests.commit();
        count(REMOVALS);
    }

    /** Owner, in housekeeping: applies the agent's folds, retries removals the ring refused. Returns the work done. */
    public int poll()
    {
        int work = 0;
        final int retry = pendingCount;
        if (retry > 0)
        {
            pendingCount = 0;
            for (int k = 0; k < retry; k++)
            {
                remove(pendingRemovals[k]); // may put it back
            }
        }
        final SpscSlotRing ring = folds;
        for (long slot = ring.peek(); slot != 0; slot = ring.peek())
        {
            final long cookie = OffHeap.getLong(slot + OffloadFold.COOKIE_OFFSET);
            final long packets = OffHeap.getLong(slot + OffloadFold.PACKETS_OFFSET);
            if (cookie == OffloadFold.SYNC)
            {
                ring.release();
                APPLIED_SYNC.setRelease(this, packets); // W3: pairs with R3 in appliedSync
            }
            else if (cookie == OffloadFold.CLEAR)
            {
                ring.release();
                clear();
            }
            else
            {
                fold(cookie, packets, OffHeap.getLong(slot + OffloadFold.BYTES_OFFSET), OffHeap.getLong(slot + OffloadFold.LAST_SEEN_OFFSET));
                ring.release();
            }
            work++;
        }
        return work;
    }

    private void fold(final long cookie, final long packets, final long bytes, final long lastSeenNs)
    {
        final int idx = OffloadCookie.index(cookie);
        final int dir = OffloadCookie.dir(cookie);
        if (OffloadCookie.worker(cookie) != worker || idx < 0 || idx >= requested.length)
        {
            count(STALE_FOLDS);
            return;
        }
        final int status = CtRecord.status(table.record(idx));
        // NOTE: a connection that left the fast path but lives (FIN/RST) still takes its final fold: only the generation
        // and liveness decide, not the requested bits.
        if (!OffloadCookie.sameGeneration(cookie, table.generation(idx)) || (status & (CtStatus.CONFIRMED | CtStatus.DYING)) != CtStatus.CONFIRMED)
        {
            count(STALE_FOLDS); // the connection died (its slot may hold another now): only its removal is left to do
            if (packets > 0)
            {
                remove(cookie); // the map still carries a flow nobody owns: ask again (the agent ignores unknown cookies)
            }
            return;
        }
        if (lastSeenNs == OffloadFold.REFUSED)
        {
            // Not asked again (a full map would be asked on every packet); the entry shows OFFLOAD only while a direction is in the map.
            final int mask = requested[idx] | (4 << dir);
            requested[idx] = (byte)mask;
            if ((mask & 3) == (mask >>> 2))
            {
                conntrack.offloaded(idx, false);
            }
            count(REFUSED);
            return;
        }
        conntrack.fold(idx, dir, packets, bytes, lastSeenNs == 0 ? clock.nowMs() : clock.monotonicToMs(lastSeenNs));
        count(FOLDS);
        final int[] rc = ruleCounters;
        if (rc != null && packets > 0)
        {
            foldRules(rc, (2 * idx + dir) * RULE_STRIDE, cookie, idx, dir, packets, bytes);
        }
    }

    /** The fast path's packets of a direction into the rule counters that counted its requesting packet. */
    private void foldRules(final int[] rc, final int at, final long cookie, final int idx, final int dir, final long packets, final long bytes)
    {
        final int n = rc[at];
        for (int k = 0; k < n; k++)
        {
            if (!rules.foldCounter(rc[at + 1], rc[at + 2 + k], packets, bytes))
            {
                // The ruleset was replaced: its rule indexes mean nothing now. The direction comes back to the worker,
                // whose next packet is evaluated by the new rules (and may ask again).
                rc[at] = 0;
                count(RULES_RELOADED);
                final int mask = requested[idx] & ~(1 << dir);
                requested[idx] = (byte)mask;
                remove(cookie);
                if ((mask & 3) == 0)
                {
                    conntrack.offloaded(idx, false); // the tracker forgets its stale window state
                }
                return;
            }
        }
    }

    /** What was asked for slot {@code idx}: bit d a request for direction d, bit 2 + d its refusal (tests). */
    int requestedMask(final int idx)
    {
        return requested[idx];
    }

    /** Offload switched off: the agent emptied the map; every OFFLOAD bit goes (a control-plane event: one pass over the entries). */
    private void clear()
    {
        final byte[] r = requested;
        for (int idx = 0; idx < r.length; idx++)
        {
            if (r[idx] != 0)
            {
                r[idx] = 0;
                conntrack.offloaded(idx, false);
            }
        }
        pendingCount = 0;
    }
}
