package io.flowgate.conntrack.tcp;

import io.flowgate.conntrack.CtInfo;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStatus;
import io.flowgate.conntrack.OffHeap;

import java.lang.foreign.Arena;

/**
 * Test rig: one 128-byte record and one TCP header buffer off heap, and the caller's side of the tracker as
 * Linux's nf_conntrack_in plays it (error, new on the first packet, packet, then SEEN_REPLY / ASSURED / kill).
 */
final class TcpWire implements AutoCloseable
{
    static final int FIN = TcpTracker.TH_FIN;
    static final int SYN = TcpTracker.TH_SYN;
    static final int RST = TcpTracker.TH_RST;
    static final int PSH = TcpTracker.TH_PSH;
    static final int ACK = TcpTracker.TH_ACK;
    static final int URG = TcpTracker.TH_URG;
    static final int ECE = TcpTracker.TH_ECE;
    static final int CWR = TcpTracker.TH_CWR;

    static final int ORIG = 0;
    static final int REPLY = 1;

    /** Verdict the rig reports when tcp_error or tcp_new refused the packet. */
    static final int REFUSED = -100;

    private final Arena arena = Arena.ofConfined();
    final long record;
    final long th;
    final TcpTracker tracker;
    final TcpResult out = new TcpResult();
    int status;
    boolean created;
    boolean killed;
    int lastError;

    TcpWire(final TcpTrackerConfig config)
    {
        record = arena.allocate(CtRecord.SIZE, 64).address();
        th = arena.allocate(128, 8).address();
        OffHeap.fill(record, CtRecord.SIZE, (byte)0);
        tracker = new TcpTracker(config);
    }

    TcpWire()
    {
        this(TcpTrackerConfig.DEFAULT);
    }

    /** Writes a TCP header (ports 1234 -> 80) with these options; returns its length (header only). */
    int header(final int flags, final int seq, final int ack, final int win, final byte[] options)
    {
        final int optLen = (options.length + 3) & ~3;
        final int hdrLen = 20 + optLen;
        OffHeap.fill(th, 128, (byte)0);
        OffHeap.putShort(th, Short.reverseBytes((short)1234));
        OffHeap.putShort(th + 2, Short.reverseBytes((short)80));
        OffHeap.putInt(th + 4, Integer.reverseBytes(seq));
        OffHeap.putInt(th + 8, Integer.reverseBytes(ack));
        OffHeap.putByte(th + 12, (hdrLen / 4) << 4);
        OffHeap.putByte(th + 13, flags);
        OffHeap.putShort(th + 14, Short.reverseBytes((short)win));
        for (int i = 0; i < options.length; i++)
        {
            OffHeap.putByte(th + 20 + i, options[i]);
        }
        return hdrLen;
    }

    int send(final int dir, final int flags, final int seq, final int ack, final int win, final int payload)
    {
        return send(dir, flags, seq, ack, win, payload, new byte[0]);
    }

    /** One packet through the tracker as nf_conntrack_in would drive it; returns the verdict. */
    int send(final int dir, final int flags, final int seq, final int ack, final int win, final int payload,
        final byte[] options)
    {
        final int segLen = header(flags, seq, ack, win, options) + payload;
        lastError = tracker.error(th, segLen);
        if (lastError != 0)
        {
            return REFUSED;
        }
        final boolean first = !created;
        if (first)
        {
            if (dir != ORIG || !tracker.newConnection(record, th, segLen))
            {
                return REFUSED;
            }
            created = true;
        }
        final int ctinfo = dir == REPLY ? CtInfo.ESTABLISHED_REPLY : (status & CtStatus.SEEN_REPLY) != 0 ? CtInfo.ESTABLISHED : CtInfo.NEW;
        final int verdict = tracker.packet(record, dir, ctinfo, status, th, segLen, out);
        if (verdict == TcpTracker.ACCEPT)
        {
            if (out.assured)
            {
                status |= CtStatus.ASSURED;
            }
            if (dir == REPLY)
            {
                status |= CtStatus.SEEN_REPLY;
            }
        }
        else if (first)
        {
            // An unconfirmed entry whose first packet is refused goes away with it.
            created = false;
        }
        if (out.kill)
        {
            killed = true;
        }
        return verdict;
    }

    int state()
    {
        return TcpRecord.state(record);
    }

    static byte[] wscale(final int shift)
    {
        return new byte[] {1, 3, 3, (byte)shift};
    }

    static byte[] wscaleSackPerm(final int shift)
    {
        return new byte[] {1, 3, 3, (byte)shift, 4, 2, 1, 1};
    }

    static byte[] sackPerm()
    {
        return new byte[] {4, 2, 1, 1};
    }

    /** One SACK block [left, right). */
    static byte[] sack(final int left, final int right)
    {
        return new byte[] {1, 1, 5, 10,
            (byte)(left >>> 24), (byte)(left >>> 16), (byte)(left >>> 8), (byte)left,
            (byte)(right >>> 24), (byte)(right >>> 16), (byte)(right >>> 8), (byte)right};
    }

    @Override
    public void close()
    {
        arena.close();
    }
}
