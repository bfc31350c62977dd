package io.flowgate.pipeline.nat.helper;

import io.flowgate.conntrack.ConntrackTable;
import io.flowgate.conntrack.CtInfo;
import io.flowgate.conntrack.CtKey;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStatus;
import io.flowgate.conntrack.expect.ExpectTable;
import io.flowgate.conntrack.expect.HelpTable;
import io.flowgate.nativebindings.Memory;

/**
 * The FTP helper, Linux's {@code nf_conntrack_ftp} with {@code nf_nat_ftp} (IPv4 and IPv6; NAT and so
 * rewriting IPv4 only): reads the control
 * connection's commands and replies, expects the data connection they announce, and under NAT rewrites the
 * announced address and port to the translated ones.
 * <ul>
 * <li>Client to server: {@code PORT h1,h2,h3,h4,p1,p2} (RFC 959) and {@code EPRT |1|a.b.c.d|port|} (RFC 2428),
 * active mode: the server will connect back.</li>
 * <li>Server to client: {@code 227 ... h1,h2,h3,h4,p1,p2} (RFC 1123: the first number after "227 ") and
 * {@code 229 ... (|||port|)}, passive mode: the client will connect.</li>
 * </ul>
 * Only a segment that starts right after a newline the helper saw in that direction is parsed (the last two
 * such positions are remembered per direction), and only when both directions have been seen (ESTABLISHED). A
 * segment too short to tell whether it is a command (a prefix of "PORT" and nothing else, or a command whose
 * number is cut) is dropped, as Linux does, so that the sender retransmits it whole. An address that is not
 * the sender's own is not expected (Linux without {@code loose}).
 * <p>
 * The expectation: from the peer's address, any source port, to the address the peer sends to and the
 * announced port; at most one per control connection (a new one evicts the old), for five minutes. Under NAT
 * the port kept if this worker owns it and it is free, else another owned one ({@code nf_nat_exp_find_port});
 * the text is rewritten with the translated address and that port, the length change recorded for
 * {@link SeqAdjust}, and the data connection follows the master's NAT ({@code ExpectTable.follow}).
 * <p>
 * Thread-safety: one instance per worker; the worker only. Nothing allocates per packet.
 */
public final class FtpHelper
{
    public static final int ACCEPT = 0;
    public static final int DROP = 1;

    /** Linux's ftp expect policy: max_expected 1, timeout 5 minutes. */
    public static final int MAX_EXPECTED = 1;
    public static final int EXPECT_TIMEOUT_MS = 300_000;

    static final int TYPE_PORT = 0;
    static final int TYPE_PASV = 1;
    static final int TYPE_EPRT = 2;
    static final int TYPE_EPSV = 3;

    // helper words of the help slot: seq_aft_nl[dir][0..1] at WORDS + dir * 2, counts at WORDS + 4
    private static final int NL = HelpTable.WORDS;
    private static final int NL_COUNT = HelpTable.WORDS + 4;

    private static final byte[] PORT = {'P', 'O', 'R', 'T'};
    private static final byte[] EPRT = {'E', 'P', 'R', 'T'};
    private static final byte[] PASV = {'2', '2', '7', ' '};
    private static final byte[] EPSV = {'2', '2', '9', ' '};

    private final ExpectTable expect;
    private final HelpTable help;
    private final ConntrackTable table;
    private final int worker;
    private final int workers;
    private final CtKey tuple = new CtKey();
    private final byte[] text = new byte[64];
    private long random;

    // ---- the parse's results (one packet at a time) ----
    private int matchOffset;
    private int matchLength;
    private int cmdFamily;
    private long cmdHi;
    private long cmdLo;
    private final CtKey own = new CtKey();
    private int cmdPort;

    /** Length change of the last packet {@link #help} rewrote (0 when it did not). */
    private int lengthDelta;

    // ---- counters ----
    public long expected;
    public long rewritten;
    public long dropped;

