package io.flowgate.pipeline.ip;

import io.flowgate.nativebindings.Memory;
import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.hook.Verdict;
import io.flowgate.pmd.checksum.Checksum;
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.header.IpProtocol;
import io.flowgate.pmd.header.Ipv4Flyweight;
import io.flowgate.pmd.testing.CapturedPackets;
import java.lang.foreign.Arena;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.flowgate.pipeline.ip.Ipv4Input.martian;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Ipv4InputTest
{
    private static final int ETHERNET = EthernetFlyweight.HEADER_LENGTH;

    private final Arena arena = Arena.ofConfined();
    private final PacketBurst burst = new PacketBurst(arena, 32);
    private final Ipv4Input input = new Ipv4Input();
    private final Ipv4Flyweight ipv4 = new Ipv4Flyweight();

    @AfterEach
    void close()
    {
        arena.close();
    }

    /** Appends the frame to the burst, padded with zeros to {@code length} bytes; returns its IPv4 header. */
    private long add(final String hex, final int length, final int l3Offset, final int etherType)
    {
        final byte[] bytes = CapturedPackets.bytes(hex);
        final byte[] padded = new byte[Math.max(length, bytes.length)];
        System.arraycopy(bytes, 0, padded, 0, bytes.length);
        final long frame = CapturedPackets.load(arena, padded);
        final int i = burst.count();
        burst.count(i + 1);
        burst.frame[i] = frame;
        burst.length[i] = length;
        burst.l3[i] = frame + l3Offset;
        burst.etherType[i] = etherType;
        burst.verdict[i] = Verdict.ACCEPT;
        burst.reason[i] = 0;
        return frame + l3Offset;
    }

    private long add(final String hex)
    {
        return add(hex, CapturedPackets.bytes(hex).length, ETHERNET, EthernetFlyweight.ETHER_TYPE_IPV4);
    }

    private void assertDropped(final int packet, final int reason)
    {
        assertEquals(Verdict.DROP, burst.verdict[packet]);
        assertEquals(reason, burst.reason[packet]);
    }

    private void assertCounters(
        final long receives, final long hdrErrors, final long truncated, final long csumErrors)
    {
        assertEquals(receives, input.counter(Ipv4Input.IN_RECEIVES), "InReceives");
        assertEquals(hdrErrors, input.counter(Ipv4Input.IN_HDR_ERRORS), "InHdrErrors");
        assertEquals(truncated, input.counter(Ipv4Input.IN_TRUNCATED_PKTS), "InTruncatedPkts");
        assertEquals(csumErrors, input.counter(Ipv4Input.IN_CSUM_ERRORS), "InCsumErrors");
    }

    @Test
    void optionlessFastPathShouldAcceptExactlyWhatTheFullCheckAcceptsAndReadTheSameFields()
    {
        final long header = arena.allocate(64).address();
        final SplittableRandom random = new SplittableRandom(0x45);
        int accepted = 0;
        for (int round = 0; round < 200_000; round++)
        {
            for (int b = 0; b < 24; b++)
            {
                Memory.putByte(header + b, (byte)random.nextInt(256));
            }
            if (random.nextInt(4) != 0)
            {
                Memory.putByte(header, (byte)(random.nextInt(8) == 0 ? 0x46 : 0x45));
                Memory.putShortBE(header + Ipv4Flyweight.TOTAL_LENGTH_OFFSET, random.nextInt(8) == 0 ? random.nextInt(40) : 20 + random.nextInt(40));
                if (random.nextInt(8) != 0)
                {
                    Memory.putShortBE(header + Ipv4Flyweight.CHECKSUM_OFFSET, 0);
                    Memory.putShortBE(header + Ipv4Flyweight.CHECKSUM_OFFSET, Checksum.checksum(header, 20));
                }
            }
            final int available = random.nextInt(8) == 0 ? random.nextInt(24) : 20 + random.nextInt(44);
            final boolean full = Ipv4Input.check(header, available) == IpDropReason.NONE && Ipv4Flyweight.getHeaderLength(header) == 20;
            final long fast = Ipv4Input.acceptOptionless(header, available);
            assertEquals(full, fast != Ipv4Input.NOT_ACCEPTED, "round " + round);
            if (full)
            {
                accepted++;
                assertEquals(Ipv4Flyweight.getDstAddress(header), (int)fast);
                assertEquals(Ipv4Flyweight.getTotalLength(header), (int)(fast >>> 32 & 0xFFFF));
                final boolean fragment = (Memory.getShortBE(header + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET_OFFSET)
                    & (Ipv4Flyweight.FLAG_MORE_FRAGMENTS | Ipv4Flyweight.FRAGMENT_OFFSET_MASK)) != 0;
                assertEquals(fragment, (fast & Ipv4Input.FRAGMENT) != 0);
            }
        }
        assertTrue(accepted > 50_000, "the random rounds include valid headers: " + accepted);
    }

    @Test
    void optionlessHeaderCheckShouldAgreeWithTheFullChecksumOnRandomAndEdgeHeaders()
    {
        final long header = arena.allocate(20).address();
        final SplittableRandom random = new SplittableRandom(0x1071);
        int valid = 0;
        for (int round = 0; round < 200_000; round++)
        {
            for (int b = 0; b < 20; b++)
            {
                final int kind = round % 4;
                final int value = kind == 0 ? 0 : kind == 1 ? 0xFF : random.nextInt(256);
                Memory.putByte(header + b, (byte)(round % 8 < 2 ? value : random.nextInt(256)));
            }
            if (round % 3 == 0)
            {
                // half of these made valid: the stored checksum completes the sum
                Memory.putShortBE(header + Ipv4Flyweight.CHECKSUM_OFFSET, 0);
                Memory.putShortBE(header + Ipv4Flyweight.CHECKSUM_OFFSET,
                    Checksum.checksum(header, 20));
            }
            final boolean expected = Checksum.sum(header, 20) == Checksum.VALID_SUM;
            assertEquals(expected, Ipv4Input.optionlessHeaderValid(header), "round " + round);
            valid += expected ? 1 : 0;
        }
        for (int b = 0; b < 20; b++)
        {
            Memory.putByte(header + b, (byte)0);
        }
        assertFalse(Ipv4Input.optionlessHeaderValid(header), "all zeros sums to 0, not all ones");
        for (int b = 0; b < 20; b++)
        {
            Memory.putByte(header + b, (byte)0xFF);
        }
        assertTrue(Ipv4Input.optionlessHeaderValid(header), "all ones is all ones");
        assertTrue(valid > 50_000, "the random rounds include valid headers: " + valid);
    }

    @Test
    void shouldAcceptCapturedPacketsUnchanged()
    {
        add(CapturedPackets.ICMP_ECHO_REQUEST);
        add(CapturedPackets.TCP_SYN);
        add(CapturedPackets.IPV4_UDP_ODD);
        add(CapturedPackets.ICMP_PORT_UNREACHABLE);
        add(CapturedPackets.TCP_ACK_VLAN_100, 70, 18, EthernetFlyweight.ETHER_TYPE_IPV4);

        assertEquals(5, input.process(burst));

        for (int i = 0; i < 5; i++)
        {
            assertEquals(Verdict.ACCEPT, burst.verdict[i]);
        }
        assertEquals(58, burst.length[0]);
        assertEquals(74, burst.length[1]);
        assertEquals(70, burst.length[4]);
        assertCounters(5, 0, 0, 0);
    }

    @Test
    void shouldTrimEthernetPaddingToTheTotalLength()
    {
        add(CapturedPackets.IPV4_UDP_ODD, 60, ETHERNET, EthernetFlyweight.ETHER_TYPE_IPV4);

        assertEquals(1, input.process(burst));

        assertEquals(ETHERNET + 29, burst.length[0]);
    }

    @Test
    void shouldDropPacketShorterThanMinimumHeader()
    {
        add(CapturedPackets.ICMP_ECHO_REQUEST, ETHERNET + 19, ETHERNET, EthernetFlyweight.ETHER_TYPE_IPV4);

        assertEquals(0, input.process(burst));

        assertDropped(0, IpDropReason.IP_INHDR);
        assertCounters(1, 1, 0, 0);
    }

    @Test
    void shouldDropPacketWithoutNetworkHeaderAddress()
    {
        add(CapturedPackets.ICMP_ECHO_REQUEST);
        burst.l3[0] = 0;

        input.process(burst);

        assertDropped(0, IpDropReason.IP_INHDR);
    }

    @Test
    void shouldDropPacketWithVersionOtherThanFour()
    {
        final long header = add(CapturedPackets.ICMP_ECHO_REQUEST);
        ipv4.wrap(header).version(6).updateHeaderChecksum();

        input.process(burst);

        assertDropped(0, IpDropReason.IP_INHDR);
        assertCounters(1, 1, 0, 0);
    }

    @Test
    void shouldDropPacketWithIhlBelowFive()
    {
        final long header = add(CapturedPackets.ICMP_ECHO_REQUEST);
        ipv4.wrap(header).ihl(4);

        input.process(burst);

        assertDropped(0, IpDropReason.IP_INHDR);
        assertCounters(1, 1, 0, 0);
    }

    @Test
    void shouldDropPacketWhoseHeaderLengthExceedsTheFrame()
    {
        // IHL 15 (60 bytes) in a frame with 44 bytes of IPv4
        final long header = add(CapturedPackets.ICMP_ECHO_REQUEST);
        ipv4.wrap(header).ihl(15);

        input.process(burst);

        assertDropped(0, IpDropReason.IP_INHDR);
        assertCounters(1, 1, 0, 0);
    }

    @Test
    void shouldDropPacketWithBadHeaderChecksumCountingItAsHeaderErrorToo()
    {
        final long header = add(CapturedPackets.ICMP_ECHO_REQUEST);
        ipv4.wrap(header).checksum(0xe4e4);

        input.process(burst);

        assertDropped(0, IpDropReason.IP_CSUM);
        assertCounters(1, 1, 0, 1);
    }

    @Test
    void shouldDropPacketWhoseTotalLengthExceedsTheFrame()
    {
        final long header = add(CapturedPackets.ICMP_ECHO_REQUEST);
        ipv4.wrap(header).totalLength(45).updateHeaderChecksum();

        input.process(burst);

        assertDropped(0, IpDropReason.PKT_TOO_SMALL);
        assertCounters(1, 0, 1, 0);
    }

    @Test
    void shouldCheckChecksumBeforeTotalLengthAsLinux()
    {
        final long header = add(CapturedPackets.ICMP_ECHO_REQUEST);
        ipv4.wrap(header).totalLength(1500);   // checksum now wrong as well

        input.process(burst);

        assertDropped(0, IpDropReason.IP_CSUM);
        assertCounters(1, 1, 0, 1);
    }

    @Test
    void shouldDropPacketWhoseTotalLengthIsBelowItsHeaderLength()
    {
        final long header = add(CapturedPackets.ICMP_ECHO_REQUEST);
        ipv4.wrap(header).totalLength(19).updateHeaderChecksum();

        input.process(burst);

        assertDropped(0, IpDropReason.IP_INHDR);
        assertCounters(1, 1, 0, 0);
    }

    @Test
    void shouldAcceptHeaderWithOptions()
    {
        // the echo request with 4 bytes of options (NOP NOP NOP EOL) inserted after the fixed header
        final byte[] original = CapturedPackets.bytes(CapturedPackets.ICMP_ECHO_REQUEST);
        final byte[] bytes = new byte[original.length + 4];
        System.arraycopy(original, 0, bytes, 0, ETHERNET + 20);
        bytes[ETHERNET + 20] = 1;
        bytes[ETHERNET + 21] = 1;
        bytes[ETHERNET + 22] = 1;
        bytes[ETHERNET + 23] = 0;
        System.arraycopy(original, ETHERNET + 20, bytes, ETHERNET + 24, original.length - ETHERNET - 20);
        final long header = add(HexFormat.of().formatHex(bytes));
        ipv4.wrap(header).ihl(6).totalLength(48).updateHeaderChecksum();

        assertEquals(1, input.process(burst));

        assertEquals(Verdict.ACCEPT, burst.verdict[0]);
        assertEquals(ETHERNET + 48, burst.length[0]);
    }

    @Test
    void shouldLeaveOtherProtocolsAndDecidedPacketsAlone()
    {
        add(CapturedPackets.ARP_REQUEST, 42, ETHERNET, EthernetFlyweight.ETHER_TYPE_ARP);
        add(CapturedPackets.IPV6_UDP, 79, ETHERNET, EthernetFlyweight.ETHER_TYPE_IPV6);
        final long header = add(CapturedPackets.ICMP_ECHO_REQUEST);
        ipv4.wrap(header).checksum(0);
        burst.verdict[2] = Verdict.STOLEN;

        assertEquals(0, input.process(burst));

        assertEquals(Verdict.ACCEPT, burst.verdict[0]);
        assertEquals(Verdict.ACCEPT, burst.verdict[1]);
        assertEquals(Verdict.STOLEN, burst.verdict[2]);
        assertCounters(0, 0, 0, 0);
    }

    @Test
    void shouldDecideEachPacketOfMixedBurstOnItsOwn()
    {
        add(CapturedPackets.ICMP_ECHO_REQUEST);
        ipv4.wrap(add(CapturedPackets.TCP_SYN)).checksum(1);
        add(CapturedPackets.IPV4_UDP_ODD, 60, ETHERNET, EthernetFlyweight.ETHER_TYPE_IPV4);
        ipv4.wrap(add(CapturedPackets.ICMP_ECHO_REPLY)).totalLength(100).updateHeaderChecksum();
        add(CapturedPackets.ICMP_ECHO_REPLY, ETHERNET + 10, ETHERNET, EthernetFlyweight.ETHER_TYPE_IPV4);

        assertEquals(2, input.process(burst));

        assertEquals(Verdict.ACCEPT, burst.verdict[0]);
        assertDropped(1, IpDropReason.IP_CSUM);
        assertEquals(Verdict.ACCEPT, burst.verdict[2]);
        assertEquals(ETHERNET + 29, burst.length[2]);
        assertDropped(3, IpDropReason.PKT_TOO_SMALL);
        assertDropped(4, IpDropReason.IP_INHDR);
        assertCounters(5, 2, 1, 1);
    }

    // ------------------------------------------------------------------------------------------------------
    // Martians (routing's checks)
    // ------------------------------------------------------------------------------------------------------

    private static int address(final String dotted)
    {
        return Ipv4Flyweight.parseAddress(dotted);
    }

    private static int martianOf(final String src, final String dst)
    {
        return martian(address(src), address(dst), IpProtocol.UDP, false);
    }

    @Test
    void shouldFindNoMartianInOrdinaryUnicast()
    {
        assertEquals(IpDropReason.NONE, martianOf("192.0.2.1", "198.51.100.7"));
    }

    @Test
    void shouldTreatMulticastAndBroadcastSourceAsMartian()
    {
        assertEquals(IpDropReason.IP_INVALID_SOURCE, martianOf("224.0.0.5", "192.0.2.2"));
        assertEquals(IpDropReason.IP_INVALID_SOURCE, martianOf("239.1.2.3", "192.0.2.2"));
        assertEquals(IpDropReason.IP_INVALID_SOURCE, martianOf("255.255.255.255", "192.0.2.2"));
    }

    @Test
    void shouldTreatZeroSourceAsMartianExceptTowardsLimitedBroadcast()
    {
        assertEquals(IpDropReason.IP_INVALID_SOURCE, martianOf("0.0.0.0", "192.0.2.2"));
        assertEquals(IpDropReason.IP_INVALID_SOURCE, martianOf("0.1.2.3", "192.0.2.2"));
        assertEquals(IpDropReason.NONE, martianOf("0.0.0.0", "255.255.255.255"));   // DHCP discover
        assertEquals(IpDropReason.NONE, martianOf("0.0.0.0", "0.0.0.0"));
    }

    @Test
    void shouldTreatZeroDestinationAsMartianDestination()
    {
        assertEquals(IpDropReason.IP_INVALID_DEST | Ipv4Input.MARTIAN_DESTINATION, martianOf("192.0.2.1", "0.0.0.9"));
    }

    @Test
    void shouldTreatLoopbackAsMartianUnlessRouteLocalnet()
    {
        assertEquals(IpDropReason.IP_LOCALNET, martianOf("127.0.0.1", "192.0.2.2"));
        assertEquals(IpDropReason.IP_LOCALNET | Ipv4Input.MARTIAN_DESTINATION, martianOf("192.0.2.1", "127.0.0.1"));
        assertEquals(IpDropReason.NONE, martian(address("127.0.0.1"), address("192.0.2.2"), IpProtocol.UDP, true));
        assertEquals(IpDropReason.NONE, martian(address("192.0.2.1"), address("127.0.0.1"), IpProtocol.UDP, true));
    }

    @Test
    void shouldCheckSourceOfMulticastDestinationAsIpMcValidateSource()
    {
        assertEquals(IpDropReason.NONE, martianOf("192.0.2.1", "239.1.1.1"));
        assertEquals(IpDropReason.IP_INVALID_SOURCE, martianOf("224.0.0.1", "239.1.1.1"));
        assertEquals(IpDropReason.IP_LOCALNET, martianOf("127.0.0.1", "239.1.1.1"));
        assertEquals(IpDropReason.NONE, martianOf("0.0.0.0", "224.0.0.22"));
        assertEquals(IpDropReason.IP_INVALID_SOURCE, martianOf("0.0.0.0", "239.1.1.1"));
        assertEquals(IpDropReason.NONE, martian(address("0.0.0.0"), address("239.1.1.1"), IpProtocol.IGMP, false));
    }

    @Test
    void shouldDropMartiansInTheirOwnStageCountingSourceAndDestination()
    {
        add(CapturedPackets.ICMP_ECHO_REQUEST);
        Ipv4Flyweight.putSrcAddress(add(CapturedPackets.ICMP_ECHO_REQUEST), address("224.0.0.9"));
        Ipv4Flyweight.putDstAddress(add(CapturedPackets.ICMP_ECHO_REQUEST), address("0.0.0.1"));
        Ipv4Flyweight.putSrcAddress(add(CapturedPackets.ICMP_ECHO_REQUEST), address("127.0.0.1"));

        assertEquals(3, input.dropMartians(burst, false));

        assertEquals(Verdict.ACCEPT, burst.verdict[0]);
        assertDropped(1, IpDropReason.IP_INVALID_SOURCE);
        assertDropped(2, IpDropReason.IP_INVALID_DEST);
        assertDropped(3, IpDropReason.IP_LOCALNET);
        assertEquals(2, input.counter(Ipv4Input.IN_MARTIAN_SRC));
        assertEquals(1, input.counter(Ipv4Input.IN_MARTIAN_DST));
    }

    @Test
    void shouldNotCheckMartiansInInputStage()
    {
        final long header = add(CapturedPackets.ICMP_ECHO_REQUEST);
        Ipv4Flyweight.putSrcAddress(header, address("127.0.0.1"));
        ipv4.wrap(header).updateHeaderChecksum();

        assertEquals(1, input.process(burst));

        assertEquals(Verdict.ACCEPT, burst.verdict[0]);
        assertEquals(0, input.counter(Ipv4Input.IN_MARTIAN_SRC));
    }
}
