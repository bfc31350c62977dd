package io.flowgate.conntrack;

import io.flowgate.conntrack.expect.ExpectTable;
import io.flowgate.conntrack.expect.HelpTable;
import io.flowgate.conntrack.tcp.TcpRecord;
import io.flowgate.conntrack.tcp.TcpResult;
import io.flowgate.conntrack.tcp.TcpState;
import io.flowgate.conntrack.tcp.TcpTracker;
import io.flowgate.conntrack.tcp.TcpTrackerConfig;

/**
 * One worker's connection tracker: Linux's {@code nf_conntrack_in} and {@code __nf_conntrack_confirm} over
 * the worker's own {@link ConntrackTable}.
 * <p>
 * Usage, per burst, on the owning worker: {@link #in} for every packet at PREROUTING (the packet's facts in a
 * {@link CtPacket}); it returns the packet's ctinfo and leaves the entry's index in {@link #index()}. Every
 * packet that leaves the hooks alive (POSTROUTING or INPUT) is {@link #confirm}ed; {@link #endBurst()} then
 * frees the entries whose first packet was dropped on the way, so a packet dropped by a rule leaves no entry.
 * {@link #poll} once per worker poll runs the table's housekeeping, the control plane's requests and nothing
 * else.
 * <p>
 * Two packets of one new flow in the same burst share the first one's unconfirmed entry (Linux confirms the
 * first before it sees the second; here both are in flight before either is confirmed). Should a clash still
 * happen at confirmation it is resolved as Linux's {@code nf_ct_resolve_clash}: UDP, ICMP and generic
 * packets join the entry already there, a TCP packet is dropped ({@code insert_failed}).
 * <p>
 * Thread-safety: the owning worker only. Other threads reach the table through its readers, the
 * {@link CtMailbox} and the {@link CtEventRing}.
 */
public final class Conntrack implements ConntrackTable.Listener
{
    public static final int IPPROTO_ICMP = 1;
    public static final int IPPROTO_TCP = 6;
    public static final int IPPROTO_UDP = 17;
    public static final int IPPROTO_ICMPV6 = 58;

    /** UDP's private state in the protocol area: the time after which a replied flow counts as a stream (Linux's stream_ts). */
    private static final int UDP_STREAM_TS_OFFSET = CtRecord.PROTO_OFFSET;
    private static final int UDP_STREAM_DELAY_MS = 2_000;

    /** For {@link #in(CtPacket, int, int)}: the packet has not been looked up yet. */
    public static final int LOOKUP = -2;

    private static final int ACCEPT = 0;
    private static final int INVALID = 1;
    private static final int REPEAT = 2;
    private static final int DROP = 3;

    private final int worker;
    private final ConntrackTable table;
    private final CtStats stats;
    private final CtTimeouts timeouts;
    private final TcpTracker tcp;
    private final TcpTrackerConfig tcpTimeouts;
    private final TcpResult tcpResult = new TcpResult();
    private final CtEventRing events;
    private final CtMailbox mailbox;
    private final CtKey reply = new CtKey();
    private final CtKey scratch = new CtKey();
    private final int[] pending;
    private final int[] pendingHashes;
    private int pendingCount;
    private Binding binding;
    private OffloadListener offload;
    private int index = ConntrackTable.NONE;
    private boolean drop;
    private long unixSeconds;
    /** The table clock of the current call (for events' remaining timeouts). */
    private int clockMs;
    /** Expectations and helped connections' state; null when no helper is configured (then nothing costs). */
    private ExpectTable expectations;

