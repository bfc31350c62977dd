package io.flowgate.stack.tcp;

import io.flowgate.stack.InetAddr;
import io.flowgate.stack.StackConfig;
import io.flowgate.stack.buffer.ByteRing;
import io.flowgate.stack.buffer.ByteRingPool;
import io.flowgate.stack.timer.TimerWheel;
import java.lang.foreign.Arena;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The TCP segment path, in memory: two {@link Tcp} instances (client 10.0.0.1, server 10.0.0.2) joined by
 * {@link MemoryWire}s, one established connection, a virtual clock. No EAL, no mbufs, no IP layer.
 * <ul>
 *   <li>{@code segment}: one op = the application writes one MSS into the client's send ring and calls
 *   {@code appSend}; the data segment is delivered to the server's {@code Tcp.receive} (demultiplex, in-order
 *   check, copy into the receive ring, ACK decision: every second full segment, else the delayed-ACK timer);
 *   the server application drains its ring and calls {@code appReceived}; the server's ACKs (if any) are
 *   delivered to the client's {@code Tcp.receive} (ACK processing: send ring release, RTT sample, congestion
 *   window). ns/op = ns per data segment, both ends and both directions included.</li>
 *   <li>{@code window}: one op = 64 segments written and sent at once (the window allows them: send and
 *   receive buffers are 4 MiB), then delivered as a train, as bulk transfer does; ns/op is per segment
 *   ({@link OperationsPerInvocation}).</li>
 * </ul>
 * Run: {@code perf/jmh TcpSegment} (adds {@code -prof gc}); {@code gc.alloc.rate.norm} must be ≈ 0 B/op.
 * The clock advances 1 µs per segment and the timer wheels run every op, so delayed ACKs fire as in a
 * real run at 12 Gbit/s.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
public class TcpSegmentBenchmark
{
    static final int TRAIN = 64;
    private static final int PORT = 5001;
    private static final long CLIENT_HI = 0, CLIENT_LO = InetAddr.v4(0x0a000001);
    private static final long SERVER_HI = 0, SERVER_LO = InetAddr.v4(0x0a000002);
    private static final long TICK_NS = 1_000_000L;
    private static final long SEGMENT_NS = 1_000L;

    @State(Scope.Thread)
    public static class Pair
    {
        Arena arena;
        MemoryWire clientWire;
        MemoryWire serverWire;
        TimerWheel clientTimers;
        TimerWheel serverTimers;
        ByteRingPool clientBuffers;
        ByteRingPool serverBuffers;
        Tcp client;
        Tcp server;
        TcpConnection clientConnection;
        TcpConnection serverConnection;
        ByteRing clientSend;
        ByteRing serverReceive;
        long source;
        long sink;
        int mss;
        long nowNs;
        /** Segments the benchmark asked for and payload bytes the server application read: printed at the end. */
        long segmentsOffered;
        long bytesRead;

        @Setup(Level.Trial)
        public void setUp() throws Exception
        {
            arena = Arena.ofShared();
            final StackConfig config = StackConfig.linuxDefaults().withBuffers(4 << 20, 4 << 20);
            clientWire = new MemoryWire(arena, CLIENT_HI, CLIENT_LO, 4096);
            serverWire = new MemoryWire(arena, SERVER_HI, SERVER_LO, 4096);
            nowNs = 1_000_000_000L;
            clientTimers = new TimerWheel(TICK_NS, 512, nowNs);
            serverTimers = new TimerWheel(TICK_NS, 512, nowNs);
            clientBuffers = new ByteRingPool();
            serverBuffers = new ByteRingPool();
            client = new Tcp(config, clientWire, clientTimers, clientBuffers, 1);
            server = new Tcp(config, serverWire, serverTimers, serverBuffers, 2);
            final TcpConnection[] accepted = new TcpConnection[1];
            final ConnectionEvents quiet = new QuietEvents();
            server.listen(0, 0, PORT, 16, connection ->
            {
                accepted[0] = connection;
                return quiet;
            }, nowNs);
            clientConnection = client.connect(SERVER_HI, SERVER_LO, PORT, 0, 0, 0, quiet, nowNs);
            for (int i = 0; i < 10 && accepted[0] == null; i++)
            {
                pump();
            }
            serverConnection = accepted[0];
            if (serverConnection == null || clientConnection.state() != TcpState.ESTABLISHED)
            {
                throw new IllegalStateException("no connection: client state " + clientConnection.state());
            }
            clientConnection.noDelay(true);
            clientSend = clientConnection.sendBuffer();
            serverReceive = serverConnection.receiveBuffer();
            mss = clientConnection.info(nowNs).mss();
            source = arena.allocate(TRAIN * 2048L, 64).address();
            sink = arena.allocate(TRAIN * 2048L, 64).address();
        }

        /** Delivers both directions until the wires are quiet; runs the timers. */
        void pump()
        {
            final long now = nowNs;
            while (clientWire.pending() + serverWire.pending() > 0)
            {
                clientWire.deliver(server, SERVER_HI, SERVER_LO, now);
                serverWire.deliver(client, CLIENT_HI, CLIENT_LO, now);
            }
            clientTimers.expire(now);
            serverTimers.expire(now);
        }

        @TearDown(Level.Trial)
        public void tearDown()
        {
            // Sanity: the server must have read (nearly) every byte offered; the last train may still be in flight.
            System.out.printf("%nsegments offered %d, read %.1f MSS; data packets+ACKs on the wire: client %d, server %d%n",
                segmentsOffered, (double) bytesRead / mss, clientWire.packetsSent, serverWire.packetsSent);
            if (client != null)
            {
                client.close(nowNs);
            }
            if (server != null)
            {
                server.close(nowNs);
            }
            if (clientBuffers != null)
            {
                clientBuffers.close();
            }
            if (serverBuffers != null)
            {
                serverBuffers.close();
            }
            arena.close();
        }
    }

    /** Events nobody needs here: the benchmark drives both applications itself. */
    static final class QuietEvents implements ConnectionEvents
    {
        @Override
        public void connected()
        {
        }

        @Override
        public void readable()
        {
        }

        @Override
        public void writable()
        {
        }

        @Override
        public void closed(final int reason)
        {
        }
    }

    @Benchmark
    public int segment(final Pair p)
    {
        final int mss = p.mss;
        p.nowNs += SEGMENT_NS;
        p.clientSend.write(p.source, mss);
        p.clientConnection.appSend(p.nowNs);
        p.pump();
        final int n = p.serverReceive.read(p.sink, mss);
        p.serverConnection.appReceived(p.nowNs);
        p.pump();
        p.segmentsOffered++;
        p.bytesRead += n;
        return n;
    }

    @Benchmark
    @OperationsPerInvocation(TRAIN)
    public int window(final Pair p)
    {
        final int bytes = p.mss * TRAIN;
        p.nowNs += SEGMENT_NS * TRAIN;
        p.clientSend.write(p.source, bytes);
        p.clientConnection.appSend(p.nowNs);
        p.pump();
        final int n = p.serverReceive.read(p.sink, bytes);
        p.serverConnection.appReceived(p.nowNs);
        p.pump();
        p.segmentsOffered += TRAIN;
        p.bytesRead += n;
        return n;
    }
}
