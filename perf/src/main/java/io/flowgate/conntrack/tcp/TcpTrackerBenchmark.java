package io.flowgate.conntrack.tcp;

import io.flowgate.conntrack.CtInfo;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStatus;
import io.flowgate.conntrack.OffHeap;

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
 * The TCP tracker on an established, assured connection: one 1400-byte data segment from the client and the
 * server's ACK of it per invocation (two {@link TcpTracker#packet} calls, error() included), the window
 * sliding forward. The header's seq/ack fields are rewritten per segment (four stores), as a parser would
 * leave them. Run: {@code java -jar perf/target/benchmarks.jar -prof gc TcpTracker}; 0 B/op expected.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@State(Scope.Thread)
public class TcpTrackerBenchmark
{
    private static final int MSS = 1400;
    private static final int WIN = 0xFFFF;

    private Arena arena;
    private long record;
    private long data;
    private long ack;
    private final TcpTracker tracker = new TcpTracker(TcpTrackerConfig.DEFAULT);
    private final TcpResult out = new TcpResult();
    private final int status = CtStatus.CONFIRMED | CtStatus.SEEN_REPLY | CtStatus.ASSURED;
    private int clientSeq;
    private int serverSeq;

    @Setup(Level.Trial)
    public void setup()
    {
        arena = Arena.ofShared();
        record = arena.allocate(CtRecord.SIZE, 64).address();
        data = arena.allocate(64, 64).address();
        ack = arena.allocate(64, 64).address();
        OffHeap.fill(record, CtRecord.SIZE, (byte)0);
        clientSeq = 1000;
        serverSeq = 50_000;
        // Handshake with window scale 7 on both sides so the window is large.
        final long syn = arena.allocate(64, 64).address();
        header(syn, 0x02, clientSeq, 0, 24);
        OffHeap.putInt(syn + 20, 0x07030301); // NOP, WS(3)=7
        if (tracker.error(syn, 24) != 0 || !tracker.newConnection(record, syn, 24))
        {
            throw new IllegalStateException("syn");
        }
        tracker.packet(record, 0, CtInfo.NEW, CtStatus.CONFIRMED, syn, 24, out);
        header(syn, 0x12, serverSeq, clientSeq + 1, 24);
        OffHeap.putInt(syn + 20, 0x07030301);
        tracker.packet(record, 1, CtInfo.ESTABLISHED_REPLY, CtStatus.CONFIRMED, syn, 24, out);
        clientSeq++;
        serverSeq++;
        header(data, 0x18, clientSeq, serverSeq, 20);
        header(ack, 0x10, serverSeq, clientSeq, 20);
        if (tracker.packet(record, 0, CtInfo.ESTABLISHED, status, ack, 20, out) != TcpTracker.ACCEPT ||
            TcpRecord.state(record) != TcpState.ESTABLISHED)
        {
            throw new IllegalStateException("handshake: " + out);
        }
    }

    private static void header(final long th, final int flags, final int seq, final int ackSeq, final int hdrLen)
    {
        OffHeap.fill(th, 64, (byte)0);
        OffHeap.putInt(th + 4, Integer.reverseBytes(seq));
        OffHeap.putInt(th + 8, Integer.reverseBytes(ackSeq));
        OffHeap.putByte(th + 12, (hdrLen / 4) << 4);
        OffHeap.putByte(th + 13, flags);
        OffHeap.putShort(th + 14, Short.reverseBytes((short)WIN));
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        // The benchmark measured tracking, not rejection: the last pair must have been in window.
        if (TcpRecord.state(record) != TcpState.ESTABLISHED || out.reason != TcpTracker.REASON_NONE || !out.refresh)
        {
            throw new IllegalStateException("left the window: " + out);
        }
        arena.close();
    }

    @Benchmark
    @OperationsPerInvocation(2)
    public int dataAndAck()
    {
        final TcpTracker tracker = this.tracker;
        final int seq = clientSeq;
        OffHeap.putInt(data + 4, Integer.reverseBytes(seq));
        int verdict = tracker.error(data, 20 + MSS) == 0 ?
            tracker.packet(record, 0, CtInfo.ESTABLISHED, status, data, 20 + MSS, out) : 0;
        clientSeq = seq + MSS;
        OffHeap.putInt(ack + 8, Integer.reverseBytes(seq + MSS));
        verdict += tracker.error(ack, 20) == 0 ?
            tracker.packet(record, 1, CtInfo.ESTABLISHED_REPLY, status, ack, 20, out) : 0;
        return verdict;
    }
}
