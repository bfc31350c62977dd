package io.flowgate.pipeline.rules.queue;

import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.hook.Counters;
import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.HookRegistration;
import io.flowgate.pmd.header.EthernetFlyweight;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One queue number on one worker: the packets held (a slot table of {@code maxlen} entries, written by the worker),
 * the ring that tells the queue's thread about them (producer: the worker; consumer: the queue's thread) and the
 * ring that brings verdicts back (producers: any thread; consumer: the worker), both {@link LongPairRing}s: nothing
 * is allocated per packet on the worker.
 * <pre>
 *   packet record (worker -> queue thread)      verdict record (any thread -> worker)
 *   first   packet id                           first   packet id
 *   second  address of the network header      second  verdict << 33 | mark set << 32 | mark
 * </pre>
 * The rest of what the queue thread shows (length, hook, ports, family, mark) it reads from the slot, which the
 * worker wrote before publishing the record and does not touch again until the packet's verdict.
 * A packet id is {@code sequence << slotBits | slot}: a verdict names its slot, and an id whose slot holds another
 * packet (answered twice, or forged) is unknown and ignored.
 */
final class QueueChannel
{
    static final int VERDICT_DROP = 0;
    static final int VERDICT_ACCEPT = 1;

    /** Worker-side counters ({@link #counter}). */
    static final int ENQUEUED = 0;
    static final int REFUSED = 1;
    static final int ACCEPTED = 2;
    static final int DROPPED = 3;
    static final int UNKNOWN_VERDICTS = 4;
    static final int FREED_AT_CLOSE = 5;
    static final int COUNTERS = 6;

    final int worker;
    final int queueNumber;
    final int maxlen;
    private final int slotBits;
    private final long slotMask;

    // Written by the worker; the queue thread reads a slot after the packet record that names it (A1).
    private final long[] slotMbuf;
    private final long[] slotId;
    private final HookRegistration[] slotAfter;
    private final int[] slotHook;
    private final int[] slotInPort;
    private final int[] slotOutPort;
    private final int[] slotFamily;
    private final int[] slotLength;
    private final int[] slotMark;
    private final int[] freeSlots;
    private int freeCount;
    private long sequence;

    private final LongPairRing packets;
    private final LongPairRing verdicts;
    private final Counters counters = new Counters(COUNTERS);
    /** Verdicts refused because the verdict ring was full (any thread). */
    final AtomicLong verdictRingFull = new AtomicLong();
    /** Set at close: later verdicts are refused. */
    volatile boolean closed;

    QueueChannel(final int worker, final int queueNumber, final int maxlen)
    {
        if (maxlen < 1 || maxlen > (1 << 20))
        {
            throw new IllegalArgumentException("maxlen must be 1..2^20: " + maxlen);
        }
        this.worker = worker;
        this.queueNumber = queueNumber;
        this.maxlen = maxlen;
        final int slots = Integer.highestOneBit(maxlen * 2 - 1);
        this.slotBits = Integer.numberOfTrailingZeros(slots);
        this.slotMask = slots - 1;
        this.slotMbuf = new long[slots];
        this.slotId = new long[slots];
        this.slotAfter = new HookRegistration[slots];
        this.slotHook = new int[slots];
        this.slotInPort = new int[slots];
        this.slotOutPort = new int[slots];
        this.slotFamily = new int[slots];
        this.slotLength = new int[slots];
        this.slotMark = new int[slots];
        this.freeSlots = new int[maxlen];
        java.util.Arrays.fill(slotId, -1);
        for (int s = 0; s < maxlen; s++)
        {
            freeSlots[s] = maxlen - 1 - s;
        }
        this.freeCount = maxlen;
        this.packets = new LongPairRing(maxlen);
        // Room for a verdict per held packet and as many duplicates: a verdict ring can fill only with unknown ids.
        this.verdicts = new LongPairRing(2 * maxlen);
    }

    long counter(final int counter)
    {
        return counters.get(counter);
    }

    // ------------------------------------------------------------------------------------------------------
    // Worker
    // ------------------------------------------------------------------------------------------------------