    /**
     * @param worker  this worker
     * @param workers the workers: a translated data port must be one this worker owns ({@code p % workers == worker})
     */
    public FtpHelper(final ExpectTable expect, final int worker, final int workers, final long seed)
    {
        this.expect = expect;
        this.help = expect.help();
        this.table = expect.table();
        this.worker = worker;
        this.workers = Math.max(1, workers);
        this.random = seed == 0 ? 0x9E3779B97F4A7C15L : seed;
    }

    public int lengthDelta()
    {
        return lengthDelta;
    }

    /**
     * The helper for one packet of FTP control connection {@code idx} (status HELPER, help slot {@code base})
     * whose IP packet is at {@code ip}, its TCP segment at {@code tcp} ({@code tcpLength} bytes to the end of
     * the IP payload), {@code room} writable bytes after its end. Returns {@link #ACCEPT} or {@link #DROP};
     * {@link #lengthDelta()} then says how the packet's length changed.
     */
    public int help(final int idx, final int base, final int ctinfo, final long ip, final long tcp, final int tcpLength, final int room,
                    final int nowMs)
    {
        lengthDelta = 0;
        if (ctinfo != CtInfo.ESTABLISHED && ctinfo != CtInfo.ESTABLISHED_REPLY)
        {
            return ACCEPT; // until there has been traffic both ways, don't look in packets
        }
        final long record = table.record(idx);
        final int family = CtRecord.family(record);
        final int dir = CtInfo.direction(ctinfo);
        final int doff = (Memory.getUnsignedByte(tcp + 12) >>> 4) << 2;
        final int dataLength = tcpLength - doff;
        if (dataLength <= 0)
        {
            return ACCEPT;
        }
        final long data = tcp + doff;
        final boolean endsInNl = Memory.getUnsignedByte(data + dataLength - 1) == '\n';
        final int seq = Memory.getIntBE(tcp + 4);
        final int nextSeq = seq + dataLength;
        int verdict = ACCEPT;
        if (findNlSeq(base, dir, seq))
        {
            table.tuple(idx, dir, own);
            // EPSV names no address: the sender's own
            cmdFamily = family;
            cmdHi = own.srcHi;
            cmdLo = own.srcLo;
            int type = -1;
            int found = 0;
            if (dir == 0)
            {
                found = find(data, dataLength, PORT, ' ', TYPE_PORT);
                type = TYPE_PORT;
                if (found == 0)
                {
                    found = find(data, dataLength, EPRT, ' ', TYPE_EPRT);
                    type = TYPE_EPRT;
                }
            }
            else
            {
                found = find(data, dataLength, PASV, (byte)0, TYPE_PASV);
                type = TYPE_PASV;
                if (found == 0)
                {
                    found = find(data, dataLength, EPSV, '(', TYPE_EPSV);
                    type = TYPE_EPSV;
                }
            }
            if (found < 0)
            {
                dropped++;
                return DROP; // partial command: Linux drops it for accurate tracking (no nl update either)
            }
            if (found > 0 && cmdFamily == family && cmdHi == own.srcHi && cmdLo == own.srcLo)
            {
                verdict = expectData(idx, base, record, dir, type, ip, room, seq, nowMs);
            }
        }
        if (endsInNl)
        {
            updateNlSeq(base, dir, nextSeq);
        }
        return verdict;
    }

