package io.flowgate.pipeline.defrag;

import io.flowgate.nativebindings.Memory;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.nativebindings.dpdk.Mempool;
import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.hook.Counters;
import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.HookHandler;
import io.flowgate.pipeline.hook.Verdict;
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.header.Ipv4Flyweight;
import io.flowgate.pmd.port.MbufBurst;
import java.lang.foreign.Arena;

/**
 * {@code nf_defrag_ipv4} for one worker: a PREROUTING handler at {@code HookPriority.CONNTRACK_DEFRAG} (-400)
 * that hands every IPv4 fragment to this worker's {@link Ipv4Reassembler} and lets the rest pass untouched.
 * Fragments of one datagram reach one worker (the dispatch hash of a fragment covers addresses and protocol
 * only, docs/pipeline-dispatch.md), so nothing is shared.
 * <p>
 * Usage: the router creates one per worker, gives it to the worker ({@code RouterWorker.defrag}) and
 * registers it on that worker's chain:
 * <pre>
 *   chain.register(Hook.PREROUTING, HookPriority.CONNTRACK_DEFRAG, "nf_defrag_ipv4", defrag);
 * </pre>
 * Per packet, as {@code ipv4_conntrack_defrag} and {@code ip_defrag} do:
 * <ul>
 *   <li>not a fragment (MF clear and offset 0): ACCEPT; the only cost is reading the flags word;</li>
 *   <li>a fragment that does not complete its datagram, or that the reassembler refuses: STOLEN. Its bytes
 *   were copied into the reassembly buffer (or refused, counted by reason), so its mbuf is freed at once:
 *   the handler holds no mbuf between bursts, and nothing is left to free at shutdown;</li>
 *   <li>the fragment that completes a datagram: the datagram takes its place in the burst (as Linux's
 *   {@code ip_frag_reasm} morphs the last skb into the whole one) and continues with ACCEPT. It is copied
 *   out of the reassembly buffer into a chain of mbufs of the worker's pool, the fragment's link-layer
 *   header first: see docs/defrag.md for why a chain and not one large buffer. The burst's {@code frame},
 *   {@code l3} and {@code length} are updated; {@code length} is the whole frame's, over every segment.</li>
 * </ul>
 * Linux marks a reassembled skb with its largest fragment's size ({@code IPCB(skb)->frag_max_size}) and
 * always refragments it on output to at most that size. Here the burst index of every reassembled packet
 * and that size are kept ({@link #maxFragmentSize(int)}) until the worker has sent those packets to the
 * slow path to be refragmented, and {@link #clearMarks()} is called once per burst that had any. While this
 * is PREROUTING's only handler, the router worker runs the hook only for bursts that hold a fragment, which
 * its input pass counts from the header it reads anyway: any other burst costs nothing more.
 * <p>
 * Incomplete datagrams time out even when no packet arrives: {@link #sweep()} from the worker's duty cycle
 * reads the clock every {@link #SWEEP_INTERVAL} calls and expires at most {@link #SWEEP_BUDGET} datagrams.
 * <p>
 * Thread-safety: one worker; counters readable from any thread.
 * <p>
 * Shutdown: {@link #close()} after the worker stopped frees the reassembler's buffers; no mbuf is held.
 */
public final class Ipv4DefragHook implements HookHandler, AutoCloseable
{
    /** Datagrams reassembled and passed on in place of their last fragment. */
    public static final int REASSEMBLED = 0;
    /** Fragments held (STOLEN) waiting for the rest of their datagram. */
    public static final int HELD = 1;
    /** Fragments the reassembler dropped; {@link Ipv4Reassembler}'s counters say why. */
    public static final int DROPPED = 2;
    /** Datagrams completed but dropped: the pool had too few mbufs for the chain. */
    public static final int NO_MBUF = 3;
    /** Datagrams completed but dropped: the chain would need more segments than {@link #MAX_SEGMENTS}. */
    public static final int TOO_MANY_SEGMENTS = 4;
    /** Incomplete datagrams expired by {@link #sweep()} (also in the reassembler's REASM_TIMEOUT). */
    public static final int SWEPT = 5;
    public static final int COUNTERS = 6;

