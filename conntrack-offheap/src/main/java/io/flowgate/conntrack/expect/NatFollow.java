package io.flowgate.conntrack.expect;

/**
 * What {@code nf_nat_follow_master} gives an expected connection (IPv4): its source translated to
 * {@link #srcAddress} (port kept as NAT chooses), its destination to {@link #dstAddress}:{@link #dstPort}.
 * Addresses as unsigned numbers in an int (192.0.2.1 is 0xC0000201). A reusable holder, one per worker.
 */
public final class NatFollow
{
    /** The master's record index. */
    public int master;
    /** Source manip: the address the master's peer sends to (master's {@code tuplehash[!exp->dir].dst}). */
    public int srcAddress;
    /** Destination manip: the master's host ({@code tuplehash[!exp->dir].src}) ... */
    public int dstAddress;
    /** ... and the port the helper read in the payload before NAT rewrote it ({@code exp->saved_proto}). */
    public int dstPort;
}