    /** The expectation, and under NAT the rewrite (nf_nat_ftp). */
    private int expectData(final int idx, final int base, final long record, final int dir, final int type, final long ip,
                           final int room, final int seq, final int nowMs)
    {
        table.tuple(idx, 1 - dir, tuple); // from the peer, to where the peer sends
        final int peerSendsTo = tuple.dst4();
        tuple.srcPort = 0;
        tuple.dstPort = cmdPort;
        tuple.protocol = 6;
        final int status = CtRecord.status(record);
        if ((status & CtStatus.NAT_MASK) == 0 || tuple.family != CtRecord.FAMILY_IPV4)
        {
            final int slot = expect.expect(idx, ExpectTable.CLASS_FTP, 0, tuple, true, false, 1 - dir, cmdPort, MAX_EXPECTED,
                EXPECT_TIMEOUT_MS, nowMs);
            if (slot < 0)
            {
                dropped++;
                return DROP; // can't expect this? best to drop the packet now
            }
            expected++;
            return ACCEPT;
        }
        // nf_nat_ftp: the connection will come from wherever this packet goes, hence !dir
        final int saved = cmdPort;
        final int slot = findPort(idx, saved, 1 - dir, nowMs);
        if (slot < 0)
        {
            dropped++;
            return DROP; // all ports in use
        }
        final int port = tuple.dstPort;
        final int length = format(type, peerSendsTo, port);
        final int diff = TcpMangle.mangle(ip, room, matchOffset, matchLength, text, length);
        if (diff == TcpMangle.FAILED)
        {
            expect.unexpect(slot);
            dropped++;
            return DROP; // cannot mangle packet
        }
        expected++;
        rewritten++;
        lengthDelta = diff;
        if (diff != 0)
        {
            help.seqadjSet(base, dir, seq, diff);
            if ((status & CtStatus.SEQ_ADJUST) == 0)
            {
                CtRecord.beginWrite(record);
                CtRecord.status(record, CtRecord.status(record) | CtStatus.SEQ_ADJUST);
                CtRecord.endWrite(record);
            }
        }
        return ACCEPT;
    }

    /**
     * {@code nf_nat_exp_find_port}: the announced port if this worker owns it and no other expectation has
     * it, else up to 128 others drawn at random above it (owned ones). Returns the expectation's slot, or
     * negative; the chosen port is left in {@code tuple.dstPort}.
     */
    private int findPort(final int idx, final int saved, final int expDir, final int nowMs)
    {
        final int min = Math.max(1, saved);
        final int range = 0xFFFF - min;
        int port = owned(min);
        for (int attempt = 0; attempt <= 128 && port <= 0xFFFF; attempt++)
        {
            tuple.dstPort = port;
            final int slot = expect.expect(idx, ExpectTable.CLASS_FTP, ExpectTable.FLAG_NAT_FOLLOW, tuple, true, false, expDir, saved,
                MAX_EXPECTED, EXPECT_TIMEOUT_MS, nowMs);
            if (slot != ExpectTable.BUSY)
            {
                return slot;
            }
            if (range <= 0)
            {
                break;
            }
            port = owned(min + (int)(nextRandom() % range));
            if (port > 0xFFFF)
            {
                port = owned(min);
            }
        }
        return ExpectTable.BUSY;
    }

    /** The first port at or above {@code p} that this worker owns. */
    private int owned(final int p)
    {
        if (workers == 1)
        {
            return p;
        }
        final int r = p % workers;
        return r == worker ? p : p + ((worker - r + workers) % workers);
    }

    private long nextRandom()
    {
        long x = random;
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        random = x;
        return x >>> 1;
    }

    /** nf_nat_ftp_fmt_cmd into {@link #text}: returns its length. */
    private int format(final int type, final int address, final int port)
    {
        int n = 0;
        switch (type)
        {
            case TYPE_PORT, TYPE_PASV ->
            {
                n = number(address >>> 24, n);
                text[n++] = ',';
                n = number(address >>> 16 & 0xFF, n);
                text[n++] = ',';
                n = number(address >>> 8 & 0xFF, n);
                text[n++] = ',';
                n = number(address & 0xFF, n);
                text[n++] = ',';
                n = number(port >>> 8, n);
                text[n++] = ',';
                n = number(port & 0xFF, n);
            }
            case TYPE_EPRT ->
            {
                text[n++] = '|';
                text[n++] = '1';
                text[n++] = '|';
                n = number(address >>> 24, n);
                text[n++] = '.';
                n = number(address >>> 16 & 0xFF, n);
                text[n++] = '.';
                n = number(address >>> 8 & 0xFF, n);
                text[n++] = '.';
                n = number(address & 0xFF, n);
                text[n++] = '|';
                n = number(port, n);
                text[n++] = '|';
            }
            default ->
            {
                text[n++] = '|';
                text[n++] = '|';
                text[n++] = '|';
                n = number(port, n);
                text[n++] = '|';
            }
        }
        return n;
    }