    /**
     * Builds the worker's table (from {@code memory}) and its trackers.
     *
     * @param maxPendingPerBurst new entries one burst can create (the burst size)
     * @param maxReaders         threads that may read the table at once (control plane)
     */
    public Conntrack(final int worker, final ConntrackConfig config, final ConntrackTable.Memory memory, final CtEventRing events,
                     final CtMailbox mailbox, final int maxPendingPerBurst, final int maxReaders, final long hashSeed)
    {
        this.worker = worker;
        this.stats = new CtStats();
        this.timeouts = config.timeouts();
        this.tcp = new TcpTracker(config.tcp());
        this.tcpTimeouts = config.tcp();
        this.events = events;
        this.mailbox = mailbox;
        this.pending = new int[maxPendingPerBurst];
        this.pendingHashes = new int[maxPendingPerBurst];
        this.unixSeconds = System.currentTimeMillis() / 1000;
        // NOTE: the table keeps `this` as its listener; it calls back only from the owner's later calls.
        this.table = new ConntrackTable(new ConntrackTable.Config(config.capacity(), config.capacity6(), config.initialCapacity(), maxReaders,
            hashSeed), memory, this, stats);
    }

    public int worker()
    {
        return worker;
    }

    public ConntrackTable table()
    {
        return table;
    }

    /** Attaches the worker's expectation table (helpers configured); before the first packet. */
    public void expectations(final ExpectTable expectations)
    {
        this.expectations = expectations;
        tcp.seqadj(expectations == null ? null : expectations.help(), HelpTable.NONE);
    }

    public ExpectTable expectations()
    {
        return expectations;
    }

    public CtStats stats()
    {
        return stats;
    }

    /** The entry of the last {@link #in}: a record index, or {@link ConntrackTable#NONE} when the packet is untracked or invalid. */
    public int index()
    {
        return index;
    }

    /** Whether the last {@link #in} asks for the packet to be dropped (no room for a new entry, Linux's NF_DROP). */
    public boolean drop()
    {
        return drop;
    }

    /** The table clock of the last call (in, confirm, poll): confirmation in the same burst uses the clock its PREROUTING saw. */
    public int clockMs()
    {
        return clockMs;
    }

    /** The wall clock for new entries' start time, set once per poll by the caller. */
    public void unixSeconds(final long unixSeconds)
    {
        this.unixSeconds = unixSeconds;
    }

    /**
     * {@code nf_conntrack_in} for one packet: finds or creates its entry, runs the protocol tracker, counts and
     * refreshes. Returns the {@link CtInfo}; the entry is then {@link #index()}.
     */
    public int in(final CtPacket p, final int nowMs)
    {
        return in(p, nowMs, LOOKUP);
    }

