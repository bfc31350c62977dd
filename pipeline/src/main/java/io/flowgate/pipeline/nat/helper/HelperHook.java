package io.flowgate.pipeline.nat.helper;

import io.flowgate.conntrack.Conntrack;
import io.flowgate.conntrack.ConntrackTable;
import io.flowgate.conntrack.CtInfo;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStatus;
import io.flowgate.conntrack.OffHeap;
import io.flowgate.conntrack.expect.ExpectTable;
import io.flowgate.conntrack.expect.HelpTable;
import io.flowgate.nativebindings.Memory;
import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.HookHandler;
import io.flowgate.pipeline.hook.Verdict;

/**
 * Conntrack helpers and sequence adjustment at the end of the hook chain, as Linux's {@code nf_confirm} runs
 * them (the helper, then {@code nf_ct_seq_adjust}, then confirmation): register at POSTROUTING and INPUT with
 * priority {@code HookPriority.CONNTRACK_HELPER} (300, after SNAT at 100, before confirmation at the last
 * priority).
 * <ul>
 * <li>Assignment: a NEW, unconfirmed IPv4 or IPv6 connection to one of the configured FTP ports (TCP) or TFTP ports
 * (UDP) gets that helper: the {@code HELPER} status bit and a {@link HelpTable} slot (Linux's automatic
 * assignment by port, the nft {@code ct helper set} of a ruleset).</li>
 * <li>Every packet of a helped connection goes through its helper ({@link FtpHelper}, {@link TftpHelper}); a
 * helper's DROP drops the packet; a rewrite that changed the length changes the mbuf's length too.</li>
 * <li>Every packet of a connection with {@code SEQ_ADJUST}, except RELATED_REPLY ones, then has its sequence
 * numbers shifted ({@link SeqAdjust}).</li>
 * </ul>
 * Connections without the HELPER or SEQ_ADJUST bits cost one status read per packet.
 * <p>
 * Thread-safety: the owning worker only.
 */
public final class HelperHook implements HookHandler
{
    public static final int IPPROTO_TCP = 6;
    public static final int IPPROTO_UDP = 17;

    private final Conntrack conntrack;
    private final ConntrackTable table;
    private final HelpTable help;
    private final FtpHelper ftp;
    private final TftpHelper tftp;
    private final int[] ftpPorts;
    private final int[] tftpPorts;

    /** Packets a helper or the sequence adjustment dropped. */
    public long dropped;
    /** FTP packets in several mbuf segments, left unparsed. */
    public long nonLinear;

    /**
     * @param ftpPorts  server ports of FTP control connections (Linux's default: 21); empty: no FTP helper
     * @param tftpPorts server ports of TFTP (default 69); empty: no TFTP helper
     */
    public HelperHook(final Conntrack conntrack, final ExpectTable expectations, final int worker, final int workers,
                      final int[] ftpPorts, final int[] tftpPorts, final long seed)
    {
        this.conntrack = conntrack;
        this.table = conntrack.table();
        this.help = expectations.help();
        this.ftp = new FtpHelper(expectations, worker, workers, seed);
        this.tftp = new TftpHelper(expectations);
        this.ftpPorts = ftpPorts.clone();
        this.tftpPorts = tftpPorts.clone();
    }

    public FtpHelper ftp()
    {
        return ftp;
    }

    public TftpHelper tftp()
    {
        return tftp;
    }

    @Override
    public void process(final Hook hook, final PacketBurst burst, final int[] packets, final int count, final int[] verdicts)
    {
        for (int k = 0; k < count; k++)
        {
            final int i = packets[k];
            verdicts[i] = one(burst, i);
        }
    }

    /**
     * The hook for packet {@code i} of {@code burst} alone: assignment, helper, sequence adjustment; returns its
     * verdict. For a fused forwarding pass that calls the NAT source manip per packet ({@code NatHook.one}):
     * call this after it and before confirmation.
     */
    public int one(final PacketBurst burst, final int i)
    {
        final int idx = burst.ct[i];
        final long ip = burst.l3[i];
        if (idx < 0 || ip == 0)
        {
            return Verdict.ACCEPT;
        }
        final long record = table.record(idx);
        int status = CtRecord.status(record);
        final int ctinfo = burst.ctinfo[i];
        if ((status & (CtStatus.HELPER | CtStatus.CONFIRMED)) == 0 && ctinfo == CtInfo.NEW)
        {
            status = assign(idx, record, status);
        }
        if ((status & (CtStatus.HELPER | CtStatus.SEQ_ADJUST)) == 0)
        {
            return Verdict.ACCEPT;
        }
        final long mbuf = burst.mbufs.mbuf(i);
        if (!packet(idx, record, status, ctinfo, ip, mbuf, conntrack.clockMs()))
        {
            dropped++;
            return Verdict.DROP;
        }
        if (mbuf != 0)
        {
            burst.length[i] = Mbuf.dataLength(mbuf);
        }
        return Verdict.ACCEPT;
    }

