package io.flowgate.pipeline.conntrack;

import io.flowgate.conntrack.Conntrack;
import io.flowgate.conntrack.CtInfo;
import io.flowgate.conntrack.CtPacket;
import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.HookHandler;
import io.flowgate.pipeline.hook.Verdict;
import io.flowgate.pmd.header.EthernetFlyweight;

/**
 * Linux's {@code ipv4_conntrack_in} / {@code ipv6_conntrack_in} at PREROUTING (priority CONNTRACK, -200):
 * each packet's facts are taken ({@link CtPacketParser}) and handed to the worker's {@link Conntrack}; the
 * entry and ctinfo land in the burst's {@code ct}/{@code ctinfo} arrays for the later hooks, the rule
 * engine ({@code ct state}, {@code ct status}, {@code ct mark}) and NAT. Every packet is accepted, invalid
 * ones too (Linux leaves dropping them to the ruleset), except when no entry could be created for lack of
 * room (NF_DROP, counted as {@code drop}).
 * <p>
 * Registered at OUTPUT as well, for packets the worker itself originates through the hooks.
 * <p>
 * Thread-safety: the owning worker only.
 */
public final class ConntrackHook implements HookHandler
{
    private final Conntrack conntrack;
    private final CtPacketParser parser;
    private final CtClock clock;
    private final CtPacket packet = new CtPacket();
    private final int zone;

    public ConntrackHook(final Conntrack conntrack, final boolean checksum, final CtClock clock, final int zone)
    {
        this.conntrack = conntrack;
        this.parser = new CtPacketParser(checksum);
        this.clock = clock;
        this.zone = zone;
    }

    public Conntrack conntrack()
    {
        return conntrack;
    }

    @Override
    public void process(final Hook hook, final PacketBurst burst, final int[] packets, final int count, final int[] verdicts)
    {
        final Conntrack ct = conntrack;
        ct.endBurst(); // every packet of the previous run has left the hooks by now
        final int nowMs = clock.nowMs();
        final CtPacket p = packet;
        final long[] l3 = burst.l3;
        final long[] frame = burst.frame;
        final int[] length = burst.length;
        final int[] etherType = burst.etherType;
        final int[] ctOut = burst.ct;
        final int[] ctinfoOut = burst.ctinfo;
        for (int k = 0; k < count; k++)
        {
            final int i = packets[k];
            final long ip = l3[i];
            final int type = etherType[i];
            int ctinfo = CtInfo.UNTRACKED;
            int index = -1;
            int verdict = Verdict.ACCEPT;
            if (ip != 0 && (type == EthernetFlyweight.ETHER_TYPE_IPV4 || type == EthernetFlyweight.ETHER_TYPE_IPV6))
            {
                final int segmentBytes = length[i] - (int)(ip - frame[i]);
                if (type == EthernetFlyweight.ETHER_TYPE_IPV4)
                {
                    parser.ipv4(ip, segmentBytes, zone, p);
                }
                else
                {
                    parser.ipv6(ip, segmentBytes, zone, p);
                }
                ctinfo = ct.in(p, nowMs);
                index = ct.index();
                if (ct.drop())
                {
                    verdict = Verdict.DROP;
                }
            }
            ctOut[i] = index;
            ctinfoOut[i] = ctinfo;
            verdicts[i] = verdict;
        }
    }
}