    /** Enough for 65535 bytes in mbufs of 1 KiB of data room; the default (2 KiB) needs 33. */
    public static final int MAX_SEGMENTS = 66;
    /** {@link #sweep()} reads the clock once in this many calls (a power of two). */
    public static final int SWEEP_INTERVAL = 1024;
    /** Datagrams one {@link #sweep()} expires at most. */
    public static final int SWEEP_BUDGET = 16;


    private final Ipv4Reassembler reassembler;
    private final Mempool pool;
    private final Counters counters = new Counters(COUNTERS);
    private final Arena arena = Arena.ofShared();
    private final MbufBurst segments;
    private final MbufBurst toFree;
    /** Per burst index: the largest fragment's IP length of a reassembled packet, 0 for any other packet. */
    private final int[] maxFragmentSize;
    /** Burst indices with a non-zero {@link #maxFragmentSize}, {@code marks} of them. */
    private final int[] marked;
    private int marks;
    private long sweepCalls;

    /**
     * @param reassembler this worker's own reassembler; closed by {@link #close()}.
     * @param pool        the pool the chains of reassembled datagrams come from.
     * @param capacity    the largest burst the worker runs.
     */
    public Ipv4DefragHook(final Ipv4Reassembler reassembler, final Mempool pool, final int capacity)
    {
        this.reassembler = reassembler;
        this.pool = pool;
        this.segments = new MbufBurst(arena, MAX_SEGMENTS);
        this.toFree = new MbufBurst(arena, capacity);
        this.maxFragmentSize = new int[capacity];
        this.marked = new int[capacity];
    }

    public Ipv4Reassembler reassembler()
    {
        return reassembler;
    }

    /** Any thread: one of the counters named by the constants of this class. */
    public long counter(final int counter)
    {
        return counters.get(counter);
    }

    // ------------------------------------------------------------------------------------------------------
    // Data path
    // ------------------------------------------------------------------------------------------------------

    @Override
    public void process(final Hook hook, final PacketBurst burst, final int[] packets, final int count, final int[] verdicts)
    {
        final int[] etherType = burst.etherType;
        final long[] l3 = burst.l3;
        long nowNs = 0;
        for (int k = 0; k < count; k++)
        {
            final int i = packets[k];
            if (etherType[i] != EthernetFlyweight.ETHER_TYPE_IPV4
                || !Ipv4Flyweight.isFragment(l3[i]))
            {
                verdicts[i] = Verdict.ACCEPT;
                continue;
            }
            if (nowNs == 0)
            {
                nowNs = System.nanoTime();
            }
            verdicts[i] = defragment(burst, i, nowNs);
        }
        if (toFree.count() > 0)
        {
            toFree.free();
        }
    }

    /** Reassembled packets in the current burst. */
    public int marks()
    {
        return marks;
    }

    /** Burst index of the {@code k}-th reassembled packet, k in {@code 0..marks()). */
    public int marked(final int k)
    {
        return marked[k];
    }

    /** The largest fragment's IP length when burst packet {@code index} was reassembled here, else 0. */
    public int maxFragmentSize(final int index)
    {
        return maxFragmentSize[index];
    }

    /** Forgets the current burst's reassembled packets: the worker calls it once it has placed them. */
    public void clearMarks()
    {
        final int[] marked = this.marked;
        for (int k = 0; k < marks; k++)
        {
            maxFragmentSize[marked[k]] = 0;
        }
        marks = 0;
    }

    /**
     * Worker duty cycle: every {@link #SWEEP_INTERVAL} calls, expires at most {@link #SWEEP_BUDGET} datagrams
     * whose time is up. Returns the datagrams expired.
     */
    public int sweep()
    {
        if ((++sweepCalls & (SWEEP_INTERVAL - 1)) != 0 || reassembler.pending() == 0)
        {
            return 0;
        }
        return expire(System.nanoTime());
    }