    private int number(final int value, final int at)
    {
        int n = at;
        if (value >= 10000)
        {
            text[n++] = (byte)('0' + value / 10000);
        }
        if (value >= 1000)
        {
            text[n++] = (byte)('0' + value / 1000 % 10);
        }
        if (value >= 100)
        {
            text[n++] = (byte)('0' + value / 100 % 10);
        }
        if (value >= 10)
        {
            text[n++] = (byte)('0' + value / 10 % 10);
        }
        text[n++] = (byte)('0' + value % 10);
        return n;
    }

    // ---- parsing (find_pattern and its number readers) ----

    /**
     * {@code find_pattern}: 1 when {@code data} starts with the pattern (case-insensitive) and its numbers
     * parse (then {@link #matchOffset}, {@link #matchLength}, the command's address and {@link #cmdPort} are set),
     * 0 when it is not this command, -1 when it is this command but cut or malformed.
     */
    private int find(final long data, final int length, final byte[] pattern, final int skip, final int type)
    {
        final int plen = pattern.length;
        if (length <= plen)
        {
            return startsWith(data, length, pattern, length) ? -1 : 0; // short packet: a partial command?
        }
        if (!startsWith(data, length, pattern, plen))
        {
            return 0;
        }
        int i = plen;
        if (skip != 0)
        {
            while (Memory.getUnsignedByte(data + i) != skip)
            {
                if (i == length - 1)
                {
                    return -1;
                }
                i++;
            }
            i++; // over the skip character
        }
        matchOffset = i;
        final int numbers = switch (type)
        {
            case TYPE_PORT -> rfc959(data + i, length - i, '\r');
            case TYPE_PASV -> rfc1123(data + i, length - i);
            case TYPE_EPRT -> eprt(data + i, length - i);
            default -> epsv(data + i, length - i);
        };
        if (numbers == 0)
        {
            return -1;
        }
        matchLength = numbers;
        return 1;
    }

    private static boolean startsWith(final long data, final int length, final byte[] pattern, final int n)
    {
        for (int k = 0; k < n && k < length; k++)
        {
            final int c = Memory.getUnsignedByte(data + k);
            final int upper = c >= 'a' && c <= 'z' ? c - 32 : c;
            if (upper != pattern[k])
            {
                return false;
            }
        }
        return true;
    }

    /** {@code try_number} for six numbers "h1,h2,h3,h4,p1,p2": the length read, 0 when malformed. term 0: any terminator. */
    private int rfc959(final long data, final int length, final int term)
    {
        int h1 = 0;
        int h2 = 0;
        int h3 = 0;
        int h4 = 0;
        int p1 = 0;
        int p2 = 0;
        int i = 0;
        int len = 0;
        for (; len < length && i < 6; len++)
        {
            final int c = Memory.getUnsignedByte(data + len);
            if (c >= '0' && c <= '9')
            {
                final int d = c - '0';
                switch (i)
                {
                    case 0 -> h1 = h1 * 10 + d;
                    case 1 -> h2 = h2 * 10 + d;
                    case 2 -> h3 = h3 * 10 + d;
                    case 3 -> h4 = h4 * 10 + d;
                    case 4 -> p1 = p1 * 10 + d;
                    default -> p2 = p2 * 10 + d;
                }
            }
            else if (c == ',')
            {
                i++;
            }
            else
            {
                if ((c == term || term == 0) && i == 5)
                {
                    cmdFamily = CtRecord.FAMILY_IPV4;
                    cmdHi = 0;
                    cmdLo = (h1 << 24 | h2 << 16 | h3 << 8 | h4) & 0xFFFF_FFFFL; // unchecked, as Linux's try_rfc959
                    cmdPort = (p1 << 8 | p2) & 0xFFFF;
                    return len;
                }
                return 0;
            }
        }
        return 0;
    }

