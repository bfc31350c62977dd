package io.flowgate.pipeline.nat.helper;

import io.flowgate.conntrack.Conntrack;
import io.flowgate.conntrack.ConntrackConfig;
import io.flowgate.conntrack.CtInfo;
import io.flowgate.conntrack.CtKey;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStatus;
import io.flowgate.conntrack.expect.ExpectTable;
import io.flowgate.conntrack.expect.HelpTable;
import io.flowgate.nativebindings.Memory;
import io.flowgate.pipeline.conntrack.HugePageTableMemory;
import io.flowgate.pmd.checksum.Checksum;
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
 * The per-packet cost of a helped FTP control connection after a rewrite (SEQ_ADJUST set): a client command
 * segment ("NOOP", parsed by the FTP helper, then shifted) and the server's ACK with a SACK block (shifted
 * back) per invocation, through {@link HelperHook#packet}; and {@link SeqAdjust} alone on the same two
 * segments. Each segment is restored from a template first (a 70-byte copy), as a new packet would arrive.
 * Run: {@code perf/jmh HelperHook}; 0 B/op expected.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@State(Scope.Thread)
public class HelperHookBenchmark
{
    private Arena arena;
    private Conntrack ct;
    private HelperHook hook;
    private HelpTable help;
    private int master;
    private long record;
    private int base;
    private long data;
    private long ack;
    private long dataTemplate;
    private long ackTemplate;
    private int dataLength;
    private int ackLength;

    @Setup(Level.Trial)
    public void setup()
    {
        arena = Arena.ofShared();
        ct = new Conntrack(0, ConntrackConfig.defaults(1024), new HugePageTableMemory(), null, null, 32, 1, 7);
        final ExpectTable expect = new ExpectTable(ct.table(), 64, 64);
        ct.expectations(expect);
        help = expect.help();
        hook = new HelperHook(ct, expect, 0, 1, new int[] {21}, new int[] {69}, 1);
        final int client = 0x0A000002;
        final int server = 0xCB007105;
        final int natted = 0xC6336401;
        master = ct.table().allocate(new CtKey().ipv4(0, 6, client, server, 40000, 21), new CtKey().ipv4(0, 6, server, natted, 21, 40000),
            0, 0);
        if (!ct.table().confirm(master))
        {
            throw new IllegalStateException("confirm");
        }
        record = ct.table().record(master);
        CtRecord.status(record, CtRecord.status(record) | CtStatus.HELPER | CtStatus.SEQ_ADJUST | CtStatus.SRC_NAT | CtStatus.SEEN_REPLY);
        base = help.attach(master, HelpTable.HELPER_FTP);
        help.seqadjSet(base, 0, 1009, 4); // a PORT line at 1009 grew by 4 bytes
        // the FTP helper has seen a newline before 1031 in the client's direction
        help.slots[base + HelpTable.WORDS] = 1031;
        help.slots[base + HelpTable.WORDS + 4] = 1;
        dataTemplate = arena.allocate(256, 64).address();
        ackTemplate = arena.allocate(256, 64).address();
        data = arena.allocate(256, 64).address();
        ack = arena.allocate(256, 64).address();
        dataLength = segment(dataTemplate, client, server, 40000, 21, 1031, 5012, 0x18, "NOOP\r\n".getBytes(), false);
        ackLength = segment(ackTemplate, server, natted, 21, 40000, 5012, 1041, 0x10, new byte[0], true);
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        ct.table().close();
        arena.close();
    }

    /** Writes an IPv4/TCP segment (checksums valid) at {@code ip}; returns its length. */
    private static int segment(final long ip, final int src, final int dst, final int sport, final int dport, final int seq, final int ackSeq,
                               final int flags, final byte[] payload, final boolean sack)
    {
        final int options = sack ? 12 : 0;
        final int tcpLength = 20 + options + payload.length;
        final int total = 20 + tcpLength;
        Memory.fill(ip, total, (byte)0);
        Memory.putByte(ip, (byte)0x45);
        Memory.putShortBE(ip + 2, total);
        Memory.putByte(ip + 8, (byte)64);
        Memory.putByte(ip + 9, (byte)6);
        Memory.putIntBE(ip + 12, src);
        Memory.putIntBE(ip + 16, dst);
        Memory.putShortBE(ip + 10, Checksum.checksum(ip, 20));
        final long tcp = ip + 20;
        Memory.putShortBE(tcp, sport);
        Memory.putShortBE(tcp + 2, dport);
        Memory.putIntBE(tcp + 4, seq);
        Memory.putIntBE(tcp + 8, ackSeq);
        Memory.putByte(tcp + 12, (byte)(((20 + options) / 4) << 4));
        Memory.putByte(tcp + 13, (byte)flags);
        Memory.putShortBE(tcp + 14, 64240);
        if (sack)
        {
            Memory.putIntBE(tcp + 20, 0x0101050A); // NOP NOP SACK len 10
            Memory.putIntBE(tcp + 24, 1041);
            Memory.putIntBE(tcp + 28, 1047);
        }
        for (int k = 0; k < payload.length; k++)
        {
            Memory.putByte(tcp + 20 + options + k, payload[k]);
        }
        Memory.putShortBE(tcp + 16, Checksum.tcpIpv4(ip));
        return total;
    }

    @Benchmark
    @OperationsPerInvocation(2)
    public boolean helperHookPacket()
    {
        Memory.copy(dataTemplate, data, dataLength);
        Memory.copy(ackTemplate, ack, ackLength);
        final int status = CtRecord.status(record);
        return hook.packet(master, record, status, CtInfo.ESTABLISHED, data, 0, 0) &
            hook.packet(master, record, status, CtInfo.ESTABLISHED_REPLY, ack, 0, 0);
    }

    @Benchmark
    @OperationsPerInvocation(2)
    public boolean seqAdjustOnly()
    {
        Memory.copy(dataTemplate, data, dataLength);
        Memory.copy(ackTemplate, ack, ackLength);
        return SeqAdjust.adjust(data + 20, 0, help, base) & SeqAdjust.adjust(ack + 20, 1, help, base);
    }

    @Benchmark
    @OperationsPerInvocation(2)
    public int copyOnly()
    {
        Memory.copy(dataTemplate, data, dataLength);
        Memory.copy(ackTemplate, ack, ackLength);
        return Memory.getUnsignedByte(data) + Memory.getUnsignedByte(ack);
    }
}