    /** Expires at most {@link #SWEEP_BUDGET} datagrams whose time is up at {@code nowNs}. */
    public int expire(final long nowNs)
    {
        final int expired = reassembler.expire(nowNs, SWEEP_BUDGET);
        if (expired > 0)
        {
            counters.add(SWEPT, expired);
        }
        return expired;
    }

    private int defragment(final PacketBurst burst, final int i, final long nowNs)
    {
        final long fragment = burst.mbuf(i);
        final long ip = burst.l3[i];
        final int result = reassembler.offer(ip, Ipv4Flyweight.getTotalLength(ip), nowNs);
        if (result == Ipv4Reassembler.HELD)
        {
            counters.increment(HELD);
            free(fragment);
            return Verdict.STOLEN;
        }
        if (result < 0)
        {
            counters.increment(DROPPED);
            free(fragment);
            return Verdict.STOLEN;
        }
        final long head = toChain(result, burst.frame[i], (int)(ip - burst.frame[i]), burst.inPort[i]);
        final int maxSize = reassembler.maxFragmentSize(result);
        final int frameLength = (int)(ip - burst.frame[i]) + reassembler.datagramLength(result);
        reassembler.release(result);
        free(fragment);
        if (head == 0)
        {
            return Verdict.STOLEN;
        }
        final long frame = Mbuf.data(head);
        burst.mbufs.mbuf(i, head);
        burst.l3[i] = frame + (ip - burst.frame[i]);
        burst.frame[i] = frame;
        burst.length[i] = frameLength;
        maxFragmentSize[i] = Math.max(1, maxSize);
        marked[marks++] = i;
        counters.increment(REASSEMBLED);
        return Verdict.ACCEPT;
    }

    /**
     * Copies the link-layer header of the completing fragment and datagram {@code buffer} into a new chain of
     * mbufs; returns its head, or 0 (counted) when the pool cannot supply it.
     * <pre>
     *   head:  [headroom | L2 | IPv4 header | payload ...]  -> [payload ...] -> ... -> [... end]  next = 0
     *          nb_segs = n, pkt_len = L2 + total length; every data_len but the last fills the data room
     * </pre>
     */
    private long toChain(final int buffer, final long fragmentFrame, final int l2Length, final int inPort)
    {
        final long datagram = reassembler.datagramAddress(buffer);
        final int datagramLength = reassembler.datagramLength(buffer);
        final int total = l2Length + datagramLength;
        final MbufBurst segments = this.segments;
        if (!pool.allocBulk(segments.address(), 1))
        {
            counters.increment(NO_MBUF);
            return 0;
        }
        final long head = segments.mbuf(0);
        final int room = Mbuf.tailroom(head);
        final int n = (total + room - 1) / room;
        if (n > MAX_SEGMENTS)
        {
            Mbuf.free(head);
            counters.increment(TOO_MANY_SEGMENTS);
            return 0;
        }
        if (n > 1 && !pool.allocBulk(segments.addressOf(1), n - 1))
        {
            Mbuf.free(head);
            counters.increment(NO_MBUF);
            return 0;
        }
        Memory.copy(fragmentFrame, Mbuf.data(head), l2Length);
        long from = datagram;
        int left = datagramLength;
        int first = l2Length;
        long previous = 0;
        for (int s = 0; s < n; s++)
        {
            final long segment = segments.mbuf(s);
            final int chunk = Math.min(left, room - first);
            Memory.copy(from, Mbuf.data(segment) + first, chunk);
            Mbuf.length(segment, first + chunk);
            if (previous != 0)
            {
                Mbuf.next(previous, segment);
            }
            previous = segment;
            from += chunk;
            left -= chunk;
            first = 0;
        }
        Mbuf.segments(head, n);
        Mbuf.packetLength(head, total);
        Mbuf.port(head, inPort);
        return head;
    }

    private void free(final long mbuf)
    {
        final MbufBurst toFree = this.toFree;
        if (toFree.count() == toFree.capacity())
        {
            toFree.free();
        }
        toFree.mbuf(toFree.count(), mbuf);
        toFree.count(toFree.count() + 1);
    }

    @Override
    public void close()
    {
        reassembler.close();
        arena.close();
    }
}
