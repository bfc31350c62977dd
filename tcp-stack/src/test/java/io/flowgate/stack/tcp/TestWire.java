package io.flowgate.stack.tcp;

import io.flowgate.nativebindings.Memory;
import io.flowgate.stack.InetAddr;
import io.flowgate.stack.StackConfig;
import io.flowgate.stack.buffer.ByteRing;
import io.flowgate.stack.buffer.ByteRingPool;
import io.flowgate.stack.ip.InetChecksum;
import io.flowgate.stack.ip.PacketSender;
import io.flowgate.stack.timer.TimerWheel;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Predicate;

/**
 * Two TCP stacks ("hosts" A = 10.0.0.1 / fd00::1 and B = 10.0.0.2 / fd00::2) joined by a virtual wire under a
 * virtual clock: programmable loss (by index or predicate), reordering (random extra delay), duplication and a
 * fixed one-way delay. Every segment is logged as a {@link Seg} for assertions; checksums are verified on the
 * wire. Package-visible for other parts' tests.
 */
final class TestWire implements AutoCloseable
{
    static final long MS = 1_000_000L;
    static final long A4 = InetAddr.v4(0x0A00_0001);
    static final long B4 = InetAddr.v4(0x0A00_0002);
    static final long V6_HI = 0xfd00_0000_0000_0000L;

    /** One segment as it crossed the wire. */
    record Seg(int index, char from, long timeNs, int srcPort, int dstPort, int seq, int ack, int flags, int window,
               int payload, int mss, int windowScale, boolean sackPermitted, boolean ts, int tsVal, int tsEcr,
               int sackBlocks, int[] sackLeft, int[] sackRight, boolean dropped)
    {
        boolean syn()
        {
            return (flags & TcpConnection.SYN) != 0;
        }

        boolean ackFlag()
        {
            return (flags & TcpConnection.ACK) != 0;
        }

        boolean fin()
        {
            return (flags & TcpConnection.FIN) != 0;
        }

        boolean rst()
        {
            return (flags & TcpConnection.RST) != 0;
        }

        @Override
        public String toString()
        {
            return from + "#" + index + "@" + timeNs / MS + "ms " + (syn() ? "S" : "") + (fin() ? "F" : "")
                + (rst() ? "R" : "") + (ackFlag() ? "." : "") + " seq=" + Integer.toUnsignedString(seq) + " ack="
                + Integer.toUnsignedString(ack) + " win=" + window + " len=" + payload + (sackBlocks > 0 ? " sack" + sackBlocks : "")
                + (dropped ? " DROPPED" : "");
        }
    }

    /** A packet on the wire (pooled: the wire allocates nothing per packet once warm). */
    private static final class InFlight
    {
        Host to;
        long packet;
        long transport;
        int length;
        long srcHi;
        long srcLo;
        long dstHi;
        long dstLo;
        long dueNs;
        long order;

        InFlight set(final Host to, final long packet, final long transport, final int length, final long srcHi,
                     final long srcLo, final long dstHi, final long dstLo, final long dueNs, final long order)
        {
            this.to = to;
            this.packet = packet;
            this.transport = transport;
            this.length = length;
            this.srcHi = srcHi;
            this.srcLo = srcLo;
            this.dstHi = dstHi;
            this.dstLo = dstLo;
            this.dueNs = dueNs;
            this.order = order;
            return this;
        }
    }

    private InFlight inFlight()
    {
        return spare.isEmpty() ? new InFlight() : spare.remove(spare.size() - 1);
    }

    /** One side: its Tcp, timers, buffers and packet memory. */
    final class Host implements PacketSender
    {
        final char name;
        final long hi4 = 0;
        final long lo4;
        final long lo6;
        final TimerWheel timers;
        final ByteRingPool pool = new ByteRingPool(8L << 20);
        final Tcp tcp;
        int mtu = 1500;

        Host(final char name, final long lo4, final long lo6, final StackConfig config, final long seed)
        {
            this.name = name;
            this.lo4 = lo4;
            this.lo6 = lo6;
            this.timers = new TimerWheel(MS, 4096, 0);
            this.tcp = new Tcp(config, this, timers, pool, seed);
        }

        @Override
        public long allocate()
        {
            return freeCount > 0 ? freePackets[--freeCount] : arena.allocate(BUFFER).address();
        }

        @Override
        public long transport(final long packet, final boolean v6)
        {
            return packet + (v6 ? IPV6_HEADER : IPV4_HEADER);
        }

        @Override
        public int maxTransportLength(final boolean v6)
        {
            return BUFFER - (v6 ? IPV6_HEADER : IPV4_HEADER);
        }

        @Override
        public void free(final long packet)
        {
            freePacket(packet);
        }