    /** Worker: takes packet {@code i} of {@code burst}; false when the queue is full ({@code maxlen} held). */
    boolean offer(final Hook hook, final HookRegistration after, final PacketBurst burst, final int i)
    {
        if (freeCount == 0)
        {
            counters.increment(REFUSED);
            return false;
        }
        final int slot = freeSlots[--freeCount];
        final long id = (++sequence << slotBits) | slot;
        final long frame = burst.frame[i];
        final long l3 = burst.l3[i] != 0 ? burst.l3[i] : frame;
        final int type = burst.etherType[i];
        slotMbuf[slot] = burst.mbuf(i);
        slotId[slot] = id;
        slotAfter[slot] = after;
        slotHook[slot] = hook.ordinal();
        slotInPort[slot] = burst.inPort[i];
        slotOutPort[slot] = burst.outPort[i];
        slotFamily[slot] = type == EthernetFlyweight.ETHER_TYPE_IPV4 ? QueuedPacket.IPV4
            : type == EthernetFlyweight.ETHER_TYPE_IPV6 ? QueuedPacket.IPV6 : 0;
        slotLength[slot] = Math.max(0, burst.length[i] - (int)(l3 - frame));
        slotMark[slot] = burst.mark[i];
        if (!packets.offer(id, l3))   // R1 (in LongPairRing.offer): publishes the slot and the packet's bytes
        {
            // Not reachable: the ring has a cell per slot. Kept so that a bug costs a packet, not the mbuf.
            slotId[slot] = -1;
            freeSlots[freeCount++] = slot;
            counters.increment(REFUSED);
            return false;
        }
        counters.increment(ENQUEUED);
        return true;
    }

    /** Worker: applies up to {@code limit} verdicts; accepted packets go to {@code reinjector}. Returns the verdicts read. */
    int drain(final Reinjector reinjector, final int limit)
    {
        final LongPairRing verdicts = this.verdicts;
        int read = 0;
        while (read < limit && verdicts.poll())   // A2 (in LongPairRing.poll): pairs with R2 in verdict
        {
            read++;
            apply(reinjector, verdicts.first(), verdicts.second());
        }
        return read;
    }

    private void apply(final Reinjector reinjector, final long id, final long word)
    {
        final int slot = (int)(id & slotMask);
        if (id < 0 || slotId[slot] != id)
        {
            counters.increment(UNKNOWN_VERDICTS);
            return;
        }
        final long mbuf = slotMbuf[slot];
        final HookRegistration after = slotAfter[slot];
        slotId[slot] = -1;
        slotMbuf[slot] = 0;
        slotAfter[slot] = null;
        freeSlots[freeCount++] = slot;
        if ((word >>> 33) == VERDICT_ACCEPT)
        {
            counters.increment(ACCEPTED);
            final int mark = (word & (1L << 32)) != 0 ? (int)word : slotMark[slot];
            reinjector.reinject(mbuf, Hook.of(slotHook[slot]), after, slotInPort[slot], mark);
        }
        else
        {
            counters.increment(DROPPED);
            Mbuf.free(mbuf);
        }
    }

    /** After the worker and the queue thread stopped: frees every packet still held. */
    int freeAll()
    {
        closed = true;
        int freed = 0;
        for (int slot = 0; slot < slotId.length; slot++)
        {
            if (slotId[slot] >= 0)
            {
                Mbuf.free(slotMbuf[slot]);
                slotId[slot] = -1;
                slotMbuf[slot] = 0;
                slotAfter[slot] = null;
                freeSlots[freeCount++] = slot;
                freed++;
            }
        }
        counters.add(FREED_AT_CLOSE, freed);
        return freed;
    }

    /** Worker: packets held now. */
    int held()
    {
        return maxlen - freeCount;
    }

    // ------------------------------------------------------------------------------------------------------
    // Queue thread and verdict givers
    // ------------------------------------------------------------------------------------------------------

    /** Queue thread: the next packet, or null. */
    QueuedPacket poll()
    {
        if (!packets.poll())   // A1 (in LongPairRing.poll): pairs with R1 in offer
        {
            return null;
        }
        final long id = packets.first();
        final int slot = (int)(id & slotMask);
        final int length = slotLength[slot];
        final byte[] bytes = MemorySegment.ofAddress(packets.second()).reinterpret(length).toArray(ValueLayout.JAVA_BYTE);
        return new QueuedPacket(this, id, queueNumber, Hook.of(slotHook[slot]), slotInPort[slot], slotOutPort[slot],
            slotFamily[slot], slotMark[slot], bytes);
    }

    /** Any thread: a verdict for packet {@code id}; false when the ring is full or the queue closed. */
    boolean verdict(final long id, final int verdict, final boolean setMark, final int mark)
    {
        if (closed)
        {
            return false;
        }
        final long word = (long)verdict << 33 | (setMark ? 1L << 32 : 0) | (mark & 0xFFFF_FFFFL);
        if (!verdicts.offer(id, word))   // R2 (in LongPairRing.offer)
        {
            verdictRingFull.incrementAndGet();
            return false;
        }
        return true;
    }
}