    /**
     * The helper and the sequence adjustment for one IPv4 packet at {@code ip} whose buffer is {@code mbuf} (0:
     * none, in tests: no room to grow). Returns false to drop it. Public for tests and for callers without a burst.
     */
    public boolean packet(final int idx, final long record, final int status, final int ctinfo, final long ip, final long mbuf,
                          final int nowMs)
    {
        final long l4 = l4(ip);
        if (l4 == 0 || l4Protocol != CtRecord.protocol(record))
        {
            return true; // an ICMP error RELATED to the connection, or an IPv6 fragment: helpers read only their own protocol
        }
        final int l4Length = l4End - (int)(l4 - ip);
        if ((status & CtStatus.HELPER) != 0)
        {
            final int base = help.find(idx);
            if (base != HelpTable.NONE)
            {
                final int helper = help.slots[base + HelpTable.HELPER];
                if (helper == HelpTable.HELPER_FTP && mbuf != 0 && Mbuf.segments(mbuf) > 1)
                {
                    nonLinear++; // a control command split over mbuf segments: not parsed (Linux linearizes; never seen on a control connection)
                }
                else if (helper == HelpTable.HELPER_FTP)
                {
                    final int room = mbuf == 0 ? roomForTests : Mbuf.tailroom(mbuf);
                    if (ftp.help(idx, base, ctinfo, ip, l4, l4Length, room, nowMs) != FtpHelper.ACCEPT)
                    {
                        return false;
                    }
                    final int delta = ftp.lengthDelta();
                    if (delta != 0 && mbuf != 0)
                    {
                        Mbuf.length(mbuf, Mbuf.dataLength(mbuf) + delta);
                    }
                }
                else if (helper == HelpTable.HELPER_TFTP && tftp.help(idx, l4, l4Length, nowMs) != TftpHelper.ACCEPT)
                {
                    return false;
                }
            }
        }
        if ((CtRecord.status(record) & CtStatus.SEQ_ADJUST) != 0 && ctinfo != CtInfo.RELATED_REPLY &&
            CtRecord.protocol(record) == IPPROTO_TCP)
        {
            final int base = help.find(idx);
            if (base != HelpTable.NONE)
            {
                return SeqAdjust.adjust(l4, CtInfo.direction(ctinfo), help, base);
            }
        }
        return true;
    }

    private int l4Protocol;
    private int l4End;

    /**
     * The transport header of the IPv4 or IPv6 packet at {@code ip} (IPv6: after hop-by-hop, routing and
     * destination options headers), with its protocol in {@link #l4Protocol} and the IP payload's end (from
     * {@code ip}) in {@link #l4End}; 0 for a fragment or anything else.
     */
    private long l4(final long ip)
    {
        final int version = OffHeap.getUnsignedByte(ip) >>> 4;
        if (version == 4)
        {
            l4Protocol = OffHeap.getUnsignedByte(ip + 9);
            l4End = Memory.getShortBE(ip + 2);
            return ip + ((OffHeap.getUnsignedByte(ip) & 0x0F) << 2);
        }
        if (version != 6)
        {
            return 0;
        }
        l4End = 40 + Memory.getShortBE(ip + 4);
        int next = OffHeap.getUnsignedByte(ip + 6);
        int offset = 40;
        for (int n = 0; n < 8 && (next == 0 || next == 43 || next == 60); n++)
        {
            if (offset + 8 > l4End)
            {
                return 0;
            }
            next = OffHeap.getUnsignedByte(ip + offset);
            offset += (OffHeap.getUnsignedByte(ip + offset + 1) + 1) << 3;
        }
        if (offset > l4End)
        {
            return 0;
        }
        l4Protocol = next;
        return ip + offset;
    }

    /** Writable bytes after the packet when there is no mbuf ({@link #packet} with mbuf 0). */
    public int roomForTests = 256;

    private int assign(final int idx, final long record, final int status)
    {
        final int protocol = CtRecord.protocol(record);
        final int dport = OffHeap.getUnsignedShort(record + CtRecord.ORIG_DST_PORT_OFFSET);
        int helper = 0;
        if (protocol == IPPROTO_TCP && contains(ftpPorts, dport))
        {
            helper = HelpTable.HELPER_FTP;
        }
        else if (protocol == IPPROTO_UDP && contains(tftpPorts, dport))
        {
            helper = HelpTable.HELPER_TFTP;
        }
        if (helper == 0 || help.attach(idx, helper) == HelpTable.NONE)
        {
            return status;
        }
        final int helped = status | CtStatus.HELPER;
        CtRecord.status(record, helped); // unconfirmed: no reader sees the record yet
        return helped;
    }

    private static boolean contains(final int[] ports, final int port)
    {
        for (int k = 0; k < ports.length; k++)
        {
            if (ports[k] == port)
            {
                return true;
            }
        }
        return false;
    }
}