        @Override
        public void send(final long packet, final long srcHi, final long srcLo, final long dstHi, final long dstLo,
                         final int protocol, final int transportLength, final boolean dontFragment, final long nowNs)
        {
            final boolean v6 = !InetAddr.isV4(dstHi, dstLo);
            final long t = transport(packet, v6);
            if (!InetChecksum.isValid(srcHi, srcLo, dstHi, dstLo, protocol, t, transportLength))
            {
                throw new AssertionError("bad TCP checksum from " + name);
            }
            final Host to = this == a ? b : a;
            if (rewrite != null)
            {
                rewrite.rewrite(name, t, transportLength);
                Memory.putShortBE(t + 16, 0);
                Memory.putShortBE(t + 16, InetChecksum.compute(srcHi, srcLo, dstHi, dstLo, protocol, t, transportLength));
            }
            final Seg seg = quiet ? null : log(name, t, transportLength, nowNs);
            final int ipLength = transportLength + (v6 ? IPV6_HEADER : IPV4_HEADER);
            boolean drop = !quiet && (dropIndex.contains(seg.index) || dropIf != null && dropIf.test(seg))
                || lossRate > 0 && random.nextDouble() < lossRate || ipLength > pathMtu;
            if (ipLength > pathMtu && pmtuCallback != null)
            {
                pmtuCallback.accept(this, t);
            }
            if (drop)
            {
                if (!quiet)
                {
                    segments.set(segments.size() - 1, withDropped(seg));
                }
                freePacket(packet);
                return;
            }
            long due = nowNs + delayNs;
            if (delayIf != null && seg != null && delayIf.test(seg))
            {
                due += delayIfNs;
            }
            if (reorderRate > 0 && random.nextDouble() < reorderRate)
            {
                due += reorderDelayNs;
            }
            wire.add(inFlight().set(to, packet, t, transportLength, srcHi, srcLo, dstHi, dstLo, due, order++));
            if (duplicateRate > 0 && random.nextDouble() < duplicateRate)
            {
                final long copy = allocate();
                Memory.copy(packet, copy, BUFFER);
                wire.add(inFlight().set(to, copy, transport(copy, v6), transportLength, srcHi, srcLo, dstHi, dstLo, due,
                    order++));
            }
        }

        @Override
        public int routeMtu(final long dstHi, final long dstLo)
        {
            return mtu;
        }

        @Override
        public boolean sourceFor(final long dstHi, final long dstLo, final long[] out)
        {
            if (InetAddr.isV4(dstHi, dstLo))
            {
                out[0] = 0;
                out[1] = lo4;
            }
            else
            {
                out[0] = V6_HI;
                out[1] = lo6;
            }
            return true;
        }

        @Override
        public boolean isLocal(final long hi, final long lo)
        {
            return hi == 0 && lo == lo4 || hi == V6_HI && lo == lo6;
        }
    }

    interface PmtuCallback
    {
        void accept(Host from, long transport);
    }

    static final int BUFFER = 2048 + 64;

    final Arena arena = Arena.ofShared();
    long[] freePackets = new long[1024];
    int freeCount;
    private final List<InFlight> wire = new ArrayList<>(4096);
    private final List<InFlight> spare = new ArrayList<>(4096);
    /** No segment log, no loss by index or predicate: the wire allocates nothing per packet (the allocation test). */
    boolean quiet;
    final List<Seg> segments = new ArrayList<>();
    final List<Integer> dropIndex = new ArrayList<>();
    final Random random;
    final Host a;
    final Host b;
    Predicate<Seg> dropIf;
    /** Segments this predicate picks arrive {@link #delayIfNs} late (a single reordering). */
    Predicate<Seg> delayIf;
    long delayIfNs = 3 * MS;
    /** Rewrites a segment's TCP header in place before it is logged (checksum fixed after), e.g. a Linux-like window. */
    SegmentRewriter rewrite;

    interface SegmentRewriter
    {
        void rewrite(char from, long transport, int length);
    }
    double lossRate;
    double reorderRate;
    long reorderDelayNs = 3 * MS;
    double duplicateRate;
    long delayNs = 5 * MS;
    int pathMtu = 65535;
    PmtuCallback pmtuCallback;
    long now;
    private long order;
    private final TcpOptions parser = new TcpOptions();

    TestWire(final StackConfig config)
    {
        this(config, config, 42);
    }

    TestWire(final StackConfig configA, final StackConfig configB, final long seed)
    {
        random = new Random(seed);
        a = new Host('A', A4, 1, configA, seed);
        b = new Host('B', B4, 2, configB, seed + 1);
    }

    /** Hands a crafted segment to {@code to} as if it came from the other host (v4). */
    void inject(final Host to, final int srcPort, final int dstPort, final int seq, final int ack, final int flags,
                final int window, final int payload)
    {
        final Host from = to == a ? b : a;
        final long p = from.allocate();
        final long t = from.transport(p, false);
        Tcp.header(t, srcPort, dstPort, seq, ack, 20, flags, window);
        for (int i = 0; i < payload; i++)
        {
            Memory.putByte(t + 20 + i, (byte)i);
        }
        Memory.putShortBE(t + 16, InetChecksum.compute(from.lo4 == A4 ? 0 : 0, from.lo4, 0, to.lo4, 6, t, 20 + payload));
        to.tcp.receive(t, 20 + payload, 0, from.lo4, 0, to.lo4, 0, now);
        freePacket(p);
    }