    /** {@link #in} with the packet's index lookup already done ({@link ConntrackTable#lookupBurst}): {@code ref} is its result. */
    public int in(final CtPacket p, final int nowMs, final int lookedUp)
    {
        index = ConntrackTable.NONE;
        drop = false;
        clockMs = nowMs;
        final int protocol = p.key.protocol;
        final boolean icmp = protocol == IPPROTO_ICMP || protocol == IPPROTO_ICMPV6;
        if (p.status != CtPacket.OK)
        {
            if (p.status == CtPacket.UNTRACKED)
            {
                return CtInfo.UNTRACKED;
            }
            if (icmp || p.status == CtPacket.BAD_INNER)
            {
                stats.error++; // nf_conntrack_handle_icmp: what the ICMP error handler refuses counts as error, not invalid
            }
            else
            {
                stats.invalid++;
            }
            return CtInfo.INVALID;
        }
        if (p.icmpError)
        {
            return related(p, nowMs);
        }
        boolean repeated = false;
        int looked = lookedUp;
        while (true)
        {
            int ref0 = looked;
            looked = LOOKUP;
            if (ref0 == LOOKUP || (ref0 != ConntrackTable.NONE && (CtRecord.status(table.record(ref0 >>> 1)) & CtStatus.DYING) != 0))
            {
                ref0 = table.lookup(p.key, nowMs); // not looked up yet, or killed by an earlier packet of this burst
            }
            int ref = ref0;
            boolean created = false;
            if (ref == ConntrackTable.NONE) // (a hit is counted by the table as found)
            {
                ref = pendingLookup(p.key);
            }
            if (ref == ConntrackTable.NONE)
            {
                if (!invert(p.key, reply))
                {
                    stats.invalid++; // init_conntrack: "Can't invert tuple"
                    return CtInfo.INVALID;
                }
                final int created0 = table.allocate(p.key, reply, nowMs, unixSeconds);
                if (created0 == ConntrackTable.NONE)
                {
                    stats.drop++; // "table full, dropping packet" (the table counted insert_failed)
                    drop = true;
                    return CtInfo.INVALID;
                }
                stats.created++;
                if (expectations != null)
                {
                    expectations.match(p.key, created0, nowMs); // init_conntrack: an expected connection is EXPECTED, RELATED
                }
                if (pendingCount < pending.length)
                {
                    pendingHashes[pendingCount] = pendingHash(p.key);
                    pending[pendingCount++] = created0;
                }
                ref = created0 << 1;
                created = true;
            }
            final int idx = ref >>> 1;
            final int dir = ref & 1;
            final long record = table.record(idx);
            final int status = CtRecord.status(record);
            final int ctinfo = dir == 1 ? CtInfo.ESTABLISHED_REPLY
                : (status & CtStatus.SEEN_REPLY) != 0 ? CtInfo.ESTABLISHED
                : (status & CtStatus.EXPECTED) != 0 ? CtInfo.RELATED : CtInfo.NEW;
            final int result = packet(protocol, idx, record, dir, ctinfo, status, created, p, nowMs);
            if (result == ACCEPT)
            {
                if (dir == 1 && (status & CtStatus.SEEN_REPLY) == 0)
                {
                    setStatus(record, CtStatus.SEEN_REPLY);
                    event(CtEvent.UPDATE, idx, record);
                }
                index = idx;
                return ctinfo;
            }
            if (created)
            {
                releasePending(idx);
            }
            if (result == REPEAT && !repeated)
            {
                repeated = true; // the TCP tracker killed the old connection (SYN reopening TIME_WAIT): look up again, creating a fresh one
                continue;
            }
            stats.invalid++;
            if (result == DROP)
            {
                stats.drop++;
                drop = true;
            }
            return CtInfo.INVALID;
        }
    }

    /**
     * {@code __nf_conntrack_confirm} for a packet leaving the hooks: inserts its entry under both tuples if it is
     * not in the table yet. Returns the index the packet belongs to from now on (another entry when a clash was
     * resolved in favour of the one already there), or {@link ConntrackTable#NONE} when the packet must be
     * dropped (a TCP clash: {@code insert_failed}).
     */
    public int confirm(final int idx, final int nowMs)
    {
        clockMs = nowMs;
        final long record = table.record(idx);
        final int status = CtRecord.status(record);
        if ((status & (CtStatus.CONFIRMED | CtStatus.DYING)) != 0)
        {
            return idx;
        }
        if (table.confirm(idx))
        {
            removePending(idx);
            event(CtEvent.NEW, idx, record);
            return idx;
        }
        // A clash: another entry with one of our tuples was confirmed first.
        final int protocol = CtRecord.protocol(record);
        table.tuple(idx, 0, scratch);
        final int winner = table.lookup(scratch, nowMs);
        removePending(idx);
        if (protocol == IPPROTO_TCP || winner == ConntrackTable.NONE || (winner & 1) != 0)
        {
            release(idx);
            stats.drop++;
            return ConntrackTable.NONE;
        }
        final long winning = table.record(winner >>> 1);
        CtRecord.beginWrite(winning);
        for (int d = 0; d < 2; d++)
        {
            final long counters = winning + CtRecord.COUNTERS_OFFSET + ((long)d << 4);
            OffHeap.putLong(counters, OffHeap.getLong(counters) + CtRecord.packets(record, d));
            OffHeap.putLong(counters + 8, OffHeap.getLong(counters + 8) + CtRecord.bytes(record, d));
        }
        CtRecord.endWrite(winning);
        release(idx);
        stats.insertFailed--; // the table counted the clash; Linux counts a resolved one only as clash_resolve
        stats.clashResolve++;
        return winner >>> 1;
    }

