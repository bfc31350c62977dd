package io.flowgate.pipeline.nat;

import io.flowgate.conntrack.Conntrack;
import io.flowgate.conntrack.ConntrackTable;
import io.flowgate.conntrack.CtInfo;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStatus;
import io.flowgate.conntrack.OffHeap;
import io.flowgate.conntrack.expect.ExpectTable;
import io.flowgate.conntrack.expect.NatFollow;
import io.flowgate.conntrack.nat.NatBinder;
import io.flowgate.conntrack.nat.NatMappings;
import io.flowgate.conntrack.nat.NatRange;
import io.flowgate.conntrack.nat.NatStats;
import io.flowgate.nativebindings.Memory;
import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.hook.Hook;
import io.flowgate.pipeline.hook.HookHandler;
import io.flowgate.pipeline.hook.Verdict;
import io.flowgate.pmd.header.EthernetFlyweight;

/**
 * Linux's {@code nf_nat_inet_fn} at one manip: {@link NatRewriter#MANIP_DST} at PREROUTING (-100),
 * {@link NatRewriter#MANIP_SRC} at POSTROUTING (100). For the first packet of a connection it decides the
 * translation (static mapping, the rules in order, endpoint-independent filtering, else the null binding);
 * for every packet of a translated connection it rewrites the packet from the entry's tuples; ICMP errors
 * RELATED to a translated connection are translated with their embedded packet.
 * <p>
 * Thread-safety: the owning worker only. Allocation-free.
 */
public final class NatHook implements HookHandler
{
    private final int manip;
    private final ConntrackTable table;
    private final NatBinder binder;
    private final NatPolicy policy;
    private final NatStats stats;
    /** The status bit that says this manip translates the original direction (the reply's is the other one). */
    private final int natBit;
    private final NatFollow follow = new NatFollow();
    private ExpectTable expectations;
    private RulesetNat rulesetNat;

    /**
     * The nat chains of an nftables ruleset (the rule engine): decide a connection's translation at its first packet
     * as {@code nf_nat_inet_fn} runs the nat base chains of the hook in priority order until one binds.
     */
    public interface RulesetNat
    {
        /** A chain bound the connection (binder.setup ran and succeeded). */
        int BOUND = 1;
        /** No chain bound it: the rest of the decision (none configured: the null binding). */
        int NONE = 0;
        /** A chain dropped the packet, or the binding failed (no free tuple). */
        int DROP = -1;

        int decide(int manip, PacketBurst burst, int i, int index, NatBinder binder);
    }

    /** The rule engine's nat chains on this worker (exclusive with the configuration's NAT rules). */
    public void rulesetNat(final RulesetNat rulesetNat)
    {
        this.rulesetNat = rulesetNat;
    }

