package io.flowgate.stack.ip;

/**
 * A transport protocol's input, called by the IP layer ({@link io.flowgate.stack.Stack}) on the stack thread.
 * Memory passed in is valid only during the call: a transport copies what it keeps.
 */
public interface Transport
{
    /** ICMP destination unreachable: network or host (soft: a connection keeps trying; RFC 1122 4.2.3.9). */
    int ERROR_UNREACHABLE_SOFT = 1;
    /** ICMP protocol or port unreachable, administratively prohibited (hard for UDP; soft for an established TCP connection). */
    int ERROR_UNREACHABLE_HARD = 2;
    /** ICMP fragmentation needed / ICMPv6 packet too big: {@code info} is the next-hop MTU (RFC 1191, RFC 8201). */
    int ERROR_PACKET_TOO_BIG = 3;
    /** ICMP time exceeded (soft). */
    int ERROR_TIME_EXCEEDED = 4;
    /** ICMP parameter problem (soft). */
    int ERROR_PARAMETER = 5;

    /**
     * A segment or datagram for the box: the transport header at {@code address}, {@code length} bytes up to the
     * end of the IP payload, contiguous, transport checksum already verified. The addresses are the packet's
     * source (the peer) and destination (the box), {@code port} the port it came in on.
     */
    void receive(long address, int length, long srcHi, long srcLo, long dstHi, long dstLo, int port, long nowNs);

    /**
     * A segment or datagram for this transport that the IP layer dropped before {@link #receive}: shorter than the
     * transport header, or ({@code checksum}) with a bad checksum; for the transport's own counters (Linux counts
     * them in the transport's MIB: Tcp:InErrs, Tcp:InCsumErrors).
     */
    default void inputError(final boolean checksum)
    {
    }

    /**
     * An ICMP or ICMPv6 error about a packet the box sent: {@code kind} is one of {@code ERROR_*}, {@code info} the
     * MTU for {@link #ERROR_PACKET_TOO_BIG}, else the original ICMP code. {@code quoted} holds the start of the
     * quoted transport header ({@code quotedLength} ≥ 8 bytes: ports, and TCP's sequence number). The addresses are
     * those of the quoted packet: {@code local} the box's, {@code remote} where it was going.
     */
    void icmpError(int kind, int info, long quoted, int quotedLength, long localHi, long localLo, long remoteHi,
                   long remoteLo, long nowNs);
}