    /** New entries of this burst not confirmed yet: none means confirmation has nothing to do. */
    public int pendingCount()
    {
        return pendingCount;
    }

    /** Frees the entries created in this burst whose packets never reached confirmation. */
    public void endBurst()
    {
        for (int k = 0; k < pendingCount; k++)
        {
            final int idx = pending[k];
            if ((CtRecord.status(table.record(idx)) & CtStatus.CONFIRMED) == 0)
            {
                release(idx);
            }
        }
        pendingCount = 0;
    }

    /** Housekeeping for one worker poll: the table's (migration, reclamation, expiry sweep) and the control plane's requests. */
    public int poll(final int nowMs)
    {
        clockMs = nowMs;
        int work = table.poll(nowMs);
        if (expectations != null)
        {
            work += expectations.expire(nowMs, 64);
        }
        if (mailbox != null)
        {
            work += mailbox.serve(this, nowMs);
        }
        return work;
    }

    /** Deletes a confirmed entry now (control plane delete, flush, a tracker's kill): DESTROY event, retired. */
    public void kill(final int idx)
    {
        table.delete(idx); // the table tells removed(), which publishes DESTROY
    }

    @Override
    public void removed(final int idx, final long record, final int reason)
    {
        if (expectations != null)
        {
            expectations.removed(idx, CtRecord.status(record)); // its expectations die with it
        }
        if (binding != null)
        {
            binding.destroyed(idx, record);
        }
        if (offload != null)
        {
            // Expired, evicted, deleted (ct -D, flush) or killed by the tracker. Told even without OFFLOAD: the listener
            // may keep state for the slot (a refused request) that its next connection must not inherit.
            offload.unoffload(idx, record);
        }
        event(CtEvent.DESTROY, idx, record);
    }

    /** Something that keeps state per connection (NAT's source mappings): told when an entry dies, confirmed or not. */
    public interface Binding
    {
        /** Entry {@code idx} is going away; its record is still intact. */
        void destroyed(int idx, long record);
    }

    /**
     * The offload of established connections to a fast path outside this tracker (the XDP program): told, on the
     * owner thread, when an entry goes away (whether OFFLOAD is set or not) and when an OFFLOAD entry must leave the
     * fast path because a TCP connection left ESTABLISHED (a FIN or RST reached the tracker). The entry's OFFLOAD bit is
     * cleared first when it stays.
     */
    public interface OffloadListener
    {
        void unoffload(int idx, long record);
    }

    /** Sets the one {@link OffloadListener} (or null). Owner thread, before packets flow. */
    public void offload(final OffloadListener offload)
    {
        this.offload = offload;
    }

    /**
     * Sets (true) or clears the OFFLOAD status bit of entry {@code idx}. Owner thread. Clearing it hands a TCP connection
     * back to this tracker, whose window state missed what the fast path carried: the maximum windows are forgotten so
     * the next segment picks the connection up (Linux's flow_offload_fixup_tcp at flowtable teardown), whatever took it
     * back (FIN/RST, the switch, a ruleset reload, a refusal).
     */
    public void offloaded(final int idx, final boolean on)
    {
        final long record = table.record(idx);
        final int status = CtRecord.status(record);
        final int next = on ? status | CtStatus.OFFLOAD : status & ~CtStatus.OFFLOAD;
        if (next != status)
        {
            CtRecord.beginWrite(record);
            CtRecord.status(record, next);
            if (!on && CtRecord.protocol(record) == IPPROTO_TCP)
            {
                forgetWindows(record);
            }
            CtRecord.endWrite(record);
        }
    }

    /** The tracker's window state is stale after the fast path: take the connection up from the next segment. */
    private static void forgetWindows(final long record)
    {
        TcpRecord.tdMaxWin(record, 0, 0);
        TcpRecord.tdMaxWin(record, 1, 0);
    }

