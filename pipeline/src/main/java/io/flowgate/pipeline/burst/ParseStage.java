package io.flowgate.pipeline.burst;

import io.flowgate.nativebindings.dpdk.Mbuf;
import io.flowgate.pipeline.hook.Verdict;
import io.flowgate.pmd.header.EthernetFlyweight;

/**
 * The first stage after receive: fills the burst's per-packet arrays from the mbufs (frame address and
 * length, EtherType after up to two VLAN tags, network header address, input port) and resets the
 * decisions of later stages. Frames shorter than an Ethernet header are marked DROP with
 * {@link #REASON_RUNT}.
 */
public final class ParseStage
{
    public static final int REASON_RUNT = 1;

    private ParseStage()
    {
    }

    public static void run(final PacketBurst burst)
    {
        final int n = burst.count();
        final long[] frame = burst.frame;
        final int[] length = burst.length;
        for (int i = 0; i < n; i++)
        {
            final long m = burst.mbuf(i);
            frame[i] = Mbuf.data(m);
            length[i] = Mbuf.dataLength(m);
            burst.inPort[i] = Mbuf.port(m);
        }
        // Measured 2026-11-23 (JFR, flowgate run on net_pcap -> net_null): this stage was half of the
        // worker's samples with a VLAN walk and a second EtherType read per packet; untagged frames,
        // the common case, now take one read of the EtherType.
        for (int i = 0; i < n; i++)
        {
            burst.outPort[i] = -1;
            burst.nextHop[i] = -1;
            burst.flowHash[i] = 0;
            if (length[i] < EthernetFlyweight.HEADER_LENGTH + 4)
            {
                burst.verdict[i] = Verdict.DROP;
                burst.reason[i] = REASON_RUNT;
                burst.etherType[i] = 0;
                burst.l3[i] = 0;
                continue;
            }
            final int type = EthernetFlyweight.getEtherType(frame[i]);
            final int offset;
            if (EthernetFlyweight.isVlanEtherType(type))
            {
                offset = EthernetFlyweight.payloadOffset(frame[i]);
                burst.etherType[i] = EthernetFlyweight.payloadEtherType(frame[i]);
            }
            else
            {
                offset = EthernetFlyweight.HEADER_LENGTH;
                burst.etherType[i] = type;
            }
            burst.verdict[i] = Verdict.ACCEPT;
            burst.reason[i] = 0;
            burst.l3[i] = offset < length[i] ? frame[i] + offset : 0;
        }
    }
}
