package io.flowgate.pipeline.ip;

import io.flowgate.nativebindings.Memory;
import io.flowgate.pipeline.burst.PacketBurst;
import io.flowgate.pipeline.hook.Verdict;
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.header.IpProtocol;
import io.flowgate.pmd.header.Ipv6Flyweight;
import io.flowgate.pmd.testing.CapturedPackets;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class Ipv6InputTest
{
    private static final int ETHERNET = EthernetFlyweight.HEADER_LENGTH;

    private final Arena arena = Arena.ofConfined();
    private final PacketBurst burst = new PacketBurst(arena, 32);
    private final Ipv6Input input = new Ipv6Input();
    private final Ipv6Flyweight ipv6 = new Ipv6Flyweight();

    @AfterEach
    void close()
    {
        arena.close();
    }

    private long add(final String hex, final int length)
    {
        final byte[] bytes = CapturedPackets.bytes(hex);
        final byte[] padded = new byte[Math.max(length, bytes.length)];
        System.arraycopy(bytes, 0, padded, 0, bytes.length);
        final long frame = CapturedPackets.load(arena, padded);
        final int i = burst.count();
        burst.count(i + 1);
        burst.frame[i] = frame;
        burst.length[i] = length;
        burst.l3[i] = frame + ETHERNET;
        burst.etherType[i] = EthernetFlyweight.ETHER_TYPE_IPV6;
        burst.verdict[i] = Verdict.ACCEPT;
        burst.reason[i] = 0;
        return frame + ETHERNET;
    }

    private long add(final String hex)
    {
        return add(hex, CapturedPackets.bytes(hex).length);
    }

    private void assertDropped(final int packet, final int reason)
    {
        assertEquals(Verdict.DROP, burst.verdict[packet]);
        assertEquals(reason, burst.reason[packet]);
    }

    private void assertCounters(final long receives, final long hdrErrors, final long truncated)
    {
        assertEquals(receives, input.counter(Ipv6Input.IN_RECEIVES), "Ip6InReceives");
        assertEquals(hdrErrors, input.counter(Ipv6Input.IN_HDR_ERRORS), "Ip6InHdrErrors");
        assertEquals(truncated, input.counter(Ipv6Input.IN_TRUNCATED_PKTS), "Ip6InTruncatedPkts");
    }

    @Test
    void shouldAcceptCapturedPackets()
    {
        add(CapturedPackets.IPV6_UDP);
        add(CapturedPackets.ICMPV6_NEIGHBOR_SOLICITATION);

        assertEquals(2, input.process(burst));

        assertEquals(Verdict.ACCEPT, burst.verdict[0]);
        assertEquals(Verdict.ACCEPT, burst.verdict[1]);
        assertEquals(79, burst.length[0]);
        assertEquals(86, burst.length[1]);
        assertCounters(2, 0, 0);
    }

    @Test
    void shouldTrimPaddingToThePayloadLength()
    {
        add(CapturedPackets.IPV6_UDP, 128);

        assertEquals(1, input.process(burst));

        assertEquals(ETHERNET + 40 + 25, burst.length[0]);
    }

    @Test
    void shouldDropPacketShorterThanTheFixedHeader()
    {
        add(CapturedPackets.IPV6_UDP, ETHERNET + 39);

        input.process(burst);

        assertDropped(0, IpDropReason.IP_INHDR);
        assertCounters(1, 1, 0);
    }

    @Test
    void shouldDropPacketWithVersionOtherThanSixAsUnhandledProtocol()
    {
        ipv6.wrap(add(CapturedPackets.IPV6_UDP)).version(4);

        input.process(burst);

        assertDropped(0, IpDropReason.UNHANDLED_PROTO);
        assertCounters(1, 1, 0);
    }

    @Test
    void shouldDropMulticastSource()
    {
        ipv6.wrap(add(CapturedPackets.IPV6_UDP)).srcAddress(0xff02_0000_0000_0000L, 1);

        input.process(burst);

        assertDropped(0, IpDropReason.IP_INHDR);
        assertCounters(1, 1, 0);
    }

    @Test
    void shouldDropLoopbackSourceOrDestinationArrivingFromTheWire()
    {
        ipv6.wrap(add(CapturedPackets.IPV6_UDP)).srcAddress(0, 1);
        ipv6.wrap(add(CapturedPackets.IPV6_UDP)).dstAddress(0, 1);

        input.process(burst);

        assertDropped(0, IpDropReason.IP_INHDR);
        assertDropped(1, IpDropReason.IP_INHDR);
        assertCounters(2, 2, 0);
    }

    @Test
    void shouldDropInterfaceLocalAndReservedScopeMulticastDestinations()
    {
        ipv6.wrap(add(CapturedPackets.IPV6_UDP)).dstAddress(0xff01_0000_0000_0000L, 1);
        ipv6.wrap(add(CapturedPackets.IPV6_UDP)).dstAddress(0xff00_0000_0000_0000L, 1);
        ipv6.wrap(add(CapturedPackets.IPV6_UDP)).dstAddress(0xff02_0000_0000_0000L, 1);
        ipv6.wrap(add(CapturedPackets.IPV6_UDP)).dstAddress(0xff0e_0000_0000_0000L, 0x101);

        assertEquals(2, input.process(burst));

        assertDropped(0, IpDropReason.IP_INHDR);
        assertDropped(1, IpDropReason.IP_INHDR);
        assertEquals(Verdict.ACCEPT, burst.verdict[2]);
        assertEquals(Verdict.ACCEPT, burst.verdict[3]);
        assertCounters(4, 2, 0);
    }

    @Test
    void shouldDropPacketWhosePayloadLengthExceedsTheFrame()
    {
        ipv6.wrap(add(CapturedPackets.IPV6_UDP)).payloadLength(26);

        input.process(burst);

        assertDropped(0, IpDropReason.PKT_TOO_SMALL);
        assertCounters(1, 0, 1);
    }

    @Test
    void shouldAcceptEmptyPayloadWithNoNextHeader()
    {
        ipv6.wrap(add(CapturedPackets.IPV6_UDP)).payloadLength(0).nextHeader(IpProtocol.IPV6_NONXT);

        assertEquals(1, input.process(burst));

        assertEquals(ETHERNET + 40, burst.length[0]);
    }

    @Test
    void shouldDropJumbogramThatNoFrameCanHold()
    {
        ipv6.wrap(add(CapturedPackets.IPV6_UDP)).payloadLength(0).nextHeader(IpProtocol.HOPOPT);

        input.process(burst);

        assertDropped(0, IpDropReason.IP_INHDR);
        assertCounters(1, 1, 0);
    }

    @Test
    void shouldNotCheckHopLimitAtInput()
    {
        final long header = add(CapturedPackets.IPV6_UDP);
        ipv6.wrap(header).hopLimit(0);

        assertEquals(1, input.process(burst));

        assertEquals(0, Memory.getUnsignedByte(header + Ipv6Flyweight.HOP_LIMIT_OFFSET));
    }

    @Test
    void shouldLeaveIpv4PacketsAlone()
    {
        add(CapturedPackets.IPV6_UDP);
        burst.etherType[0] = EthernetFlyweight.ETHER_TYPE_IPV4;

        assertEquals(0, input.process(burst));

        assertEquals(Verdict.ACCEPT, burst.verdict[0]);
        assertCounters(0, 0, 0);
    }
}