    /**
     * Folds what the fast path counted for direction {@code dir} of entry {@code idx} into it: the counters, and
     * the deadline refreshed from {@code lastSeenMs} (table clock) with the current state's timeout, as the packets
     * would have done (never moved earlier; a fixed timeout stays). Owner thread; the caller checked the entry is
     * the one the fast path counted for (generation).
     */
    public void fold(final int idx, final int dir, final long packets, final long bytes, final int lastSeenMs)
    {
        final long record = table.record(idx);
        final int status = CtRecord.status(record);
        final int timeoutMs;
        switch (CtRecord.protocol(record))
        {
            case IPPROTO_TCP:
                timeoutMs = tcpTimeouts.timeoutMs(OffHeap.getUnsignedByte(record + CtRecord.TCP_STATE_OFFSET));
                break;
            case IPPROTO_UDP:
                timeoutMs = (status & CtStatus.ASSURED) != 0 ? timeouts.udpStreamMs() : timeouts.udpMs();
                break;
            default:
                timeoutMs = timeouts.genericMs();
                break;
        }
        CtRecord.beginWrite(record);
        CtRecord.add(record, dir, packets, bytes);
        if ((status & CtStatus.FIXED_TIMEOUT) == 0 && packets > 0 && lastSeenMs + timeoutMs - CtRecord.expires(record) > 0)
        {
            CtRecord.expires(record, lastSeenMs + timeoutMs);
        }
        CtRecord.endWrite(record);
    }

    /** Sets the one {@link Binding} (or null). Owner thread, before packets flow. */
    public void binding(final Binding binding)
    {
        this.binding = binding;
    }

    /**
     * {@code nf_conntrack_tuple_taken}: whether a connection other than {@code ignored} has {@code tuple} in either
     * direction, confirmed or created earlier in this burst (not confirmed yet).
     */
    public boolean tupleTaken(final CtKey tuple, final int ignored, final int nowMs)
    {
        if (table.taken(tuple, nowMs))
        {
            return true;
        }
        for (int k = 0; k < pendingCount; k++)
        {
            final int idx = pending[k];
            if (idx != ignored && (sameTuple(tuple, table.tuple(idx, 1, scratch)) || sameTuple(tuple, table.tuple(idx, 0, scratch))))
            {
                return true;
            }
        }
        return false;
    }

    private void release(final int idx)
    {
        if (expectations != null)
        {
            expectations.removed(idx, CtRecord.status(table.record(idx))); // a helped master dropped before confirmation
        }
        if (binding != null)
        {
            binding.destroyed(idx, table.record(idx));
        }
        table.release(idx);
    }

    // ---- protocol trackers ----

    private int packet(final int protocol, final int idx, final long record, final int dir, final int ctinfo, final int status,
                       final boolean created, final CtPacket p, final int nowMs)
    {
        switch (protocol)
        {
            case IPPROTO_TCP:
                return tcpPacket(idx, record, dir, ctinfo, status, created, p, nowMs);
            case IPPROTO_UDP:
                return udpPacket(idx, record, dir, status, created, p, nowMs);
            case IPPROTO_ICMP:
                return icmpPacket(record, dir, CtRecord.FAMILY_IPV4, p, nowMs, timeouts.icmpMs());
            case IPPROTO_ICMPV6:
                return icmpPacket(record, dir, CtRecord.FAMILY_IPV6, p, nowMs, timeouts.icmpv6Ms());
            default:
                refresh(record, dir, status, p.l3Length, nowMs, timeouts.genericMs());
                return ACCEPT;
        }
    }

