package io.flowgate.pipeline.nat;

import io.flowgate.conntrack.nat.NatRange;

/**
 * One NAT rule of the configuration's simple form (replaced by nftables rulesets when the rule engine lands):
 * a match and a translation. DNAT and REDIRECT rules are evaluated at PREROUTING (priority -100), SNAT and
 * MASQUERADE at POSTROUTING (100), each list in order, first match wins, for the first packet of a
 * connection only (Linux's nat chains see NEW packets only). Matches left open match everything.
 *
 * @param kind        what the rule does
 * @param inPort      receiving port's name ({@code iif}), or null
 * @param outPort     sending port's name ({@code oif}; SNAT and MASQUERADE only), or null
 * @param protocol    IP protocol number (6, 17, 1), or -1 for any
 * @param source      source prefix address (IPv4 as an unsigned int), with {@code sourceLength} 0..32 (0: any)
 * @param destination destination prefix, with {@code destinationLength}
 * @param sportMin    source port range (TCP/UDP only), 0..65535; {@code sportMin > sportMax} or -1: any
 * @param dportMin    destination port range, likewise
 * @param to          the translation: addresses, ports, flags. MASQUERADE maps to the out port's address (its
 *                    range carries ports and flags only); REDIRECT maps to the in port's address
 * @param origin      where the rule came from (file:line), for messages and listings
 */
public record NatRule(Kind kind, String inPort, String outPort, int protocol, int source, int sourceLength, int destination,
                      int destinationLength, int sportMin, int sportMax, int dportMin, int dportMax, NatRange to, String origin)
{
    public enum Kind
    {
        /** Rewrite the source to {@code to} (POSTROUTING). */
        SNAT,
        /** Rewrite the destination to {@code to} (PREROUTING). */
        DNAT,
        /** SNAT to the primary address of the port the packet leaves by (POSTROUTING). */
        MASQUERADE,
        /** DNAT to the primary address of the port the packet came in on: to the box itself (PREROUTING). */
        REDIRECT;

        /** Whether the rule is evaluated at PREROUTING (destination manip) rather than POSTROUTING. */
        public boolean isDestination()
        {
            return this == DNAT || this == REDIRECT;
        }
    }

    public NatRule
    {
        if (kind.isDestination() && outPort != null)
        {
            throw new IllegalArgumentException(kind + " is decided before routing: it cannot match the out port");
        }
        if (sourceLength < 0 || sourceLength > 32 || destinationLength < 0 || destinationLength > 32)
        {
            throw new IllegalArgumentException("prefix length out of 0..32");
        }
        if ((kind == Kind.SNAT || kind == Kind.DNAT) && !to.mapsAddress() && !to.has(NatRange.NETMAP))
        {
            throw new IllegalArgumentException(kind + " needs an address to translate to");
        }
    }

    /** Whether a rule matches a source (or destination) {@code address} against {@code prefix}/{@code length}. */
    static boolean inPrefix(final int address, final int prefix, final int length)
    {
        return length == 0 || ((address ^ prefix) >>> (32 - length)) == 0;
    }

    static boolean inPorts(final int port, final int min, final int max)
    {
        return min < 0 || (port >= min && port <= max);
    }
}
