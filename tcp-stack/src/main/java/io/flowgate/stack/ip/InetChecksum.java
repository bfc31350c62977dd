package io.flowgate.stack.ip;

import io.flowgate.pmd.checksum.Checksum;
import io.flowgate.stack.InetAddr;

/** The transport checksum (TCP, UDP) over the pseudo-header of either family, addresses as {@link InetAddr} halves. */
public final class InetChecksum
{
    private InetChecksum()
    {
    }

    /**
     * The checksum to store in a transport header at {@code address} of {@code length} bytes whose checksum
     * field is zero: the one's complement of pseudo-header plus segment. UDP callers map a result of 0 to
     * 0xFFFF (RFC 768).
     */
    public static int compute(final long srcHi, final long srcLo, final long dstHi, final long dstLo, final int protocol,
                              final long address, final int length)
    {
        return Checksum.finish(Checksum.sum(address, length, pseudoHeaderSum(srcHi, srcLo, dstHi, dstLo, protocol, length)));
    }

    /** True when the segment at {@code address} (checksum field included) sums to all ones with its pseudo-header. */
    public static boolean isValid(final long srcHi, final long srcLo, final long dstHi, final long dstLo, final int protocol,
                                  final long address, final int length)
    {
        return Checksum.sum(address, length, pseudoHeaderSum(srcHi, srcLo, dstHi, dstLo, protocol, length)) == Checksum.VALID_SUM;
    }

    public static int pseudoHeaderSum(final long srcHi, final long srcLo, final long dstHi, final long dstLo, final int protocol,
                                      final int length)
    {
        if (InetAddr.isV4(srcHi, srcLo) && InetAddr.isV4(dstHi, dstLo))
        {
            return Checksum.ipv4PseudoHeaderSum(InetAddr.v4Of(srcLo), InetAddr.v4Of(dstLo), protocol, length);
        }
        return Checksum.ipv6PseudoHeaderSum(srcHi, srcLo, dstHi, dstLo, protocol, length);
    }
}