    static StackConfig small()
    {
        return StackConfig.linuxDefaults().withBuffers(256 << 10, 256 << 10);
    }

    static Seg withDropped(final Seg s)
    {
        return new Seg(s.index, s.from, s.timeNs, s.srcPort, s.dstPort, s.seq, s.ack, s.flags, s.window, s.payload, s.mss,
            s.windowScale, s.sackPermitted, s.ts, s.tsVal, s.tsEcr, s.sackBlocks, s.sackLeft, s.sackRight, true);
    }

    private Seg log(final char from, final long t, final int length, final long nowNs)
    {
        final int flags = Memory.getUnsignedByte(t + 13);
        final int hdr = (Memory.getUnsignedByte(t + 12) >>> 4) * 4;
        final TcpOptions o = parser;
        o.mss = TcpOptions.ABSENT;
        o.windowScale = TcpOptions.ABSENT;
        o.sackPermitted = false;
        o.hasTimestamp = false;
        o.sackBlocks = 0;
        if (!o.parse(t, (flags & TcpConnection.SYN) != 0))
        {
            throw new AssertionError("malformed options from " + from);
        }
        final Seg s = new Seg(segments.size(), from, nowNs, Memory.getShortBE(t), Memory.getShortBE(t + 2),
            Memory.getIntBE(t + 4), Memory.getIntBE(t + 8), flags, Memory.getShortBE(t + 14), length - hdr, o.mss,
            o.windowScale, o.sackPermitted, o.hasTimestamp, o.tsVal, o.tsEcr, o.sackBlocks, o.sackLeft.clone(),
            o.sackRight.clone(), false);
        segments.add(s);
        return s;
    }

    void freePacket(final long packet)
    {
        if (freeCount == freePackets.length)
        {
            freePackets = java.util.Arrays.copyOf(freePackets, freeCount * 2);
        }
        freePackets[freeCount++] = packet;
    }

    long v4(final Host h)
    {
        return h.lo4;
    }

    /** Advances the virtual clock by {@code ns}, one millisecond at a time, delivering and firing timers. */
    void run(final long ns)
    {
        final long end = now + ns;
        while (now < end)
        {
            step();
        }
    }

    /** Runs until {@code done} holds or {@code maxNs} passed; returns whether it held. */
    boolean runUntil(final java.util.function.BooleanSupplier done, final long maxNs)
    {
        final long end = now + maxNs;
        while (now < end)
        {
            if (done.getAsBoolean())
            {
                return true;
            }
            step();
        }
        return done.getAsBoolean();
    }

    void step()
    {
        now += MS;
        deliver();
        a.timers.expire(now);
        b.timers.expire(now);
        deliver();
    }

    /** Delivers every packet due now (in send order for equal times). */
    void deliver()
    {
        while (true)
        {
            InFlight next = null;
            int at = -1;
            for (int i = 0; i < wire.size(); i++)
            {
                final InFlight f = wire.get(i);
                if (f.dueNs <= now && (next == null || f.dueNs < next.dueNs || f.dueNs == next.dueNs && f.order < next.order))
                {
                    next = f;
                    at = i;
                }
            }
            if (next == null)
            {
                return;
            }
            wire.remove(at);
            next.to.tcp.receive(next.transport, next.length, next.srcHi, next.srcLo, next.dstHi, next.dstLo, 0, now);
            freePacket(next.packet);
            next.to = null;
            spare.add(next);
        }
    }

    /** Segments from one side. */
    List<Seg> from(final char side)
    {
        final List<Seg> out = new ArrayList<>();
        for (final Seg s : segments)
        {
            if (s.from == side)
            {
                out.add(s);
            }
        }
        return out;
    }

    Seg last(final char side)
    {
        final List<Seg> l = from(side);
        return l.isEmpty() ? null : l.get(l.size() - 1);
    }

    /** Reads everything readable from a ring into {@code sink}. */
    static int drain(final ByteRing ring, final java.io.ByteArrayOutputStream sink)
    {
        final byte[] buf = new byte[65536];
        int total = 0;
        int n;
        while ((n = ring.read(buf, 0, buf.length)) > 0)
        {
            sink.write(buf, 0, n);
            total += n;
        }
        return total;
    }

    @Override
    public void close()
    {
        a.tcp.close(now);
        b.tcp.close(now);
        arena.close();
    }

    /** Records what a connection told its socket. */
    static class Events implements ConnectionEvents, ListenerEvents
    {
        int connected;
        int readable;
        int writable;
        int closed = -1;
        final List<TcpConnection> accepted = new ArrayList<>();
        boolean refuse;

        @Override
        public void connected()
        {
            connected++;
        }

        @Override
        public void readable()
        {
            readable++;
        }

        @Override
        public void writable()
        {
            writable++;
        }

        @Override
        public void closed(final int reason)
        {
            closed = reason;
        }

        @Override
        public ConnectionEvents accepted(final TcpConnection connection)
        {
            if (refuse)
            {
                return null;
            }
            accepted.add(connection);
            return this;
        }
    }
}
