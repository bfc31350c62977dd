package io.flowgate.pipeline.ip;

import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.hook.Counters;
import io.flowgate.pipeline.hook.Verdict;
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.header.Ipv4Flyweight;
import io.flowgate.pmd.header.Ipv6Flyweight;

/**
 * The IP header work of forwarding: the TTL/hop-limit check and decrement of Linux's {@code ip_forward}
 * ({@code net/ipv4/ip_forward.c}) and {@code ip6_forward} ({@code net/ipv6/ip6_output.c}). TTL is no
 * reason to drop at input; a packet for the box itself may arrive with TTL 1.
 * <p>
 * A packet that arrives with TTL (hop limit) 0 or 1 cannot be forwarded (RFC 1812 5.3.1, RFC 8200 3): Linux
 * counts it in InHdrErrors, answers ICMP Time Exceeded and drops it. {@link #process} marks it DROP with
 * {@link IpDropReason#TIME_EXCEEDED}, the worker's tail hands it to the slow path for the ICMP error, and
 * decrements the TTL of every other packet, the IPv4 checksum updated incrementally.
 * <p>
 * Linux decrements after its MTU check ({@code ip_exceeds_mtu}); the route stage, which knows the MTU,
 * checks it before calling this stage or uses the static helpers.
 * <p>
 * Thread-safety: one instance per worker; static helpers are stateless; counters readable from any thread.
 */
public final class IpForward
{
    /** SNMP Ip: InHdrErrors as ip_forward counts them (TTL ran out). */
    public static final int IPV4_IN_HDR_ERRORS = 0;
    /** SNMP Ip6InHdrErrors as ip6_forward counts them (hop limit ran out). */
    public static final int IPV6_IN_HDR_ERRORS = 1;
    /** IPv4 packets whose TTL was decremented. */
    public static final int IPV4_DECREMENTED = 2;
    /** IPv6 packets whose hop limit was decremented. */
    public static final int IPV6_DECREMENTED = 3;
    public static final int COUNTERS = 4;

    private final Counters counters = new Counters(COUNTERS);

    /** Any thread: one of the counters named by the constants of this class. */
    public long counter(final int counter)
    {
        return counters.get(counter);
    }

    /**
     * Worker only: for every IPv4/IPv6 packet of {@code burst} with verdict ACCEPT, that is to be forwarded:
     * drops it with {@link IpDropReason#TIME_EXCEEDED} when its TTL or hop limit is 0 or 1, decrements it
     * otherwise.
     *
     * @return the packets dropped.
     */
    public int process(final PacketBurst burst)
    {
        final int count = burst.count();
        final int[] verdict = burst.verdict;
        final int[] etherType = burst.etherType;
        final long[] l3 = burst.l3;
        final int[] reason = burst.reason;

        int expired4 = 0;
        int expired6 = 0;
        int decremented4 = 0;
        int decremented6 = 0;
        for (int i = 0; i < count; i++)
        {
            if (verdict[i] != Verdict.ACCEPT)
            {
                continue;
            }
            final long header = l3[i];
            if (etherType[i] == EthernetFlyweight.ETHER_TYPE_IPV4)
            {
                if (ttlExpired(header))
                {
                    verdict[i] = Verdict.DROP;
                    reason[i] = IpDropReason.TIME_EXCEEDED;
                    expired4++;
                }
                else
                {
                    Ipv4Flyweight.decrementTtl(header);
                    decremented4++;
                }
            }
            else if (etherType[i] == EthernetFlyweight.ETHER_TYPE_IPV6)
            {
                if (hopLimitExpired(header))
                {
                    verdict[i] = Verdict.DROP;
                    reason[i] = IpDropReason.TIME_EXCEEDED;
                    expired6++;
                }
                else
                {
                    Ipv6Flyweight.decrementHopLimit(header);
                    decremented6++;
                }
            }
        }
        final Counters counters = this.counters;
        counters.add(IPV4_IN_HDR_ERRORS, expired4);
        counters.add(IPV6_IN_HDR_ERRORS, expired6);
        counters.add(IPV4_DECREMENTED, decremented4);
        counters.add(IPV6_DECREMENTED, decremented6);
        return expired4 + expired6;
    }

    /**
     * Worker only: counts what a caller that decides per packet ({@link #ttlExpired} then
     * {@code Ipv4Flyweight.decrementTtl}) did to a burst, as {@link #process} would have counted it.
     */
    public void countIpv4(final int decremented, final int expired)
    {
        counters.add(IPV4_IN_HDR_ERRORS, expired);
        counters.add(IPV4_DECREMENTED, decremented);
    }

    /** Whether the IPv4 packet at {@code ipv4Address} may not be forwarded: TTL 0 or 1 ({@code ttl <= 1}). */
    public static boolean ttlExpired(final long ipv4Address)
    {
        return Ipv4Flyweight.getTtl(ipv4Address) <= 1;
    }

    /** Whether the IPv6 packet at {@code ipv6Address} may not be forwarded: hop limit 0 or 1. */
    public static boolean hopLimitExpired(final long ipv6Address)
    {
        return Ipv6Flyweight.getHopLimit(ipv6Address) <= 1;
    }
}
