package io.flowgate.pmd.checksum;

import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Random;

import io.flowgate.nativebindings.Memory;
import io.flowgate.pmd.header.IcmpFlyweight;
import io.flowgate.pmd.header.IpProtocol;
import io.flowgate.pmd.header.Ipv4Flyweight;
import io.flowgate.pmd.header.Ipv6Flyweight;
import io.flowgate.pmd.header.TcpFlyweight;
import io.flowgate.pmd.header.UdpFlyweight;
import io.flowgate.pmd.testing.CapturedPackets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.flowgate.pmd.testing.CapturedPackets.IPV4_A;
import static io.flowgate.pmd.testing.CapturedPackets.IPV4_B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChecksumTest
{
    private final Arena arena = Arena.ofConfined();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();
    private final Ipv6Flyweight ipv6 = new Ipv6Flyweight();
    private final TcpFlyweight tcp = new TcpFlyweight();
    private final UdpFlyweight udp = new UdpFlyweight();

    @AfterEach
    void close()
    {
        arena.close();
    }

    // ------------------------------------------------------------------------------------------------------
    // Sums
    // ------------------------------------------------------------------------------------------------------

    @Test
    void shouldSumRfc1071NumericalExample()
    {
        final long data = CapturedPackets.load(arena, "00 01 f2 03 f4 f5 f6 f7");

        assertEquals(0xddf2, Checksum.sum(data, 8));
        assertEquals(0x220d, Checksum.checksum(data, 8));
    }

    @Test
    void shouldSumNothingToZero()
    {
        assertEquals(0, Checksum.sum(CapturedPackets.load(arena, new byte[1]), 0));
        assertEquals(0x1234, Checksum.sum(CapturedPackets.load(arena, new byte[1]), 0, 0x1234));
    }

    @Test
    void shouldMatchBytewiseReferenceForEveryLengthAndStartAddress()
    {
        final byte[] bytes = randomBytes(new Random(1071), 400);
        final long base = CapturedPackets.load(arena, bytes);

        for (int start = 0; start < 16; start++)
        {
            for (int length = 0; length <= 300; length++)
            {
                assertEquals(
                    referenceSum(bytes, start, length), Checksum.sum(base + start, length),
                    "start " + start + " length " + length);
            }
        }
    }

    @Test
    void shouldMatchReferenceOnLargeBuffers()
    {
        final byte[] ones = new byte[1 << 20];
        Arrays.fill(ones, (byte)0xFF);
        final byte[] random = randomBytes(new Random(42), (1 << 20) + 3);

        assertEquals(0xFFFF, Checksum.sum(CapturedPackets.load(arena, ones), ones.length));
        assertEquals(
            referenceSum(random, 0, random.length), Checksum.sum(CapturedPackets.load(arena, random), random.length));
    }

    @Test
    void shouldCombinePiecesSplitAtAnyOffset()
    {
        final byte[] bytes = randomBytes(new Random(7), 201);
        final long data = CapturedPackets.load(arena, bytes);
        final int whole = Checksum.sum(data, bytes.length);

        for (int split = 0; split <= bytes.length; split++)
        {
            final int head = Checksum.sum(data, split);
            final int tail = Checksum.sum(data + split, bytes.length - split);
            assertEquals(whole, Checksum.combine(head, tail, split), "split " + split);
        }

        for (int first = 0; first < 40; first++)
        {
            for (int second = first; second < 80; second++)
            {
                final int a = Checksum.sum(data, first);
                final int b = Checksum.sum(data + first, second - first);
                final int c = Checksum.sum(data + second, bytes.length - second);
                assertEquals(whole, Checksum.combine(Checksum.combine(a, b, first), c, second));
            }
        }
    }

    @Test
    void shouldContinueFromInitialSumAtEvenOffsets()
    {
        final byte[] bytes = randomBytes(new Random(9), 99);
        final long data = CapturedPackets.load(arena, bytes);

        for (int split = 0; split <= bytes.length; split += 2)
        {
            final int head = Checksum.sum(data, split);
            assertEquals(Checksum.sum(data, bytes.length), Checksum.sum(data + split, bytes.length - split, head));
        }
    }

    @Test
    void shouldSkipChecksumFieldAsIfZero()
    {
        final byte[] bytes = randomBytes(new Random(11), 37);
        final long data = CapturedPackets.load(arena, bytes);

        final int skipping = Checksum.checksumSkipping(data, bytes.length, 10, 0);
        Memory.putShortBE(data + 10, 0);

        assertEquals(Checksum.checksum(data, bytes.length), skipping);
    }

    // ------------------------------------------------------------------------------------------------------
    // Captured packets
    // ------------------------------------------------------------------------------------------------------

    @Test
    void shouldAgreeWithCapturedTcpChecksumsOverIpv4()
    {
        for (final String frame : new String[]{CapturedPackets.TCP_SYN, CapturedPackets.TCP_ACK_VLAN_100})
        {
            final long packet = CapturedPackets.load(arena, frame);
            final long ip = packet + (frame.equals(CapturedPackets.TCP_SYN) ? 14 : 18);
            final long segment = ip + 20;
            final int stored = TcpFlyweight.getChecksum(segment);

            assertTrue(Checksum.isTcpIpv4Valid(ip));
            assertEquals(stored, Checksum.tcpIpv4(ip));
            TcpFlyweight.putChecksum(segment, 0);
            assertEquals(stored, Checksum.tcpIpv4(ip));
            assertFalse(Checksum.isTcpIpv4Valid(ip));
        }
    }

    @Test
    void shouldAgreeWithCapturedUdpChecksumOfOddLengthOverIpv4()
    {
        final long ip = CapturedPackets.load(arena, CapturedPackets.IPV4_UDP_ODD) + 14;

        assertTrue(Checksum.isUdpIpv4Valid(ip));
        assertEquals(0x2d81, Checksum.udpIpv4(ip));
        UdpFlyweight.putChecksum(ip + 20, 0x1111);
        assertEquals(0x2d81, Checksum.udpIpv4(ip));
    }

    @Test
    void shouldAgreeWithCapturedUdpChecksumOfOddLengthOverIpv6()
    {
        final long ip = CapturedPackets.load(arena, CapturedPackets.IPV6_UDP) + 14;
        final long datagram = ip + Ipv6Flyweight.HEADER_LENGTH;

        assertTrue(Checksum.isUdpIpv6Valid(ip, datagram));
        assertEquals(0x0db5, Checksum.udpIpv6(ip, datagram));
        UdpFlyweight.putChecksum(datagram, 0xFFFF);
        assertEquals(0x0db5, Checksum.udpIpv6(ip, datagram));
        assertFalse(Checksum.isUdpIpv6Valid(ip, datagram));
    }

    @Test
    void shouldAgreeWithCapturedIcmpv6Checksum()
    {
        final long ip = CapturedPackets.load(arena, CapturedPackets.ICMPV6_NEIGHBOR_SOLICITATION) + 14;
        final long message = ip + Ipv6Flyweight.HEADER_LENGTH;

        assertTrue(Checksum.isIcmpv6Valid(ip, message));
        assertEquals(0xe54d, Checksum.icmpv6(ip, message));
        Memory.putShortBE(message + IcmpFlyweight.CHECKSUM_OFFSET, 0);
        assertEquals(0xe54d, Checksum.icmpv6(ip, message));
        assertFalse(Checksum.isIcmpv6Valid(ip, message));
    }

    @Test
    void shouldComputeTcpChecksumOverIpv6()
    {
        final long ip = CapturedPackets.load(arena, new byte[Ipv6Flyweight.HEADER_LENGTH + 41]);
        final long segment = ip + Ipv6Flyweight.HEADER_LENGTH;
        final byte[] capturedSyn = CapturedPackets.bytes(CapturedPackets.TCP_SYN);
        Memory.copy(CapturedPackets.load(arena, CapturedPackets.slice(capturedSyn, 34, 40)), segment, 40);
        Memory.putByte(segment + 40, (byte)'x');
        ipv6.wrap(ip).version(6).payloadLength(41).nextHeader(IpProtocol.TCP).hopLimit(64)
            .srcAddress(CapturedPackets.IPV6_DOCUMENTATION_HI, 1).dstAddress(CapturedPackets.IPV6_DOCUMENTATION_HI, 2);

        final int computed = Checksum.tcpIpv6(ip, segment);
        final int reference = Checksum.finish(
            referencePseudoSumIpv6(ip, IpProtocol.TCP, segment, 41, TcpFlyweight.CHECKSUM_OFFSET));

        assertEquals(reference, computed);
        assertFalse(Checksum.isTcpIpv6Valid(ip, segment));
        TcpFlyweight.putChecksum(segment, computed);
        assertTrue(Checksum.isTcpIpv6Valid(ip, segment));
    }

    @Test
    void shouldDetectEverySingleBitErrorInCapturedSyn()
    {
        final long ip = CapturedPackets.load(arena, CapturedPackets.TCP_SYN) + 14;

        for (int offset = Ipv4Flyweight.SRC_ADDRESS_OFFSET; offset < 60; offset++)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                final long at = ip + offset;
                final byte original = Memory.getByte(at);
                Memory.putByte(at, (byte)(original ^ (1 << bit)));
                assertFalse(Checksum.isTcpIpv4Valid(ip), "offset " + offset + " bit " + bit);
                Memory.putByte(at, original);
            }
        }
        assertTrue(Checksum.isTcpIpv4Valid(ip));
    }

    // ------------------------------------------------------------------------------------------------------
    // UDP rules and pseudo-headers
    // ------------------------------------------------------------------------------------------------------

    @Test
    void shouldSendComputedZeroUdpChecksumAsAllOnes()
    {
        final long ip = CapturedPackets.load(arena, CapturedPackets.IPV4_UDP_ODD + " 00 00 00") + 14;
        ipv4.wrap(ip).totalLength(32).updateHeaderChecksum();
        udp.wrap(ipv4.payloadAddress()).length(12);
        Memory.putShortBE(udp.address() + 10, Checksum.udpIpv4(ip));

        assertEquals(0xFFFF, Checksum.udpIpv4(ip));
        udp.checksum(0xFFFF);
        assertTrue(Checksum.isUdpIpv4Valid(ip));
        assertEquals(Checksum.VALID_SUM,
            Checksum.sum(udp.address(), 12, Checksum.ipv4PseudoHeaderSum(IPV4_A, IPV4_B, IpProtocol.UDP, 12)));
    }

    @Test
    void shouldSendComputedZeroUdpChecksumAsAllOnesOverIpv6()
    {
        final long ip = CapturedPackets.load(arena, CapturedPackets.IPV6_UDP + " 00 00 00") + 14;
        final long datagram = ip + Ipv6Flyweight.HEADER_LENGTH;
        ipv6.wrap(ip).payloadLength(28);
        udp.wrap(datagram).length(28);
        Memory.putShortBE(datagram + 26, Checksum.udpIpv6(ip, datagram));

        assertEquals(0xFFFF, Checksum.udpIpv6(ip, datagram));
        udp.checksum(0xFFFF);
        assertTrue(Checksum.isUdpIpv6Valid(ip, datagram));
    }

    @Test
    void shouldTakeZeroUdpChecksumAsNoneOverIpv4ButAsInvalidOverIpv6()
    {
        final long ip4 = CapturedPackets.load(arena, CapturedPackets.IPV4_UDP_ODD) + 14;
        final long ip6 = CapturedPackets.load(arena, CapturedPackets.IPV6_UDP) + 14;

        UdpFlyweight.putChecksum(ip4 + 20, Checksum.UDP_NO_CHECKSUM);
        UdpFlyweight.putChecksum(ip6 + 40, Checksum.UDP_NO_CHECKSUM);

        assertTrue(Checksum.isUdpIpv4Valid(ip4));
        assertFalse(Checksum.isUdpIpv6Valid(ip6, ip6 + 40));
    }

    @Test
    void shouldRejectUdpLengthOutsideIpPayload()
    {
        final long ip4 = CapturedPackets.load(arena, CapturedPackets.IPV4_UDP_ODD) + 14;
        final long ip6 = CapturedPackets.load(arena, CapturedPackets.IPV6_UDP) + 14;

        udp.wrap(ip4 + 20).length(7);
        assertFalse(Checksum.isUdpIpv4Valid(ip4));
        udp.length(10);
        assertFalse(Checksum.isUdpIpv4Valid(ip4));
        udp.length(9);
        assertTrue(Checksum.isUdpIpv4Valid(ip4));

        udp.wrap(ip6 + 40).length(7);
        assertFalse(Checksum.isUdpIpv6Valid(ip6, ip6 + 40));
        udp.length(26);
        assertFalse(Checksum.isUdpIpv6Valid(ip6, ip6 + 40));
        udp.length(25);
        assertTrue(Checksum.isUdpIpv6Valid(ip6, ip6 + 40));
    }

    @Test
    void shouldSumIpv4PseudoHeaderFromValuesAndFromHeaderAlike()
    {
        final long ip = CapturedPackets.load(arena, CapturedPackets.TCP_SYN) + 14;
        final long pseudo = CapturedPackets.load(arena, "c0 00 02 01 c0 00 02 02 00 06 00 28");

        assertEquals(Checksum.sum(pseudo, 12), Checksum.ipv4PseudoHeaderSum(IPV4_A, IPV4_B, IpProtocol.TCP, 40));
        assertEquals(Checksum.sum(pseudo, 12), Checksum.ipv4PseudoHeaderSumAt(ip, IpProtocol.TCP, 40));
        assertEquals(
            Checksum.ipv4PseudoHeaderSum(0xFFFF_FFFF, 0xFFFF_FFFF, 255, 0xFFFF),
            Checksum.sum(CapturedPackets.load(arena, "ff ff ff ff ff ff ff ff 00 ff ff ff"), 12));
    }

    @Test
    void shouldSumIpv6PseudoHeaderLaidOutAsRfc8200Says()
    {
        final long ip = CapturedPackets.load(arena, CapturedPackets.IPV6_UDP) + 14;
        final long pseudo = CapturedPackets.load(arena,
            "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01 " +
            "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02 " +
            "00 00 00 19 00 00 00 11");
        final int expected = Checksum.sum(pseudo, 40);
        ipv6.wrap(ip);

        assertEquals(expected, Checksum.ipv6PseudoHeaderSumAt(ip, IpProtocol.UDP, 25));
        assertEquals(expected, Checksum.ipv6PseudoHeaderSumAt(ip + 8, ip + 24, IpProtocol.UDP, 25));
        assertEquals(expected, Checksum.ipv6PseudoHeaderSum(
            ipv6.srcAddressHi(), ipv6.srcAddressLo(), ipv6.dstAddressHi(), ipv6.dstAddressLo(), IpProtocol.UDP, 25));
    }

    @Test
    void shouldCarryUpperHalfOfIpv6UpperLayerLength()
    {
        final long pseudo = CapturedPackets.load(arena,
            "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 " +
            "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 " +
            "00 01 00 02 00 00 00 3a");

        assertEquals(Checksum.sum(pseudo, 40), Checksum.ipv6PseudoHeaderSum(0, 0, 0, 0, IpProtocol.ICMPV6, 0x0001_0002));
    }

    // ------------------------------------------------------------------------------------------------------
    // Incremental update
    // ------------------------------------------------------------------------------------------------------

    @Test
    void shouldGiveRfc1624ExampleResult()
    {
        assertEquals(0x0000, Checksum.adjust16(0xDD2F, 0x5555, 0x3285));
    }

    @Test
    void shouldMatchFullRecomputeAfterRandom16BitChangesToIpv4Headers()
    {
        final Random random = new Random(3);
        final long header = CapturedPackets.load(arena, new byte[Ipv4Flyweight.MAX_HEADER_LENGTH]);
        ipv4.wrap(header);

        for (int i = 0; i < 50_000; i++)
        {
            fillRandom(random, header, Ipv4Flyweight.MAX_HEADER_LENGTH);
            ipv4.version(4).ihl(5 + random.nextInt(11)).updateHeaderChecksum();
            // any word but the first (it holds IHL, so the header length) and the checksum
            int wordOffset = 2 + 2 * random.nextInt(ipv4.headerLength() / 2 - 1);
            if (wordOffset == Ipv4Flyweight.CHECKSUM_OFFSET)
            {
                wordOffset = Ipv4Flyweight.TOTAL_LENGTH_OFFSET;
            }
            final int oldValue = Memory.getShortBE(header + wordOffset);
            final int newValue = random.nextInt(0x10000);

            Memory.putShortBE(header + wordOffset, newValue);
            ipv4.checksum(Checksum.adjust16(ipv4.checksum(), oldValue, newValue));

            assertEquals(ipv4.computeHeaderChecksum(), ipv4.checksum(), "iteration " + i);
        }
    }

    @Test
    void shouldMatchFullRecomputeAfterRandomNatRewritesOfTcp()
    {
        final Random random = new Random(4);
        final long ip = CapturedPackets.load(arena, new byte[20 + 20 + 101]);

        for (int i = 0; i < 20_000; i++)
        {
            final int segmentLength = 20 + random.nextInt(102);
            buildIpv4(random, ip, IpProtocol.TCP, segmentLength);
            tcp.wrap(ip + 20).dataOffset(5).checksum(Checksum.tcpIpv4(ip));

            final int oldAddress = ipv4.srcAddress();
            final int newAddress = random.nextInt();
            final int oldPort = tcp.srcPort();
            final int newPort = random.nextInt(0x10000);
            ipv4.srcAddress(newAddress).checksum(Checksum.adjust32(ipv4.checksum(), oldAddress, newAddress));
            tcp.srcPort(newPort);
            tcp.checksum(Checksum.adjust16(Checksum.adjust32(tcp.checksum(), oldAddress, newAddress), oldPort, newPort));

            assertEquals(ipv4.computeHeaderChecksum(), ipv4.checksum(), "iteration " + i);
            assertEquals(Checksum.tcpIpv4(ip), tcp.checksum(), "iteration " + i);
            assertTrue(Checksum.isTcpIpv4Valid(ip));
        }
    }

    @Test
    void shouldMatchFullRecomputeAfterRandomNatRewritesOfUdp()
    {
        final Random random = new Random(5);
        final long ip = CapturedPackets.load(arena, new byte[20 + 8 + 101]);

        for (int i = 0; i < 20_000; i++)
        {
            final int udpLength = 8 + random.nextInt(102);
            buildIpv4(random, ip, IpProtocol.UDP, udpLength);
            udp.wrap(ip + 20).length(udpLength).checksum(Checksum.udpIpv4(ip));

            final int oldAddress = ipv4.dstAddress();
            final int newAddress = random.nextInt();
            final int oldPort = udp.dstPort();
            final int newPort = random.nextInt(0x10000);
            ipv4.dstAddress(newAddress).checksum(Checksum.adjust32(ipv4.checksum(), oldAddress, newAddress));
            udp.dstPort(newPort);
            udp.checksum(Checksum.adjustUdp16(Checksum.adjustUdp32(udp.checksum(), oldAddress, newAddress), oldPort, newPort));

            assertEquals(ipv4.computeHeaderChecksum(), ipv4.checksum(), "iteration " + i);
            assertEquals(Checksum.udpIpv4(ip), udp.checksum(), "iteration " + i);
        }
    }

    @Test
    void shouldStoreAdjustedZeroUdpChecksumAsAllOnes()
    {
        final long ip = CapturedPackets.load(arena, CapturedPackets.IPV4_UDP_ODD) + 14;
        ipv4.wrap(ip);
        udp.wrap(ipv4.payloadAddress());
        final int originalSource = ipv4.srcAddress();
        ipv4.srcAddress(0);
        final int sourceForZero = Checksum.udpIpv4(ip);
        ipv4.srcAddress(originalSource);

        udp.checksum(Checksum.adjustUdp32(udp.checksum(), originalSource, sourceForZero));
        ipv4.srcAddress(sourceForZero);

        assertEquals(0xFFFF, udp.checksum());
        assertEquals(0xFFFF, Checksum.udpIpv4(ip));
        assertTrue(Checksum.isUdpIpv4Valid(ip));
        assertEquals(0, Checksum.adjust32(0x2d81, originalSource, sourceForZero));
    }

    @Test
    void shouldLeaveUdpWithoutChecksumWithoutOne()
    {
        assertEquals(0, Checksum.adjustUdp16(Checksum.UDP_NO_CHECKSUM, 0x1234, 0x4321));
        assertEquals(0, Checksum.adjustUdp32(Checksum.UDP_NO_CHECKSUM, IPV4_A, IPV4_B));
    }

    // ------------------------------------------------------------------------------------------------------

    private void buildIpv4(final Random random, final long ip, final int protocol, final int payloadLength)
    {
        fillRandom(random, ip, 20 + payloadLength);
        ipv4.wrap(ip).version(4).ihl(5).totalLength(20 + payloadLength).protocol(protocol).updateHeaderChecksum();
    }

    private static void fillRandom(final Random random, final long address, final int length)
    {
        for (int i = 0; i < length; i++)
        {
            Memory.putByte(address + i, (byte)random.nextInt());
        }
    }

    private static byte[] randomBytes(final Random random, final int length)
    {
        final byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    /** RFC 1071 as written: add 16-bit words byte pair by byte pair, fold carries at the end. */
    private static int referenceSum(final byte[] bytes, final int from, final int length)
    {
        long sum = 0;
        for (int i = 0; i + 1 < length; i += 2)
        {
            sum += ((bytes[from + i] & 0xFF) << 8) | (bytes[from + i + 1] & 0xFF);
        }
        if ((length & 1) != 0)
        {
            sum += (bytes[from + length - 1] & 0xFF) << 8;
        }
        while ((sum >>> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int)sum;
    }

    /** Pseudo-header and segment copied into one byte array, checksum field zeroed, summed by reference. */
    private static int referencePseudoSumIpv6(
        final long ip, final int nextHeader, final long segment, final int length, final int checksumOffset)
    {
        final byte[] bytes = new byte[40 + length];
        final byte[] addresses = CapturedPackets.read(ip + 8, 32);
        System.arraycopy(addresses, 0, bytes, 0, 32);
        bytes[32] = (byte)(length >>> 24);
        bytes[33] = (byte)(length >>> 16);
        bytes[34] = (byte)(length >>> 8);
        bytes[35] = (byte)length;
        bytes[39] = (byte)nextHeader;
        System.arraycopy(CapturedPackets.read(segment, length), 0, bytes, 40, length);
        bytes[40 + checksumOffset] = 0;
        bytes[40 + checksumOffset + 1] = 0;
        return referenceSum(bytes, 0, bytes.length);
    }
}
