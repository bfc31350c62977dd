package io.flowgate.stack.tcp;

import io.flowgate.stack.ip.PacketSender;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One side of an in-memory wire for the segment-path benchmarks: a {@link PacketSender} over a fixed pool of
 * off-heap buffers whose {@link #send} queues the transport bytes for {@link #deliver} into the peer's
 * {@link Tcp}. No IP header is written (transports never read it: {@code Tcp.receive} gets the transport
 * header and the addresses as arguments, checksum taken as verified), no loss, no delay. Nothing is
 * allocated after construction. One thread (the benchmark's).
 * <pre>
 *   buffer i: [ 40 bytes room for an IP header | transport header + payload ... ] (BUFFER_BYTES each)
 * </pre>
 */
final class MemoryWire implements PacketSender
{
    static final int BUFFER_BYTES = 2048;
    static final int HEADROOM = IPV6_HEADER;
    private static final int MTU = 1500;

    private final long localHi;
    private final long localLo;
    private final long base;
    private final long[] free;
    private int freeCount;
    /** Queue of sent packets (FIFO, power-of-two ring of buffer addresses and their transport lengths). */
    private final long[] queued;
    private final int[] queuedLength;
    private final int mask;
    private long head;
    private long tail;
    long packetsSent;
    long bytesSent;

    MemoryWire(final Arena arena, final long localHi, final long localLo, final int buffers)
    {
        this.localHi = localHi;
        this.localLo = localLo;
        final MemorySegment memory = arena.allocate((long) buffers * BUFFER_BYTES, 64);
        base = memory.address();
        free = new long[buffers];
        for (int i = 0; i < buffers; i++)
        {
            free[i] = base + (long) i * BUFFER_BYTES;
        }
        freeCount = buffers;
        final int size = Integer.highestOneBit(buffers - 1) << 1;
        queued = new long[size];
        queuedLength = new int[size];
        mask = size - 1;
    }

    @Override
    public long allocate()
    {
        return freeCount == 0 ? 0 : free[--freeCount];
    }

    @Override
    public long transport(final long packet, final boolean v6)
    {
        return packet + HEADROOM;
    }

    @Override
    public int maxTransportLength(final boolean v6)
    {
        return BUFFER_BYTES - HEADROOM;
    }

    @Override
    public void free(final long packet)
    {
        free[freeCount++] = packet;
    }

    @Override
    public void send(final long packet, final long srcHi, final long srcLo, final long dstHi, final long dstLo,
                     final int protocol, final int transportLength, final boolean dontFragment, final long nowNs)
    {
        final int i = (int) (tail++ & mask);
        queued[i] = packet;
        queuedLength[i] = transportLength;
        packetsSent++;
        bytesSent += transportLength;
    }

    @Override
    public int routeMtu(final long dstHi, final long dstLo)
    {
        return MTU;
    }

    @Override
    public boolean sourceFor(final long dstHi, final long dstLo, final long[] out)
    {
        out[0] = localHi;
        out[1] = localLo;
        return true;
    }

    @Override
    public boolean isLocal(final long hi, final long lo)
    {
        return hi == localHi && lo == localLo;
    }

    /** Packets queued and not yet delivered. */
    int pending()
    {
        return (int) (tail - head);
    }

    /**
     * Delivers every packet queued so far (not those the peer sends in answer: they wait for the peer's
     * wire's deliver) to {@code peer}, then returns their buffers. Returns how many.
     */
    int deliver(final Tcp peer, final long peerHi, final long peerLo, final long nowNs)
    {
        final long end = tail;
        int n = 0;
        while (head < end)
        {
            final int i = (int) (head++ & mask);
            final long packet = queued[i];
            peer.receive(packet + HEADROOM, queuedLength[i], localHi, localLo, peerHi, peerLo, 0, nowNs);
            free(packet);
            n++;
        }
        return n;
    }
}
