package io.flowgate.pipeline.conntrack;

import io.flowgate.conntrack.Conntrack;
import io.flowgate.conntrack.ConntrackTable;
import io.flowgate.conntrack.CtKey;
import io.flowgate.conntrack.CtInfo;
import io.flowgate.conntrack.CtPacket;
import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.HookHandler;
import io.flowgate.pipeline.hook.Verdict;
import io.flowgate.pipeline.nat.Handoff;
import io.flowgate.pipeline.nat.NatOwnership;
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
    /** A {@code refs} value: the packet went to the worker that owns its connection. */
    private static final int HANDED_OFF = -3;

    private final Conntrack conntrack;
    private final CtPacketParser parser;
    private final CtClock clock;
    private final int zone;
    // Per-burst scratch, sized once for the burst (a hook run never sees more packets than its burst holds).
    private final CtPacket[] facts;
    private final CtKey[] keys;
    private final int[] refs;
    private final int[] tracked;
    private final CtKey[] lookupKeys;
    private final int[] lookupOf;
    private final int[] lookupRefs;
    private final CtKey errorKey = new CtKey();
    private NatOwnership ownership;
    private Handoff handoff;

    public ConntrackHook(final Conntrack conntrack, final boolean checksum, final CtClock clock, final int zone, final int burstSize)
    {
        this.conntrack = conntrack;
        this.parser = new CtPacketParser(checksum);
        this.clock = clock;
        this.zone = zone;
        this.facts = new CtPacket[burstSize];
        this.keys = new CtKey[burstSize];
        this.refs = new int[burstSize];
        this.tracked = new int[burstSize];
        this.lookupKeys = new CtKey[burstSize];
        this.lookupOf = new int[burstSize];
        this.lookupRefs = new int[ConntrackTable.MAX_BURST];
        for (int k = 0; k < facts.length; k++)
        {
            facts[k] = new CtPacket();
        }
    }

    /**
     * With several workers and NAT: a packet that misses this worker's table and belongs to another worker's
     * connection ({@link NatOwnership}) is handed to that worker ({@link Handoff}) before anything else sees it:
     * STOLEN here.
     */
    public void ownership(final NatOwnership ownership, final Handoff handoff)
    {
        this.ownership = ownership;
        this.handoff = handoff;
    }

    public Conntrack conntrack()
    {
        return conntrack;
    }

    /**
     * {@code burst.ct} of a packet the rule engine's {@code notrack} marked before conntrack ran (its ctinfo is
     * UNTRACKED already): conntrack leaves it without entry. Only that statement writes it; this hook clears it.
     */
    public static final int NOTRACK = -2;

    @Override
    public void process(final Hook hook, final PacketBurst burst, final int[] packets, final int count, final int[] verdicts)
    {
        final Conntrack ct = conntrack;
        ct.endBurst(); // every packet of the previous run has left the hooks by now
        final int nowMs = clock.nowMs();
        final long[] l3 = burst.l3;
        final long[] frame = burst.frame;
        final int[] length = burst.length;
        final int[] etherType = burst.etherType;
        final CtPacket[] facts = this.facts;
        final CtKey[] keys = this.keys;
        final int[] refs = this.refs;
        // Stage 1: every packet's facts and tuple.
        int m = 0;
        for (int k = 0; k < count; k++)
        {
            final int i = packets[k];
            final long ip = l3[i];
            final int type = etherType[i];
            if (burst.ct[i] == NOTRACK)
            {
                // The rule engine's notrack (a raw chain before conntrack): no entry, as nf_conntrack_in skips a
                // template-less skb that already carries IP_CT_UNTRACKED.
                burst.ct[i] = -1;
                verdicts[i] = Verdict.ACCEPT;
                continue;
            }
            if (ip != 0 && (type == EthernetFlyweight.ETHER_TYPE_IPV4 || type == EthernetFlyweight.ETHER_TYPE_IPV6))
            {
                final CtPacket p = facts[m];
                final int segmentBytes = length[i] - (int)(ip - frame[i]);
                if (type == EthernetFlyweight.ETHER_TYPE_IPV4)
                {
                    parser.ipv4(ip, segmentBytes, zone, p);
                }
                else
                {
                    parser.ipv6(ip, segmentBytes, zone, p);
                }
                tracked[m] = i;
                if (p.status == CtPacket.OK && !p.icmpError)
                {
                    keys[m] = p.key;
                    refs[m] = 0;
                }
                else
                {
                    keys[m] = null;
                    refs[m] = Conntrack.LOOKUP;
                }
                m++;
            }
            else
            {
                burst.ct[i] = -1;
                burst.ctinfo[i] = CtInfo.UNTRACKED;
                verdicts[i] = Verdict.ACCEPT;
            }
        }
        // Stage 2: the index lookups of the whole burst at once, so that their cache misses overlap.
        int looked = 0;
        for (int j = 0; j < m; j++)
        {
            if (keys[j] != null)
            {
                lookupKeys[looked] = keys[j];
                lookupOf[looked++] = j;
            }
        }
        for (int from = 0; from < looked; from += ConntrackTable.MAX_BURST)
        {
            final int n = Math.min(ConntrackTable.MAX_BURST, looked - from);
            if (from > 0)
            {
                System.arraycopy(lookupKeys, from, lookupKeys, 0, n); // later chunks (bursts above MAX_BURST): to the front
            }
            ct.table().lookupBurst(lookupKeys, n, nowMs, lookupRefs);
            for (int l = 0; l < n; l++)
            {
                refs[lookupOf[from + l]] = lookupRefs[l];
            }
        }
        if (ownership != null && !burst.handedIn)
        {
            handOff(burst, m, nowMs, verdicts);
        }
        // Stage 3: the trackers, in packet order.
        final int[] ctOut = burst.ct;
        final int[] ctinfoOut = burst.ctinfo;
        for (int j = 0; j < m; j++)
        {
            final int i = tracked[j];
            if (refs[j] == HANDED_OFF)
            {
                ctOut[i] = -1;
                ctinfoOut[i] = CtInfo.UNTRACKED;
                continue;
            }
            final int ctinfo = ct.in(facts[j], nowMs, refs[j]);
            ctOut[i] = ct.index();
            ctinfoOut[i] = ctinfo;
            verdicts[i] = ct.drop() ? Verdict.DROP : Verdict.ACCEPT;
        }
    }

    /** Stage 2b: the packets that missed this table and belong to another worker leave for it (STOLEN). */
    private void handOff(final PacketBurst burst, final int m, final int nowMs, final int[] verdicts)
    {
        final int self = handoff.worker();
        for (int j = 0; j < m; j++)
        {
            final CtPacket p = facts[j];
            final CtKey key;
            if (keys[j] != null)
            {
                if (refs[j] != ConntrackTable.NONE)
                {
                    continue;
                }
                key = keys[j];
            }
            else if (p.status == CtPacket.OK && p.icmpError && Conntrack.invert(p.inner, errorKey)
                && !conntrack.table().taken(errorKey, nowMs))
            {
                key = errorKey; // an ICMP error: its connection is the one of the packet it quotes
            }
            else
            {
                continue;
            }
            final int owner = ownership.owner(key);
            if (owner != self)
            {
                final int i = tracked[j];
                handoff.stage(owner, burst.mbufs.mbuf(i));
                verdicts[i] = Verdict.STOLEN;
                refs[j] = HANDED_OFF;
            }
        }
    }
}