    /** nf_conntrack_tcp_packet (the tracker itself is {@link TcpTracker}). */
    private int tcpPacket(final int idx, final long record, final int dir, final int ctinfo, final int status, final boolean created,
                          final CtPacket p, final int nowMs)
    {
        if (tcp.error(p.l4, p.l4Length) != 0)
        {
            return INVALID;
        }
        if (created && !tcp.newConnection(record, p.l4, p.l4Length))
        {
            return INVALID;
        }
        final TcpResult r = tcpResult;
        if (expectations != null)
        {
            tcp.seqadj(expectations.help(), (status & CtStatus.SEQ_ADJUST) != 0 ? expectations.help().find(idx) : HelpTable.NONE);
        }
        final boolean confirmed = (status & CtStatus.CONFIRMED) != 0;
        if (confirmed)
        {
            CtRecord.beginWrite(record);
        }
        if ((status & CtStatus.OFFLOAD) != 0)
        {
            // A segment of a connection still in the fast path (its FIN, or one sent up for its TTL or length): the
            // window state is stale here too (a FIN after megabytes is otherwise out of window).
            forgetWindows(record);
        }
        final int verdict = tcp.packet(record, dir, ctinfo, status, p.l4, p.l4Length, r);
        if (confirmed)
        {
            CtRecord.endWrite(record);
        }
        if (verdict == TcpTracker.REPEAT)
        {
            if (confirmed)
            {
                kill(idx);
            }
            return REPEAT;
        }
        if (verdict == TcpTracker.DROP)
        {
            if (r.kill && confirmed)
            {
                kill(idx);
            }
            return DROP;
        }
        if (verdict != TcpTracker.ACCEPT)
        {
            if (r.shrinkTimeoutMs != 0 && confirmed)
            {
                // nf_tcp_handle_invalid: an out-of-window FIN/RST answering one from the other side shortens a long timeout.
                final int remainingMs = CtRecord.expires(record) - nowMs;
                if (remainingMs >= 120_000 && remainingMs > r.shrinkTimeoutMs)
                {
                    CtRecord.beginWrite(record);
                    CtRecord.expires(record, nowMs + r.shrinkTimeoutMs);
                    CtRecord.endWrite(record);
                }
            }
            return INVALID;
        }
        if (r.refresh)
        {
            refresh(record, dir, status, p.l3Length, nowMs, r.timeoutMs);
        }
        else if (r.kill)
        {
            count(record, dir, p.l3Length); // nf_ct_kill_acct: counted, not refreshed
        }
        final boolean assured = r.assured && (status & CtStatus.ASSURED) == 0;
        if (assured)
        {
            setStatus(record, CtStatus.ASSURED);
        }
        if (r.kill)
        {
            if (confirmed)
            {
                kill(idx); // gone now; the packet itself passes
            }
        }
        else
        {
            if ((status & CtStatus.OFFLOAD) != 0 && offload != null
                && OffHeap.getUnsignedByte(record + CtRecord.TCP_STATE_OFFSET) != TcpState.ESTABLISHED)
            {
                offloaded(idx, false);
                offload.unoffload(idx, record); // a FIN or RST: the rest of the connection is tracked here
            }
            if (confirmed && (assured || r.stateChanged))
            {
                event(CtEvent.UPDATE, idx, record); // the FIN of an offloaded connection is an update like any other
            }
        }
        return ACCEPT;
    }

    /** nf_conntrack_udp_packet with udp_error's length checks (the checksum was checked by the parser). */
    private int udpPacket(final int idx, final long record, final int dir, final int status, final boolean created, final CtPacket p,
                          final int nowMs)
    {
        if (p.l4Length < 8)
        {
            return INVALID; // "short packet"
        }
        final int udpLength = (OffHeap.getUnsignedByte(p.l4 + 4) << 8) | OffHeap.getUnsignedByte(p.l4 + 5);
        if (udpLength > p.l4Length || udpLength < 8)
        {
            return INVALID; // "truncated/malformed packet"
        }
        if (created)
        {
            OffHeap.putInt(record + UDP_STREAM_TS_OFFSET, nowMs + UDP_STREAM_DELAY_MS);
        }
        if ((status & CtStatus.SEEN_REPLY) != 0)
        {
            int extra = timeouts.udpMs();
            boolean stream = false;
            if (nowMs - OffHeap.getInt(record + UDP_STREAM_TS_OFFSET) > 0) // still active after two seconds: a stream
            {
                extra = timeouts.udpStreamMs();
                stream = (status & CtStatus.ASSURED) == 0;
            }
            refresh(record, dir, status, p.l3Length, nowMs, extra);
            if ((status & CtStatus.NAT_CLASH) != 0)
            {
                return ACCEPT; // never assured: such entries time out soon
            }
            if (stream)
            {
                setStatus(record, CtStatus.ASSURED);
                event(CtEvent.UPDATE, idx, record);
            }
        }
        else
        {
            refresh(record, dir, status, p.l3Length, nowMs, timeouts.udpMs());
        }
        return ACCEPT;
    }