    /** {@code try_rfc1123}: the six numbers start at the first digit (227 replies with or without parentheses). */
    private int rfc1123(final long data, final int length)
    {
        int i = 0;
        while (i < length && !isDigit(Memory.getUnsignedByte(data + i)))
        {
            i++;
        }
        if (i == length)
        {
            return 0;
        }
        matchOffset += i;
        return rfc959(data + i, length - i, 0);
    }

    /** {@code try_eprt}: "|1|a.b.c.d|port|", the length including the closing delimiter, 0 when malformed (IPv4 only). */
    private int eprt(final long data, final int length)
    {
        if (length <= 3)
        {
            return 0;
        }
        final int delim = Memory.getUnsignedByte(data);
        final int proto = Memory.getUnsignedByte(data + 1);
        if (isDigit(delim) || delim < 33 || delim > 126 || Memory.getUnsignedByte(data + 2) != delim ||
            proto != (cmdFamily == CtRecord.FAMILY_IPV6 ? '2' : '1'))
        {
            return 0;
        }
        if (proto == '2')
        {
            final int length6 = ipv6(data + 3, length - 3, delim);
            return length6 == 0 ? 0 : port(data, 3 + length6 + 1, length, delim);
        }
        int a = 0;
        int part = 0;
        int address = 0;
        int len = 3;
        boolean done = false;
        for (; len < length; len++)
        {
            final int c = Memory.getUnsignedByte(data + len);
            if (isDigit(c))
            {
                a = a * 10 + c - '0';
            }
            else if (c == '.' && part < 3)
            {
                address = address << 8 | (a & 0xFF);
                a = 0;
                part++;
            }
            else if (c == delim && part == 3)
            {
                address = address << 8 | (a & 0xFF);
                done = true;
                break;
            }
            else
            {
                return 0;
            }
        }
        if (!done)
        {
            return 0;
        }
        cmdFamily = CtRecord.FAMILY_IPV4;
        cmdHi = 0;
        cmdLo = address & 0xFFFF_FFFFL;
        return port(data, len + 1, length, delim);
    }

    /**
     * {@code in6_pton} up to {@code delim}: eight groups of hex digits, one "::" for a run of zero groups, the
     * last two groups possibly as a dotted IPv4 address. Sets the command address; returns the length read (the
     * delimiter excluded), 0 when malformed.
     */
    private int ipv6(final long text, final int length, final int delim)
    {
        long hi = 0;
        long lo = 0;
        int groups = 0;
        int gapAt = -1;
        final int[] g = groups6;
        int len = 0;
        int value = 0;
        int digits = 0;
        boolean afterColon = false;
        while (true)
        {
            final int c = len < length ? Memory.getUnsignedByte(text + len) : -1;
            final int hex = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (hex >= 0)
            {
                if (++digits > 4)
                {
                    return 0;
                }
                value = value << 4 | hex;
                len++;
                afterColon = false;
                continue;
            }
            if (c == '.' && digits > 0 && groups <= 6)
            {
                // a dotted IPv4 tail: re-read the last digits as decimal
                final int start = len - digits;
                int a = 0;
                int part = 0;
                int v4 = 0;
                int k = start;
                for (; k < length; k++)
                {
                    final int d = Memory.getUnsignedByte(text + k);
                    if (isDigit(d))
                    {
                        a = a * 10 + d - '0';
                        if (a > 255)
                        {
                            return 0;
                        }
                    }
                    else if (d == '.' && part < 3)
                    {
                        v4 = v4 << 8 | a;
                        a = 0;
                        part++;
                    }
                    else
                    {
                        break;
                    }
                }
                if (part != 3 || k >= length || Memory.getUnsignedByte(text + k) != delim)
                {
                    return 0;
                }
                v4 = v4 << 8 | a;
                g[groups++] = v4 >>> 16;
                g[groups++] = v4 & 0xFFFF;
                len = k;
                digits = 0;
                break;
            }
            final boolean afterGroup = digits > 0;
            if (afterGroup)
            {
                if (groups == 8)
                {
                    return 0;
                }
                g[groups++] = value;
                value = 0;
                digits = 0;
            }
            if (c == ':')
            {
                if (len + 1 < length && Memory.getUnsignedByte(text + len + 1) == ':')
                {
                    if (gapAt >= 0 || (len > 0 && !afterGroup))
                    {
                        return 0;
                    }
                    gapAt = groups;
                    len += 2;
                    afterColon = false;
                    continue;
                }
                if (!afterGroup)
                {
                    return 0; // a single ':' only separates two groups
                }
                len++;
                afterColon = true;
                continue;
            }
            if (c == delim && !(afterColon && !afterGroup))
            {
                break;
            }
            return 0;
        }
        if (len >= length || Memory.getUnsignedByte(text + len) != delim || (gapAt < 0 ? groups != 8 : groups > 7))
        {
            return 0;
        }
        final int zeros = 8 - groups;
        int out = 0;
        for (int k = 0; k < groups; k++)
        {
            if (k == gapAt)
            {
                out += zeros;
            }
            final long word = g[k] & 0xFFFFL;
            final int at = out++;
            if (at < 4)
            {
                hi |= word << (48 - 16 * at);
            }
            else
            {
                lo |= word << (48 - 16 * (at - 4));
            }
        }
        cmdFamily = CtRecord.FAMILY_IPV6;
        cmdHi = hi;
        cmdLo = lo;
        return len;
    }

