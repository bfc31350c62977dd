package io.flowgate.pipeline.nat;

import java.util.ArrayList;
import java.util.List;

import io.flowgate.conntrack.nat.NatRange;

/**
 * A {@link NatConfig} resolved against the router's ports: rules by manip with port ids and the addresses
 * masquerade and redirect map to, static mappings, and the set of translated addresses that decides who owns
 * a packet (docs/nat.md). Immutable after construction; shared read-only by every worker.
 */
public final class NatPolicy
{
    /** One rule, flattened for the per-connection scan. */
    static final class Rule
    {
        final NatRule.Kind kind;
        final int inPort;
        final int outPort;
        final int protocol;
        final int source;
        final int sourceLength;
        final int destination;
        final int destinationLength;
        final int sportMin;
        final int sportMax;
        final int dportMin;
        final int dportMax;
        final int flags;
        final int minAddress;
        final int maxAddress;
        final int minPort;
        final int maxPort;

        Rule(final NatRule rule, final int inPort, final int outPort, final int portAddress)
        {
            this.kind = rule.kind();
            this.inPort = inPort;
            this.outPort = outPort;
            this.protocol = rule.protocol();
            this.source = rule.source();
            this.sourceLength = rule.sourceLength();
            this.destination = rule.destination();
            this.destinationLength = rule.destinationLength();
            this.sportMin = rule.sportMin();
            this.sportMax = rule.sportMax();
            this.dportMin = rule.dportMin();
            this.dportMax = rule.dportMax();
            final NatRange to = rule.to();
            final boolean byPort = kind == NatRule.Kind.MASQUERADE || kind == NatRule.Kind.REDIRECT;
            this.flags = byPort ? (to.flags | NatRange.MAP_IPS) : to.flags;
            this.minAddress = byPort ? portAddress : to.minAddress;
            this.maxAddress = byPort ? portAddress : to.maxAddress;
            this.minPort = to.minPort;
            this.maxPort = to.maxPort;
        }

        boolean matches(final int in, final int out, final boolean hairpin, final int proto, final int src, final int dst,
                        final int sport, final int dport)
        {
            if ((inPort >= 0 && inPort != in) || (outPort >= 0 && outPort != out && !hairpin) || (protocol >= 0 && protocol != proto))
            {
                return false;
            }
            if (!NatRule.inPrefix(src, source, sourceLength) || !NatRule.inPrefix(dst, destination, destinationLength))
            {
                return false;
            }
            if (sportMin >= 0 || dportMin >= 0)
            {
                if (proto != 6 && proto != 17)
                {
                    return false;
                }
                return NatRule.inPorts(sport, sportMin, sportMax) && NatRule.inPorts(dport, dportMin, dportMax);
            }
            return true;
        }
    }

    /** A static mapping, resolved. */
    static final class Mapping
    {
        final int inside;
        final int outside;
        final int length;
        final int hostMask;
        final int port;

        Mapping(final NatConfig.StaticMapping m, final int port)
        {
            this.inside = m.inside();
            this.outside = m.outside();
            this.length = m.length();
            this.hostMask = m.length() == 32 ? 0 : -1 >>> m.length();
            this.port = port;
        }
    }

    final Rule[] destinationRules;
    final Rule[] sourceRules;
    final Mapping[] mappings;
    final boolean endpointIndependentFiltering;
    /** Addresses that SNAT and masquerade translate to, sorted (unsigned): their ports are partitioned among workers. */
    private final int[] poolStarts;
    private final int[] poolEnds;
    /** The nftables ruleset's pools, {start, end} pairs (written by the control plane, read by every worker). */
    private volatile int[] rulesetPools = new int[0];

