package io.flowgate.pipeline.nat.helper;

import io.flowgate.conntrack.ConntrackTable;
import io.flowgate.conntrack.CtKey;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStatus;
import io.flowgate.conntrack.expect.ExpectTable;
import io.flowgate.nativebindings.Memory;

/**
 * The TFTP helper, Linux's {@code nf_conntrack_tftp} with {@code nf_nat_tftp}: a read or write request
 * (opcode 1 or 2) to the server's port 69 makes the server's answer, which comes from a new port of the
 * server, an expected connection: from the server's address, any source port, to the client's address and
 * port as the server sees them. Under NAT the answer follows the master's translation back to the client's
 * own port. Nothing in the packet changes.
 * <p>
 * Thread-safety: one instance per worker; the worker only.
 */
public final class TftpHelper
{
    public static final int ACCEPT = 0;
    public static final int DROP = 1;

    public static final int MAX_EXPECTED = 1;
    public static final int EXPECT_TIMEOUT_MS = 300_000;

    private static final int OPCODE_READ = 1;
    private static final int OPCODE_WRITE = 2;

    private final ExpectTable expect;
    private final ConntrackTable table;
    private final CtKey tuple = new CtKey();

    public long expected;
    public long dropped;

    public TftpHelper(final ExpectTable expect)
    {
        this.expect = expect;
        this.table = expect.table();
    }

    /** The helper for one packet (any ctinfo) of TFTP connection {@code idx}, whose UDP header is at {@code udp} ({@code udpLength} bytes to the end of the IP payload). */
    public int help(final int idx, final long udp, final int udpLength, final int nowMs)
    {
        final long record = table.record(idx);
        if (udpLength < 8 + 2)
        {
            return ACCEPT;
        }
        final int opcode = Memory.getShortBE(udp + 8);
        if (opcode != OPCODE_READ && opcode != OPCODE_WRITE)
        {
            return ACCEPT;
        }
        table.tuple(idx, 1, tuple); // from the server, any port, to where the server answers
        tuple.srcPort = 0;
        final boolean nat = (CtRecord.status(record) & CtStatus.NAT_MASK) != 0 && tuple.family == CtRecord.FAMILY_IPV4;
        final int saved = io.flowgate.conntrack.OffHeap.getUnsignedShort(CtRecord.tuple(record, 0) + 8); // the client's own port
        final int slot = expect.expect(idx, ExpectTable.CLASS_TFTP, nat ? ExpectTable.FLAG_NAT_FOLLOW : 0, tuple, true, false, 1,
            nat ? saved : tuple.dstPort, MAX_EXPECTED, EXPECT_TIMEOUT_MS, nowMs);
        if (slot < 0)
        {
            dropped++;
            return DROP; // cannot add expectation
        }
        expected++;
        return ACCEPT;
    }
}
