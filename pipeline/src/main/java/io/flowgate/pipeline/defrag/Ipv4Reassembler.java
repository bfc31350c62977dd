package io.flowgate.pipeline.defrag;

import io.flowgate.nativebindings.Memory;
import io.flowgate.pipeline.hook.Counters;
import io.flowgate.pmd.checksum.Checksum;
import io.flowgate.pmd.header.Ipv4Flyweight;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * IPv4 reassembly as Linux's {@code ip_defrag} ({@code net/ipv4/ip_fragment.c}, {@code inet_fragment.c})
 * does it for {@code nf_defrag_ipv4}: fragments keyed by (source, destination, id, protocol) are copied into
 * a reassembly buffer until the datagram is whole.
 * <p>
 * Usage: the defrag step (a PREROUTING handler at {@code HookPriority.CONNTRACK_DEFRAG}) offers every
 * validated IPv4 fragment:
 * <pre>
 *   final int result = reassembler.offer(l3, l3Length, nowNs);
 *   // in every case the fragment's bytes were copied or refused: its mbuf may be freed
 *   if (result &gt;= 0)
 *   {
 *       // place datagramAddress(result), datagramLength(result) into a chained or jumbo mbuf,
 *       // then release(result)
 *   }
 * </pre>
 * and calls {@link #expire(long, int)} on a deadline with a budget. The reassembler knows nothing of DPDK:
 * addresses and lengths in, a completed datagram's address and length out. The completed datagram lives in
 * a buffer of this reassembler's off-heap pool until {@link #release(int)}; since mbufs are fixed-size
 * segments, the pipeline copies it into a chained mbuf (or one from a jumbo pool) before releasing it.
 * <p>
 * What Linux does and this does too ({@code ip_frag_queue}, {@code inet_frag_queue_insert},
 * {@code ip_frag_reasm}):
 * <ul>
 *   <li>the last fragment (MF clear) fixes the length; a second, different end, or data beyond it, discards
 *   the datagram; a non-last fragment's end is trimmed to a multiple of 8, and a fragment left empty
 *   discards the datagram;</li>
 *   <li>overlaps discard the whole datagram and count ReasmOverlaps (RFC 5722 for IPv6, Linux's policy for
 *   IPv4 since 4.19); a fragment that lies wholly inside data already received as one run is a duplicate:
 *   it alone is dropped, the datagram is kept. Received data is kept as Linux's "runs": a fragment that
 *   starts exactly where the highest run ends extends it; any other one starts a run of its own;</li>
 *   <li>the datagram is whole when the first and the last fragment are in and the bytes received equal its
 *   length; since overlaps are refused, this is the RFC 815 hole list being empty;</li>
 *   <li>the result carries the first fragment's header, options included, with fragment offset 0, DF set
 *   only when the largest fragment had DF (so that refragmenting does not send DF packets larger than the
 *   sender's), the ECN bits combined by RFC 3168 5.3 ({@link #ECN_TABLE}), and a new header checksum; its
 *   largest fragment's size ({@link #maxFragmentSize(int)}, Linux {@code frag_max_size}) lets output
 *   refragment to the original sizes ({@code Ipv4Fragmenter.refragment});</li>
 *   <li>a datagram longer than 65535 bytes fails;</li>
 *   <li>a datagram not whole after the timeout (ipfrag_time, 30 s) is dropped, counting ReasmTimeout and
 *   ReasmFails;</li>
 *   <li>while the fragments held would exceed the memory limit, every fragment is refused (ReasmFails), as
 *   {@code inet_frag_find} refuses above {@code ipfrag_high_thresh}.</li>
 * </ul>
 * Where this differs from Linux, and why:
 * <ul>
 *   <li>memory is counted as the fragments' IP lengths, not skb truesize; the default limit is Linux's 4 MiB;</li>
 *   <li>the pool of buffers is fixed ({@code buffers}, 64 KiB each): with none free a new datagram is refused
 *   (ReasmFails), where Linux would allocate;</li>
 *   <li>a limit of pending datagrams per source address (not in Linux) keeps one source from taking the whole
 *   pool; Linux's nearest guard, {@code ipfrag_max_dist} (restart a queue after 64 fragments from the same
 *   source elsewhere), is not implemented;</li>
 *   <li>a datagram can hold at most {@code maxRuns} runs (Linux: unbounded, within memory); a fragment needing
 *   one more fails the datagram;</li>
 *   <li>a fragment reaching beyond byte 65515 of payload fails the datagram at once: no header is short
 *   enough for it to fit 65535 bytes, and Linux would fail it at reassembly or timeout anyway;</li>
 *   <li>expiry sends no ICMP "fragment reassembly time exceeded": Linux sends none either for conntrack
 *   defragmentation of forwarded traffic, and local delivery reassembles in the tcp-stack module.</li>
 * </ul>
 * Thread-safety: one instance per worker, not thread-safe; counters readable from any thread.
 * <p>
 * Shutdown: {@link #close()} frees the buffer pool; no address it returned may be used afterwards.
 */
public final class Ipv4Reassembler implements AutoCloseable
{
    /** Linux's {@code ipfrag_time}: 30 s. */
    public static final long DEFAULT_TIMEOUT_NS = 30_000_000_000L;
    /** Linux's {@code ipfrag_high_thresh}: 4 MiB. */
    public static final long DEFAULT_MAX_PENDING_BYTES = 4L * 1024 * 1024;
    public static final int DEFAULT_MAX_RUNS = 128;

    /**
     * A reassembly buffer:
     * <pre>
     *   0                 64 - IHL*4      64                                        64 + 65536
     *   +-----------------+---------------+-----------------------------------------+
     *   |     unused      |  IPv4 header  | payload: each fragment at its offset    |
     *   +-----------------+---------------+-----------------------------------------+
     *                     ^ the completed datagram starts here
     * </pre>
     */
    public static final int PAYLOAD_OFFSET = 64;
    public static final int BUFFER_BYTES = PAYLOAD_OFFSET + 65536;
    public static final int MAX_DATAGRAM_LENGTH = 65535;
    /** The largest payload a datagram with a 20-byte header can have. */
    public static final int MAX_PAYLOAD = MAX_DATAGRAM_LENGTH - Ipv4Flyweight.MIN_HEADER_LENGTH;

    /** {@link #offer} result: the fragment was taken; the datagram is not whole yet. */
    public static final int HELD = -1;
    /** {@link #offer} result: the fragment was dropped; {@link #lastReason()} says why. */
    public static final int DROPPED = -2;
    /** {@link #offer} result: the packet is no fragment; nothing was done. */
    public static final int NOT_A_FRAGMENT = -3;

    /** SNMP Ip: ReasmReqds, fragments offered. */
    public static final int REASM_REQDS = 0;
    /** SNMP Ip: ReasmOKs, datagrams reassembled. */
    public static final int REASM_OKS = 1;
    /** SNMP Ip: ReasmFails, failures of any kind (datagrams discarded, fragments refused). */
    public static final int REASM_FAILS = 2;
    /** SNMP Ip: ReasmTimeout, datagrams dropped incomplete after the timeout. */
    public static final int REASM_TIMEOUT = 3;
    /** SNMP Ip: ReasmOverlaps, datagrams discarded for overlapping fragments. */
    public static final int REASM_OVERLAPS = 4;
    /** Duplicate fragments dropped (Linux: drop reason DUP_FRAG, no counter). */
    public static final int DUPLICATES = 5;
    /** Fragments refused at the memory limit (part of ReasmFails). */
    public static final int MEMORY_LIMIT_DROPS = 6;
    /** New datagrams refused at the per-source limit (part of ReasmFails). */
    public static final int SOURCE_LIMIT_DROPS = 7;
    /** New datagrams refused because every buffer was in use (part of ReasmFails). */
    public static final int NO_BUFFER_DROPS = 8;
    public static final int COUNTERS = 9;

    /** Drop reasons, {@link #lastReason()}: the defrag range 48..63 of {@code burst.reason}. */
    public static final int REASON_NONE = 0;
    /** Linux {@code SKB_DROP_REASON_DUP_FRAG}. */
    public static final int REASON_DUP_FRAG = 48;
    /** The fragment overlapped data already received: the datagram was discarded. */
    public static final int REASON_FRAG_OVERLAP = 49;
    /** The fragment's end contradicts the datagram's length, or it is empty: the datagram was discarded. */
    public static final int REASON_FRAG_INVALID = 50;
    /** The datagram would exceed 65535 bytes. */
    public static final int REASON_FRAG_OVERSIZE = 51;
    /** The fragments' ECN codepoints mix Not-ECT with ECT or CE (RFC 3168 5.3). */
    public static final int REASON_FRAG_ECN = 52;
    /** Memory limit, per-source limit, no free buffer, or too many runs. */
    public static final int REASON_FRAG_NOMEM = 53;
    /** Linux {@code SKB_DROP_REASON_FRAG_REASM_TIMEOUT}. */
    public static final int REASON_FRAG_REASM_TIMEOUT = 54;

    /**
     * RFC 3168 5.3 as Linux's {@code ip_frag_ecn_table}: indexed by the OR of {@code 1 << ecn} over the
     * fragments, the ECN bits to OR into the reassembled header, or -1 to drop it.
     */
    private static final int[] ECN_TABLE = new int[16];
    private static final int ECN_NOT_ECT = 1 << 0;
    private static final int ECN_ECT_1 = 1 << 1;
    private static final int ECN_ECT_0 = 1 << 2;
    private static final int ECN_CE = 1 << 3;
    private static final int ECN_CE_BITS = 0x03;

    static
    {
        // at least one fragment had CE, the others ECT(0) or ECT(1): the datagram is CE
        ECN_TABLE[ECN_CE | ECN_ECT_0] = ECN_CE_BITS;
        ECN_TABLE[ECN_CE | ECN_ECT_1] = ECN_CE_BITS;
        ECN_TABLE[ECN_CE | ECN_ECT_0 | ECN_ECT_1] = ECN_CE_BITS;
        // Not-ECT mixed with anything else: drop
        for (int set = ECN_NOT_ECT + 1; set < 16; set++)
        {
            if ((set & ECN_NOT_ECT) != 0)
            {
                ECN_TABLE[set] = -1;
            }
        }
    }

    private static final int FREE = 0;
    private static final int PENDING = 1;
    private static final int COMPLETE = 2;

    private static final int FIRST_IN = 1;
    private static final int LAST_IN = 2;

    private static final int INSERTED = 0;
    private static final int DUPLICATE = 1;
    private static final int OVERLAP = 2;
    private static final int NO_RUN_LEFT = 3;

    private static final int NONE = -1;

    private final Arena arena;
    private final long base;
    private final int buffers;
    private final long maxPendingBytes;
    private final int maxPendingPerSource;
    private final int maxRuns;
    private final long timeoutNs;
    private final int seed;
    private final Counters counters = new Counters(COUNTERS);

    // Per buffer (slot), structure of arrays.
    private final int[] state;
    private final int[] keySrc;
    private final int[] keyDst;
    private final int[] keyIdProtocol;
    private final int[] keyHash;
    private final int[] flags;
    private final int[] length;
    private final int[] meat;
    private final int[] headerLength;
    private final int[] ecn;
    private final int[] maxSize;
    private final int[] maxDfSize;
    private final int[] charged;
    private final long[] deadlineNs;
    private final int[] prev;
    private final int[] next;
    private final int[] runCount;
    private final int[] runStart;
    private final int[] runEnd;

    /** Open addressing, linear probing: slot + 1 of a pending datagram, 0 when empty. */
    private final int[] table;
    private final int tableMask;
    /** Open addressing, linear probing: pending datagrams per source address; a count of 0 is empty. */
    private final int[] sourceKey;
    private final int[] sourceCount;

    private int freeHead;
    /** Pending datagrams, oldest first: with one timeout for all, creation order is expiry order. */
    private int expiryHead = NONE;
    private int expiryTail = NONE;
    private int pending;
    private long pendingBytes;
    private int lastReason;

    /** A reassembler with Linux's limits: 30 s, 4 MiB, and {@code buffers} datagrams, at most a quarter per source. */
    public Ipv4Reassembler(final int buffers)
    {
        this(buffers, DEFAULT_MAX_PENDING_BYTES, Math.max(1, buffers / 4), DEFAULT_MAX_RUNS, DEFAULT_TIMEOUT_NS, 0x9E37_79B9);
    }

    /**
     * @param buffers             datagrams in reassembly or completed and not yet released, at most.
     * @param maxPendingBytes     IP bytes of fragments held for incomplete datagrams, at most.
     * @param maxPendingPerSource incomplete datagrams from one source address, at most.
     * @param maxRuns             runs of contiguous data per datagram, at most.
     * @param timeoutNs           how long a datagram may take from its first fragment to its last.
     * @param seed                hash seed: choose it at random so that keys cannot be aimed at one bucket.
     */
    public Ipv4Reassembler(
        final int buffers,
        final long maxPendingBytes,
        final int maxPendingPerSource,
        final int maxRuns,
        final long timeoutNs,
        final int seed)
    {
        if (buffers < 1 || maxPendingPerSource < 1 || maxRuns < 1 || timeoutNs <= 0 || maxPendingBytes < 0)
        {
            throw new IllegalArgumentException("limits must be positive");
        }
        this.buffers = buffers;
        this.maxPendingBytes = maxPendingBytes;
        this.maxPendingPerSource = maxPendingPerSource;
        this.maxRuns = maxRuns;
        this.timeoutNs = timeoutNs;
        this.seed = seed;

        this.arena = Arena.ofShared();
        final MemorySegment pool = arena.allocate((long)BUFFER_BYTES * buffers, 64);
        this.base = pool.address();

        this.state = new int[buffers];
        this.keySrc = new int[buffers];
        this.keyDst = new int[buffers];
        this.keyIdProtocol = new int[buffers];
        this.keyHash = new int[buffers];
        this.flags = new int[buffers];
        this.length = new int[buffers];
        this.meat = new int[buffers];
        this.headerLength = new int[buffers];
        this.ecn = new int[buffers];
        this.maxSize = new int[buffers];
        this.maxDfSize = new int[buffers];
        this.charged = new int[buffers];
        this.deadlineNs = new long[buffers];
        this.prev = new int[buffers];
        this.next = new int[buffers];
        this.runCount = new int[buffers];
        this.runStart = new int[buffers * maxRuns];
        this.runEnd = new int[buffers * maxRuns];

        final int tableSize = Integer.highestOneBit(Math.max(2, buffers) * 2 - 1) << 1;
        this.table = new int[tableSize];
        this.tableMask = tableSize - 1;
        this.sourceKey = new int[tableSize];
        this.sourceCount = new int[tableSize];

        for (int s = 0; s < buffers; s++)
        {
            next[s] = s + 1 < buffers ? s + 1 : NONE;
        }
        freeHead = 0;
    }

    // ------------------------------------------------------------------------------------------------------
    // Queries
    // ------------------------------------------------------------------------------------------------------

    /** Any thread: one of the counters named by the constants of this class. */
    public long counter(final int counter)
    {
        return counters.get(counter);
    }

    /** Why the last {@link #offer} returned {@link #DROPPED}. */
    public int lastReason()
    {
        return lastReason;
    }

    /** Datagrams in reassembly. */
    public int pending()
    {
        return pending;
    }

    /** IP bytes of the fragments held for datagrams in reassembly. */
    public long pendingBytes()
    {
        return pendingBytes;
    }

    public int buffers()
    {
        return buffers;
    }

    /** Address of the completed datagram {@code buffer} returned by {@link #offer}. */
    public long datagramAddress(final int buffer)
    {
        return bufferAddress(buffer) + PAYLOAD_OFFSET - headerLength[buffer];
    }

    /** Length of the completed datagram {@code buffer}: its total length. */
    public int datagramLength(final int buffer)
    {
        return headerLength[buffer] + length[buffer];
    }

    /** IP length of the largest fragment of datagram {@code buffer} (Linux {@code frag_max_size}). */
    public int maxFragmentSize(final int buffer)
    {
        return Math.max(maxSize[buffer], maxDfSize[buffer]);
    }

    // ------------------------------------------------------------------------------------------------------
    // Data path
    // ------------------------------------------------------------------------------------------------------

    /**
     * Takes the IPv4 fragment at {@code address}, of {@code ipLength} bytes (its total length), whose header
     * the input stage validated.
     *
     * @return the buffer of the datagram it completed (0 or more), {@link #HELD}, {@link #DROPPED} or
     * {@link #NOT_A_FRAGMENT}.
     */
    public int offer(final long address, final int ipLength, final long nowNs)
    {
        final int flagsOffset = Memory.getShortBE(address + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET_OFFSET);
        if ((flagsOffset & (Ipv4Flyweight.FLAG_MORE_FRAGMENTS | Ipv4Flyweight.FRAGMENT_OFFSET_MASK)) == 0)
        {
            return NOT_A_FRAGMENT;
        }
        final Counters counters = this.counters;
        counters.increment(REASM_REQDS);

        if (pendingBytes + ipLength > maxPendingBytes)
        {
            counters.increment(MEMORY_LIMIT_DROPS);
            return refuse(REASON_FRAG_NOMEM);
        }

        final int src = Ipv4Flyweight.getSrcAddress(address);
        final int dst = Ipv4Flyweight.getDstAddress(address);
        final int idProtocol = (Memory.getShortBE(address + Ipv4Flyweight.ID_OFFSET) << 8) |
            Ipv4Flyweight.getProtocol(address);
        final int hash = hash(src, dst, idProtocol);

        int slot = find(src, dst, idProtocol, hash);
        if (slot != NONE && deadlineNs[slot] - nowNs <= 0)
        {
            timeOut(slot);
            slot = NONE;
        }
        if (slot == NONE)
        {
            if (freeHead == NONE)
            {
                counters.increment(NO_BUFFER_DROPS);
                return refuse(REASON_FRAG_NOMEM);
            }
            if (!admitSource(src))
            {
                counters.increment(SOURCE_LIMIT_DROPS);
                return refuse(REASON_FRAG_NOMEM);
            }
            slot = create(src, dst, idProtocol, hash, nowNs);
        }
        return queue(slot, address, ipLength, flagsOffset);
    }

    /**
     * Drops the datagrams whose time is up, oldest first, at most {@code budget} of them.
     *
     * @return the datagrams dropped.
     */
    public int expire(final long nowNs, final int budget)
    {
        int expired = 0;
        while (expired < budget && expiryHead != NONE && deadlineNs[expiryHead] - nowNs <= 0)
        {
            timeOut(expiryHead);
            expired++;
        }
        return expired;
    }

    /** Gives back the buffer of a completed datagram once the caller has copied it out. */
    public void release(final int buffer)
    {
        if (state[buffer] != COMPLETE)
        {
            throw new IllegalStateException("buffer " + buffer + " holds no completed datagram");
        }
        free(buffer);
    }

    @Override
    public void close()
    {
        arena.close();
    }

    // ------------------------------------------------------------------------------------------------------

    /** ip_frag_queue: places one fragment; completes, holds or discards the datagram. */
    private int queue(final int slot, final long address, final int ipLength, final int flagsOffset)
    {
        final int ihl = Ipv4Flyweight.getHeaderLength(address);
        final int offset = (flagsOffset & Ipv4Flyweight.FRAGMENT_OFFSET_MASK) << 3;
        int end = offset + ipLength - ihl;

        if ((flagsOffset & Ipv4Flyweight.FLAG_MORE_FRAGMENTS) == 0)
        {
            // the last fragment: no data may lie beyond it, and a second last fragment must agree
            if (end < length[slot] || ((flags[slot] & LAST_IN) != 0 && end != length[slot]))
            {
                return discard(slot, REASON_FRAG_INVALID);
            }
            flags[slot] |= LAST_IN;
            length[slot] = end;
        }
        else
        {
            end &= ~7;
            if (end > length[slot])
            {
                if ((flags[slot] & LAST_IN) != 0)
                {
                    return discard(slot, REASON_FRAG_INVALID);
                }
                length[slot] = end;
            }
        }
        if (end == offset)
        {
            return discard(slot, REASON_FRAG_INVALID);
        }
        if (end > MAX_PAYLOAD)
        {
            return discard(slot, REASON_FRAG_OVERSIZE);
        }

        switch (insertRun(slot, offset, end))
        {
            case DUPLICATE ->
            {
                counters.increment(DUPLICATES);
                lastReason = REASON_DUP_FRAG;
                return DROPPED;
            }
            case OVERLAP ->
            {
                counters.increment(REASM_OVERLAPS);
                return discard(slot, REASON_FRAG_OVERLAP);
            }
            case NO_RUN_LEFT ->
            {
                return discard(slot, REASON_FRAG_NOMEM);
            }
            default ->
            {
            }
        }

        final long buffer = bufferAddress(slot);
        Memory.copy(address + ihl, buffer + PAYLOAD_OFFSET + offset, end - offset);
        if (offset == 0)
        {
            Memory.copy(address, buffer + PAYLOAD_OFFSET - ihl, ihl);
            headerLength[slot] = ihl;
            flags[slot] |= FIRST_IN;
        }
        meat[slot] += end - offset;
        ecn[slot] |= 1 << (Memory.getUnsignedByte(address + Ipv4Flyweight.TOS_OFFSET) & ECN_CE_BITS);
        charged[slot] += ipLength;
        pendingBytes += ipLength;

        final int fragmentSize = end - offset + ihl;
        if (fragmentSize > maxSize[slot])
        {
            maxSize[slot] = fragmentSize;
        }
        if ((flagsOffset & Ipv4Flyweight.FLAG_DONT_FRAGMENT) != 0 && fragmentSize > maxDfSize[slot])
        {
            maxDfSize[slot] = fragmentSize;
        }

        if (flags[slot] == (FIRST_IN | LAST_IN) && meat[slot] == length[slot])
        {
            return reassemble(slot);
        }
        return HELD;
    }

    /** ip_frag_reasm: the payload is already in place; finishes the header. */
    private int reassemble(final int slot)
    {
        unlinkPending(slot);
        final int ecnBits = ECN_TABLE[ecn[slot]];
        if (ecnBits < 0)
        {
            free(slot);
            return refuse(REASON_FRAG_ECN);
        }
        final int totalLength = headerLength[slot] + length[slot];
        if (totalLength > MAX_DATAGRAM_LENGTH)
        {
            free(slot);
            return refuse(REASON_FRAG_OVERSIZE);
        }

        final long header = bufferAddress(slot) + PAYLOAD_OFFSET - headerLength[slot];
        Memory.putShortBE(header + Ipv4Flyweight.TOTAL_LENGTH_OFFSET, totalLength);
        final long tos = header + Ipv4Flyweight.TOS_OFFSET;
        Memory.putByte(tos, (byte)(Memory.getUnsignedByte(tos) | ecnBits));
        Memory.putShortBE(
            header + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET_OFFSET,
            maxDfSize[slot] == maxSize[slot] ? Ipv4Flyweight.FLAG_DONT_FRAGMENT : 0);
        Ipv4Flyweight.putChecksum(
            header,
            Checksum.checksumSkipping(header, headerLength[slot], Ipv4Flyweight.CHECKSUM_OFFSET, 0));

        state[slot] = COMPLETE;
        counters.increment(REASM_OKS);
        return slot;
    }

    /**
     * inet_frag_queue_insert over this datagram's runs, kept sorted by offset.
     *
     * @return INSERTED, DUPLICATE, OVERLAP or NO_RUN_LEFT.
     */
    private int insertRun(final int slot, final int offset, final int end)
    {
        final int[] runStart = this.runStart;
        final int[] runEnd = this.runEnd;
        final int first = slot * maxRuns;
        final int runs = runCount[slot];

        if (runs == 0)
        {
            runStart[first] = offset;
            runEnd[first] = end;
            runCount[slot] = 1;
            return INSERTED;
        }
        final int tail = first + runs - 1;
        if (runEnd[tail] < end)
        {
            // the common case: at or beyond the end of what was received
            if (offset < runEnd[tail])
            {
                return OVERLAP;
            }
            if (offset == runEnd[tail])
            {
                runEnd[tail] = end;
                return INSERTED;
            }
            if (runs == maxRuns)
            {
                return NO_RUN_LEFT;
            }
            runStart[tail + 1] = offset;
            runEnd[tail + 1] = end;
            runCount[slot] = runs + 1;
            return INSERTED;
        }

        // the first run that ends after the fragment starts; one exists, the tail run
        int low = 0;
        int high = runs - 1;
        while (low < high)
        {
            final int middle = (low + high) >>> 1;
            if (runEnd[first + middle] > offset)
            {
                high = middle;
            }
            else
            {
                low = middle + 1;
            }
        }
        final int at = first + low;
        if (runStart[at] < end)
        {
            return offset >= runStart[at] && end <= runEnd[at] ? DUPLICATE : OVERLAP;
        }
        if (runs == maxRuns)
        {
            return NO_RUN_LEFT;
        }
        System.arraycopy(runStart, at, runStart, at + 1, runs - low);
        System.arraycopy(runEnd, at, runEnd, at + 1, runs - low);
        runStart[at] = offset;
        runEnd[at] = end;
        runCount[slot] = runs + 1;
        return INSERTED;
    }

    private int create(final int src, final int dst, final int idProtocol, final int hash, final long nowNs)
    {
        final int slot = freeHead;
        freeHead = next[slot];

        state[slot] = PENDING;
        keySrc[slot] = src;
        keyDst[slot] = dst;
        keyIdProtocol[slot] = idProtocol;
        keyHash[slot] = hash;
        flags[slot] = 0;
        length[slot] = 0;
        meat[slot] = 0;
        headerLength[slot] = 0;
        ecn[slot] = 0;
        maxSize[slot] = 0;
        maxDfSize[slot] = 0;
        charged[slot] = 0;
        runCount[slot] = 0;
        deadlineNs[slot] = nowNs + timeoutNs;

        int index = hash & tableMask;
        while (table[index] != 0)
        {
            index = (index + 1) & tableMask;
        }
        table[index] = slot + 1;

        prev[slot] = expiryTail;
        next[slot] = NONE;
        if (expiryTail == NONE)
        {
            expiryHead = slot;
        }
        else
        {
            next[expiryTail] = slot;
        }
        expiryTail = slot;
        pending++;
        return slot;
    }

    private int find(final int src, final int dst, final int idProtocol, final int hash)
    {
        int index = hash & tableMask;
        int entry;
        while ((entry = table[index]) != 0)
        {
            final int slot = entry - 1;
            if (keySrc[slot] == src && keyDst[slot] == dst && keyIdProtocol[slot] == idProtocol)
            {
                return slot;
            }
            index = (index + 1) & tableMask;
        }
        return NONE;
    }

    /** Discards a pending datagram after a bad fragment: inet_frag_kill and ReasmFails. */
    private int discard(final int slot, final int reason)
    {
        unlinkPending(slot);
        free(slot);
        return refuse(reason);
    }

    private void timeOut(final int slot)
    {
        unlinkPending(slot);
        free(slot);
        counters.increment(REASM_TIMEOUT);
        counters.increment(REASM_FAILS);
    }

    /** A failure: ReasmFails, and the reason for {@link #lastReason()}. */
    private int refuse(final int reason)
    {
        counters.increment(REASM_FAILS);
        lastReason = reason;
        return DROPPED;
    }

    /** Takes a pending datagram out of the table, the expiry list, the source counts and the memory count. */
    private void unlinkPending(final int slot)
    {
        removeFromTable(slot);
        releaseSource(keySrc[slot]);

        final int before = prev[slot];
        final int after = next[slot];
        if (before == NONE)
        {
            expiryHead = after;
        }
        else
        {
            next[before] = after;
        }
        if (after == NONE)
        {
            expiryTail = before;
        }
        else
        {
            prev[after] = before;
        }

        pendingBytes -= charged[slot];
        charged[slot] = 0;
        pending--;
    }

    private void free(final int slot)
    {
        state[slot] = FREE;
        next[slot] = freeHead;
        freeHead = slot;
    }

    /** Backward-shift deletion, so that no tombstone lengthens later probes. */
    private void removeFromTable(final int slot)
    {
        final int[] table = this.table;
        final int mask = tableMask;
        int hole = keyHash[slot] & mask;
        while (table[hole] != slot + 1)
        {
            hole = (hole + 1) & mask;
        }
        int index = hole;
        while (true)
        {
            index = (index + 1) & mask;
            final int entry = table[index];
            if (entry == 0)
            {
                break;
            }
            final int home = keyHash[entry - 1] & mask;
            if (((index - home) & mask) >= ((index - hole) & mask))
            {
                table[hole] = entry;
                hole = index;
            }
        }
        table[hole] = 0;
    }

    /** Counts one more pending datagram for {@code src}, unless it is at its limit. */
    private boolean admitSource(final int src)
    {
        final int mask = tableMask;
        int index = sourceHash(src) & mask;
        while (sourceCount[index] != 0)
        {
            if (sourceKey[index] == src)
            {
                if (sourceCount[index] >= maxPendingPerSource)
                {
                    return false;
                }
                sourceCount[index]++;
                return true;
            }
            index = (index + 1) & mask;
        }
        sourceKey[index] = src;
        sourceCount[index] = 1;
        return true;
    }

    private void releaseSource(final int src)
    {
        final int mask = tableMask;
        int hole = sourceHash(src) & mask;
        while (sourceKey[hole] != src || sourceCount[hole] == 0)
        {
            hole = (hole + 1) & mask;
        }
        if (--sourceCount[hole] != 0)
        {
            return;
        }
        int index = hole;
        while (true)
        {
            index = (index + 1) & mask;
            if (sourceCount[index] == 0)
            {
                break;
            }
            final int home = sourceHash(sourceKey[index]) & mask;
            if (((index - home) & mask) >= ((index - hole) & mask))
            {
                sourceKey[hole] = sourceKey[index];
                sourceCount[hole] = sourceCount[index];
                sourceCount[index] = 0;
                hole = index;
            }
        }
    }

    private long bufferAddress(final int slot)
    {
        return base + (long)slot * BUFFER_BYTES;
    }

    private int hash(final int src, final int dst, final int idProtocol)
    {
        return mix(mix(mix(seed ^ src) ^ dst) ^ idProtocol);
    }

    private int sourceHash(final int src)
    {
        return mix(seed + 0x61C8_8647 ^ src);
    }

    /** The murmur3 finalizer. */
    private static int mix(final int value)
    {
        int h = value;
        h ^= h >>> 16;
        h *= 0x85EB_CA6B;
        h ^= h >>> 13;
        h *= 0xC2B2_AE35;
        h ^= h >>> 16;
        return h;
    }
}