    public NatHook(final int manip, final Conntrack conntrack, final NatBinder binder, final NatPolicy policy)
    {
        this.manip = manip;
        this.table = conntrack.table();
        this.binder = binder;
        this.policy = policy;
        this.stats = binder.stats();
        this.natBit = manip == NatRewriter.MANIP_SRC ? CtStatus.SRC_NAT : CtStatus.DST_NAT;
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
     * The hook for packet {@code i} alone: decides (first packet) and rewrites; returns its verdict (DROP only
     * when no tuple was free). The worker's fused forwarding pass calls it for established traffic.
     */
    public int one(final PacketBurst burst, final int i)
    {
        final int idx = burst.ct[i];
        if (idx < 0 || burst.etherType[i] != EthernetFlyweight.ETHER_TYPE_IPV4)
        {
            return Verdict.ACCEPT;
        }
        final int info = burst.ctinfo[i];
        final long record = table.record(idx);
        if ((info == CtInfo.NEW || info == CtInfo.RELATED) && !NatBinder.initialized(record, manip) && !decide(burst, i, idx, record))
        {
            return Verdict.DROP;
        }
        final int dir = info == CtInfo.ESTABLISHED_REPLY || info == CtInfo.RELATED_REPLY ? 1 : 0;
        if ((CtRecord.status(record) & (dir == 0 ? natBit : natBit ^ CtStatus.NAT_MASK)) == 0)
        {
            return Verdict.ACCEPT;
        }
        // nf_nat_manip_pkt: the packet takes the address and port of the other direction's tuple, inverted. An ICMP
        // error (nf_nat_icmp_reply_translation) takes them in its outer header and gives the packet it quotes, which
        // went the other way, the same values at the opposite manip.
        final long other = CtRecord.tuple(record, 1 - dir);
        final boolean icmp = CtRecord.protocol(record) == Conntrack.IPPROTO_ICMP;
        final int address = OffHeap.getInt(other + (manip == NatRewriter.MANIP_SRC ? 4 : 0));
        final int port = OffHeap.getUnsignedShort(other + (icmp || manip == NatRewriter.MANIP_DST ? 8 : 10)); // ICMP: the identifier, "source port" of both tuples
        final long ip = burst.l3[i];
        final int available = burst.length[i] - (int)(ip - burst.frame[i]);
        if ((info == CtInfo.RELATED || info == CtInfo.RELATED_REPLY) && Memory.getUnsignedByte(ip + 9) == Conntrack.IPPROTO_ICMP
            && NatRewriter.isError(Memory.getUnsignedByte(ip + ((Memory.getUnsignedByte(ip) & 0x0F) << 2))))
        {
            NatRewriter.icmpError(ip, available, manip, address, port);
            stats.icmpErrorsTranslated++;
        }
        else
        {
            NatRewriter.manip(ip, available, manip, address, port);
        }
        return Verdict.ACCEPT;
    }

    /** The first packet of a connection at this manip: the translation is decided here, once. False: drop (no free tuple). */
    private boolean decide(final PacketBurst burst, final int i, final int idx, final long record)
    {
        final int proto = CtRecord.protocol(record);
        final int src = OffHeap.getInt(record + CtRecord.ORIG_SRC_OFFSET);
        // The tuple as it is now: a destination manip (PREROUTING) may already have moved the destination.
        final int dst = OffHeap.getInt(record + CtRecord.REPLY_SRC_OFFSET);
        final int sport = OffHeap.getUnsignedShort(record + CtRecord.ORIG_SRC_PORT_OFFSET);
        final int dport = proto == Conntrack.IPPROTO_ICMP ? 0 : OffHeap.getUnsignedShort(record + CtRecord.REPLY_SRC_PORT_OFFSET);
        final int in = burst.inPort[i];
        if ((CtRecord.status(record) & CtStatus.EXPECTED) != 0 && expectations != null && expectations.follow(idx, follow))
        {
            // nf_nat_follow_master: a helper's expected connection goes where the (translated) announcement said.
            return manip == NatRewriter.MANIP_DST
                ? binder.setup(idx, NatBinder.MANIP_DST, NatRange.MAP_IPS | NatRange.PROTO_SPECIFIED, follow.dstAddress, follow.dstAddress,
                    follow.dstPort, follow.dstPort, false)
                : binder.setup(idx, NatBinder.MANIP_SRC, NatRange.MAP_IPS, follow.srcAddress, follow.srcAddress, 0, 0,
                    follow.srcAddress != (int)OffHeap.getInt(record + CtRecord.ORIG_SRC_OFFSET)); // a translated source: a port this worker owns
        }
        final RulesetNat rules = rulesetNat;
        if (rules != null)
        {
            final int decided = rules.decide(manip, burst, i, idx, binder);
            if (decided != RulesetNat.NONE)
            {
                return decided == RulesetNat.BOUND;
            }
        }
        if (manip == NatRewriter.MANIP_DST)
        {
            for (final NatPolicy.Mapping m : policy.mappings)
            {
                if (((dst ^ m.outside) & ~m.hostMask) == 0)
                {
                    return binder.setup(idx, NatBinder.MANIP_DST, NatRange.MAP_IPS | NatRange.NETMAP, m.inside, m.inside | m.hostMask, 0, 0,
                        false);
                }
            }
            for (final NatPolicy.Rule r : policy.destinationRules)
            {
                if (r.matches(in, -1, false, proto, src, dst, sport, dport))
                {
                    return binder.setup(idx, NatBinder.MANIP_DST, r.flags, r.minAddress, r.maxAddress, r.minPort, r.maxPort, false);
                }
            }
            if (policy.endpointIndependentFiltering && NatRewriter.hasPorts(proto))
            {
                final long inside = binder.insideOf(proto, dst, dport);
                if (inside != NatMappings.NONE)
                {
                    stats.filterAdmitted++;
                    final int address = NatMappings.address(inside);
                    final int port = NatMappings.port(inside);
                    return binder.setup(idx, NatBinder.MANIP_DST, NatRange.MAP_IPS | NatRange.PROTO_SPECIFIED, address, address, port, port,
                        false);
                }
            }
            return binder.nullBinding(idx, NatBinder.MANIP_DST);
        }
        final int out = burst.outPort[i];
        final boolean hairpin = (CtRecord.status(record) & CtStatus.DST_NAT) != 0 && out == in;
        for (final NatPolicy.Mapping m : policy.mappings)
        {
            if (((src ^ m.inside) & ~m.hostMask) == 0 && (m.port == out || hairpin))
            {
                return binder.setup(idx, NatBinder.MANIP_SRC, NatRange.MAP_IPS | NatRange.NETMAP, m.outside, m.outside | m.hostMask, 0, 0,
                    false);
            }
        }
        for (final NatPolicy.Rule r : policy.sourceRules)
        {
            if (r.matches(in, out, hairpin, proto, src, dst, sport, dport))
            {
                return binder.setup(idx, NatBinder.MANIP_SRC, r.flags, r.minAddress, r.maxAddress, r.minPort, r.maxPort,
                    (r.flags & NatRange.NETMAP) == 0);
            }
        }
        return binder.nullBinding(idx, NatBinder.MANIP_SRC);
    }

    /** The worker's expectations (helpers): an expected connection then takes its master's translation. */
    public void expectations(final ExpectTable expectations)
    {
        this.expectations = expectations;
    }

}