    /** nf_conntrack_icmp_packet / nf_conntrack_icmpv6_packet: only request types may have created the entry. */
    private int icmpPacket(final long record, final int dir, final int family, final CtPacket p, final int nowMs, final int timeoutMs)
    {
        final int origType = OffHeap.getUnsignedShort(record + CtRecord.ORIG_DST_PORT_OFFSET) >>> 8;
        if (CtRecord.family(record) != family || !validNew(family, origType))
        {
            return INVALID; // "can't create new conn with this type"
        }
        refresh(record, dir, CtRecord.status(record), p.l3Length, nowMs, timeoutMs);
        return ACCEPT;
    }

    /**
     * An ICMP error: {@code nf_conntrack_inet_error}. The embedded packet's tuple, inverted, must find a
     * connection whose tuple in that direction is addressed to the error's destination; then the error is
     * RELATED (or RELATED_REPLY) to it, without counting or refreshing it.
     */
    private int related(final CtPacket p, final int nowMs)
    {
        if (!invert(p.inner, scratch))
        {
            stats.error++;
            return CtInfo.INVALID;
        }
        final int ref = table.lookup(scratch, nowMs);
        if (ref == ConntrackTable.NONE)
        {
            stats.error++;
            return CtInfo.INVALID;
        }
        final int idx = ref >>> 1;
        final int dir = ref & 1;
        table.tuple(idx, dir, reply);
        if (reply.dstHi != p.outerDstHi || reply.dstLo != p.outerDstLo)
        {
            stats.error++; // "outer daddr != inner"
            return CtInfo.INVALID;
        }
        stats.icmpError++;
        index = idx;
        return dir == 1 ? CtInfo.RELATED_REPLY : CtInfo.RELATED;
    }

    // ---- helpers ----

    /** nf_ct_refresh_acct: count the packet in its direction and push the deadline out (unless the timeout is fixed). */
    private static void refresh(final long record, final int dir, final int status, final int bytes, final int nowMs, final int timeoutMs)
    {
        CtRecord.beginWrite(record);
        CtRecord.count(record, dir, bytes);
        if ((status & CtStatus.FIXED_TIMEOUT) == 0)
        {
            CtRecord.expires(record, nowMs + timeoutMs);
        }
        CtRecord.endWrite(record);
    }

    private static void count(final long record, final int dir, final int bytes)
    {
        CtRecord.beginWrite(record);
        CtRecord.count(record, dir, bytes);
        CtRecord.endWrite(record);
    }

    private static void setStatus(final long record, final int bits)
    {
        CtRecord.beginWrite(record);
        CtRecord.status(record, CtRecord.status(record) | bits);
        CtRecord.endWrite(record);
    }

    private void event(final int type, final int idx, final long record)
    {
        if (events != null && events.wanted(type))
        {
            if (!events.publish(type, worker, idx, record, CtRecord.family(record) == CtRecord.FAMILY_IPV6 ? table.v6Block(idx) : 0, clockMs))
            {
                stats.eventsLost++;
            }
        }
    }

