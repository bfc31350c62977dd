package io.flowgate.stack.ip;

/**
 * One family's IP input counters, named as Linux's {@code Ip:} / {@code Ip6:} MIB ({@code nstat}), and the ICMP
 * ones the stack touches. Written on the stack thread only; other threads read them racily (monitoring).
 */
public final class IpCounters
{
    public long inReceives;
    public long inHdrErrors;
    public long inAddrErrors;
    public long inUnknownProtos;
    public long inTruncatedPkts;
    public long inCsumErrors;
    /** Dropped after validation for want of resources (a chain longer than the scratch buffer). */
    public long inDiscards;
    public long inDelivers;
    public long reasmReqds;
    public long reasmOKs;
    public long reasmFails;
    public long reasmTimeout;
    public long outRequests;
    public long outNoRoutes;
    /** Icmp:InMsgs / Icmp6:InMsgs (errors addressed to the box). */
    public long icmpInMsgs;
    /** Icmp:InErrors: malformed ICMP messages (length, checksum, quoted packet, unknown code). */
    public long icmpInErrors;
    /** ICMP types the stack does not handle (redirect, source quench, ...): counted and dropped. */
    public long icmpInUnhandled;
    /** Icmp:OutMsgs: errors the stack sent (protocol/port unreachable, reassembly time exceeded). */
    public long icmpOutMsgs;
    /** Errors not sent because of the rate limit (Linux: Icmp:OutRateLimitGlobal). */
    public long icmpOutRateLimited;

    @Override
    public String toString()
    {
        return "InReceives=" + inReceives + " InHdrErrors=" + inHdrErrors + " InAddrErrors=" + inAddrErrors
            + " InUnknownProtos=" + inUnknownProtos + " InTruncatedPkts=" + inTruncatedPkts + " InCsumErrors=" + inCsumErrors + " InDiscards=" + inDiscards
            + " InDelivers=" + inDelivers + " ReasmReqds=" + reasmReqds + " ReasmOKs=" + reasmOKs + " ReasmFails=" + reasmFails
            + " ReasmTimeout=" + reasmTimeout + " OutRequests=" + outRequests + " OutNoRoutes=" + outNoRoutes
            + " IcmpInMsgs=" + icmpInMsgs + " IcmpInErrors=" + icmpInErrors + " IcmpInUnhandled=" + icmpInUnhandled + " IcmpOutMsgs=" + icmpOutMsgs
            + " IcmpOutRateLimited=" + icmpOutRateLimited;
    }
}