    /**
     * @param portIds          DPDK port id of each router port, in {@code config.portNames()} order
     * @param portAddresses    primary IPv4 address of each router port, same order (0: none)
     */
    public NatPolicy(final NatConfig config, final int[] portIds, final int[] portAddresses)
    {
        final List<Rule> dst = new ArrayList<>();
        final List<Rule> src = new ArrayList<>();
        final List<int[]> pools = new ArrayList<>();
        for (final NatRule rule : config.rules())
        {
            final int in = rule.inPort() == null ? -1 : config.portIndex(rule.inPort());
            final int out = rule.outPort() == null ? -1 : config.portIndex(rule.outPort());
            final int byPort = rule.kind() == NatRule.Kind.MASQUERADE ? out : rule.kind() == NatRule.Kind.REDIRECT ? in : -1;
            if ((rule.kind() == NatRule.Kind.MASQUERADE || rule.kind() == NatRule.Kind.REDIRECT) && byPort < 0)
            {
                throw new IllegalArgumentException(rule.origin() + ": " + rule.kind().name().toLowerCase() + " needs its port ("
                    + (rule.kind() == NatRule.Kind.MASQUERADE ? "out" : "in") + ")");
            }
            final int portAddress = byPort >= 0 ? portAddresses[byPort] : 0;
            if (byPort >= 0 && portAddress == 0)
            {
                throw new IllegalArgumentException(rule.origin() + ": port " + config.portNames().get(byPort) + " has no IPv4 address");
            }
            final Rule r = new Rule(rule, in < 0 ? -1 : portIds[in], out < 0 ? -1 : portIds[out], portAddress);
            if (rule.kind().isDestination())
            {
                dst.add(r);
            }
            else
            {
                src.add(r);
                if ((r.flags & NatRange.MAP_IPS) != 0 && (r.flags & NatRange.NETMAP) == 0)
                {
                    pools.add(new int[] {r.minAddress, r.maxAddress});
                }
            }
        }
        this.destinationRules = dst.toArray(new Rule[0]);
        this.sourceRules = src.toArray(new Rule[0]);
        final List<Mapping> mapped = new ArrayList<>();
        for (final NatConfig.StaticMapping m : config.mappings())
        {
            mapped.add(new Mapping(m, portIds[config.portIndex(m.port())]));
        }
        this.mappings = mapped.toArray(new Mapping[0]);
        this.endpointIndependentFiltering = config.filtering() == NatConfig.Filtering.ENDPOINT_INDEPENDENT;
        pools.sort((a, b) -> Integer.compareUnsigned(a[0], b[0]));
        poolStarts = new int[pools.size()];
        poolEnds = new int[pools.size()];
        for (int i = 0; i < pools.size(); i++)
        {
            poolStarts[i] = pools.get(i)[0];
            poolEnds[i] = pools.get(i)[1];
        }
    }

    /**
     * Control: the pools of the ruleset's snat and masquerade statements ({start, end} pairs, unsigned, inclusive),
     * replacing the previous ruleset's; set before the ruleset that uses them is published.
     */
    public void rulesetPools(final int[] startsAndEnds)
    {
        rulesetPools = startsAndEnds.clone();
    }

    /** Whether SNAT or masquerade translates sources to {@code address} (then a port names the worker that owns it). */
    public boolean isPoolAddress(final int address)
    {
        final int[] extra = rulesetPools;
        for (int i = 0; i < extra.length; i += 2)
        {
            if (Integer.compareUnsigned(address, extra[i]) >= 0 && Integer.compareUnsigned(address, extra[i + 1]) <= 0)
            {
                return true;
            }
        }
        final int[] starts = poolStarts;
        for (int i = 0; i < starts.length; i++)
        {
            if (Integer.compareUnsigned(address, starts[i]) >= 0 && Integer.compareUnsigned(address, poolEnds[i]) <= 0)
            {
                return true;
            }
        }
        return false;
    }

    /** The inside address a static mapping's outside {@code address} stands for, or {@code address} itself when none maps it. */
    public int staticInside(final int address)
    {
        for (final Mapping m : mappings)
        {
            if (((address ^ m.outside) & ~m.hostMask) == 0)
            {
                return m.inside | (address & m.hostMask);
            }
        }
        return address;
    }

    public boolean isEmpty()
    {
        return destinationRules.length == 0 && sourceRules.length == 0 && mappings.length == 0 && !endpointIndependentFiltering;
    }
}