    private final int[] groups6 = new int[8];

    /** {@code try_epsv_response}: "|||port|". */
    private int epsv(final long data, final int length)
    {
        if (length <= 3)
        {
            return 0;
        }
        final int delim = Memory.getUnsignedByte(data);
        if (isDigit(delim) || delim < 33 || delim > 126 || Memory.getUnsignedByte(data + 1) != delim ||
            Memory.getUnsignedByte(data + 2) != delim)
        {
            return 0;
        }
        return port(data, 3, length, delim);
    }

    /** {@code get_port}: digits up to the delimiter; the offset after it, 0 when malformed or port 0. */
    private int port(final long data, final int start, final int length, final int delim)
    {
        int p = 0;
        for (int i = start; i < length; i++)
        {
            final int c = Memory.getUnsignedByte(data + i);
            if (c == delim)
            {
                if (p == 0)
                {
                    return 0;
                }
                cmdPort = p;
                return i + 1;
            }
            if (!isDigit(c))
            {
                return 0;
            }
            p = (p * 10 + c - '0') & 0xFFFF;
        }
        return 0;
    }

    private static boolean isDigit(final int c)
    {
        return c >= '0' && c <= '9';
    }

    // ---- newline positions (find_nl_seq, update_nl_seq) ----

    private boolean findNlSeq(final int base, final int dir, final int seq)
    {
        final int[] s = help.slots;
        final int count = s[base + NL_COUNT] >>> (dir * 8) & 0xFF;
        for (int k = 0; k < count; k++)
        {
            if (s[base + NL + dir * 2 + k] == seq)
            {
                return true;
            }
        }
        return false;
    }

    /** Remembers {@code nlSeq} (the sequence after a newline), replacing the oldest of two unless it is older still. */
    private void updateNlSeq(final int base, final int dir, final int nlSeq)
    {
        final int[] s = help.slots;
        final int at = base + NL + dir * 2;
        final int count = s[base + NL_COUNT] >>> (dir * 8) & 0xFF;
        int oldest = -1;
        for (int k = 0; k < count; k++)
        {
            if (s[at + k] == nlSeq)
            {
                return;
            }
            if (oldest < 0 || HelpTable.before(s[at + k], s[at + oldest]))
            {
                oldest = k;
            }
        }
        if (count < 2)
        {
            s[at + count] = nlSeq;
            s[base + NL_COUNT] += 1 << (dir * 8);
        }
        else if (HelpTable.after(nlSeq, s[at + oldest]))
        {
            s[at + oldest] = nlSeq;
        }
    }
}