    private int pendingLookup(final CtKey key)
    {
        final int count = pendingCount;
        if (count == 0)
        {
            return ConntrackTable.NONE;
        }
        final int hash = pendingHash(key);
        for (int k = 0; k < count; k++)
        {
            if (pendingHashes[k] == hash)
            {
                final int idx = pending[k];
                if (sameTuple(key, table.tuple(idx, 0, scratch)))
                {
                    return idx << 1;
                }
            }
        }
        return ConntrackTable.NONE;
    }

    /** A cheap mix of a tuple, to skip most pending entries without reading their records. */
    private static int pendingHash(final CtKey key)
    {
        final long h = (key.srcLo * 0x9E3779B97F4A7C15L) ^ (key.dstLo * 0xC2B2AE3D27D4EB4FL) ^ key.srcHi ^ (key.dstHi << 1)
            ^ ((long)key.srcPort << 16 | key.dstPort) ^ ((long)key.protocol << 40);
        return (int)(h ^ (h >>> 32));
    }

    private void releasePending(final int idx)
    {
        removePending(idx);
        release(idx);
    }

    private void removePending(final int idx)
    {
        for (int k = 0; k < pendingCount; k++)
        {
            if (pending[k] == idx)
            {
                final int last = --pendingCount;
                pending[k] = pending[last];
                pendingHashes[k] = pendingHashes[last];
                return;
            }
        }
    }

    public static boolean sameTuple(final CtKey a, final CtKey b)
    {
        return a.srcLo == b.srcLo && a.dstLo == b.dstLo && a.srcPort == b.srcPort && a.dstPort == b.dstPort && a.protocol == b.protocol &&
            a.zone == b.zone && a.srcHi == b.srcHi && a.dstHi == b.dstHi && a.family == b.family;
    }

    /**
     * nf_ct_invert_tuple: addresses and ports swapped; ICMP keeps its id and maps a request type to its
     * reply (and back). False for an ICMP type that has no inverse (it cannot start a connection).
     */
    public static boolean invert(final CtKey in, final CtKey out)
    {
        out.family = in.family;
        out.protocol = in.protocol;
        out.zone = in.zone;
        out.srcHi = in.dstHi;
        out.srcLo = in.dstLo;
        out.dstHi = in.srcHi;
        out.dstLo = in.srcLo;
        if (in.protocol == IPPROTO_ICMP || in.protocol == IPPROTO_ICMPV6)
        {
            final int type = in.dstPort >>> 8;
            final int inverse = in.protocol == IPPROTO_ICMP ? icmpInverse(type) : icmpv6Inverse(type);
            if (inverse < 0)
            {
                return false;
            }
            out.srcPort = in.srcPort;
            out.dstPort = inverse << 8 | (in.dstPort & 0xFF);
            return true;
        }
        out.srcPort = in.dstPort;
        out.dstPort = in.srcPort;
        return true;
    }

    /** icmp_invert_tuple's map: echo 8/0, timestamp 13/14, info 15/16, address mask 17/18. */
    static int icmpInverse(final int type)
    {
        return switch (type)
        {
            case 8 -> 0;
            case 0 -> 8;
            case 13 -> 14;
            case 14 -> 13;
            case 15 -> 16;
            case 16 -> 15;
            case 17 -> 18;
            case 18 -> 17;
            default -> -1;
        };
    }

    /** icmpv6_invert_tuple's map: echo 128/129, node information 139/140. */
    static int icmpv6Inverse(final int type)
    {
        return switch (type)
        {
            case 128 -> 129;
            case 129 -> 128;
            case 139 -> 140;
            case 140 -> 139;
            default -> -1;
        };
    }

    /** Types that may create an ICMP entry (Linux's valid_new): echo, timestamp, info, address mask requests; ICMPv6 echo and node information queries. */
    static boolean validNew(final int family, final int type)
    {
        return family == CtRecord.FAMILY_IPV4 ? type == 8 || type == 13 || type == 15 || type == 17 : type == 128 || type == 139;
    }
}
