package io.flowgate.pmd.header;

import java.lang.foreign.Arena;

import io.flowgate.pmd.testing.CapturedPackets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.flowgate.pmd.testing.CapturedPackets.MAC_A;
import static io.flowgate.pmd.testing.CapturedPackets.MAC_B;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class EthernetFlyweightTest
{
    private final Arena arena = Arena.ofConfined();
    private final EthernetFlyweight ethernet = new EthernetFlyweight();

    @AfterEach
    void close()
    {
        arena.close();
    }

    @Test
    void shouldReadAddressesAndEtherTypeOfCapturedArpRequest()
    {
        final long frame = CapturedPackets.load(arena, CapturedPackets.ARP_REQUEST);

        ethernet.wrap(frame);

        assertEquals(EthernetFlyweight.BROADCAST_MAC, ethernet.dstMac());
        assertEquals(MAC_A, ethernet.srcMac());
        assertEquals(EthernetFlyweight.ETHER_TYPE_ARP, ethernet.etherType());
        assertEquals(frame + 14, ethernet.payloadAddress());
        assertEquals(MAC_A, EthernetFlyweight.getSrcMac(frame));
        assertEquals(EthernetFlyweight.ETHER_TYPE_ARP, EthernetFlyweight.getEtherType(frame));
    }

    @Test
    void shouldWriteHeaderThatReadsBackAsCapturedBytes()
    {
        final byte[] captured = CapturedPackets.bytes(CapturedPackets.ICMP_ECHO_REQUEST);
        final long frame = CapturedPackets.load(arena, new byte[captured.length]);

        ethernet.wrap(frame).dstMac(MAC_B).srcMac(MAC_A).etherType(EthernetFlyweight.ETHER_TYPE_IPV4);

        assertArrayEquals(CapturedPackets.slice(captured, 0, 14), CapturedPackets.read(frame, 14));
        assertEquals(MAC_B, ethernet.dstMac());
        assertEquals(MAC_A, ethernet.srcMac());
    }

    @Test
    void shouldLeaveNeighbouringBytesAloneWhenWritingMacs()
    {
        final long frame = CapturedPackets.load(arena, CapturedPackets.TCP_SYN);

        EthernetFlyweight.putDstMac(frame, 0xFFFF_0000_0000_0001L);
        EthernetFlyweight.putSrcMac(frame, 0x0000_0000_0000L);

        assertEquals(0x0000_0000_0001L, EthernetFlyweight.getDstMac(frame));
        assertEquals(0L, EthernetFlyweight.getSrcMac(frame));
        assertEquals(EthernetFlyweight.ETHER_TYPE_IPV4, EthernetFlyweight.getEtherType(frame));
    }

    @Test
    void shouldFindPayloadBehindOneVlanTag()
    {
        final long frame = CapturedPackets.load(arena, CapturedPackets.TCP_ACK_VLAN_100);

        assertEquals(EthernetFlyweight.ETHER_TYPE_VLAN, ethernet.wrap(frame).etherType());
        assertEquals(18, EthernetFlyweight.payloadOffset(frame));
        assertEquals(EthernetFlyweight.ETHER_TYPE_IPV4, EthernetFlyweight.payloadEtherType(frame));
    }

    @Test
    void shouldFindPayloadOfUntaggedFrameAtFourteen()
    {
        final long frame = CapturedPackets.load(arena, CapturedPackets.IPV6_UDP);

        assertEquals(14, EthernetFlyweight.payloadOffset(frame));
        assertEquals(EthernetFlyweight.ETHER_TYPE_IPV6, EthernetFlyweight.payloadEtherType(frame));
    }

    @Test
    void shouldFindPayloadBehindQinQTags()
    {
        final long frame = CapturedPackets.load(arena, new byte[64]);
        ethernet.wrap(frame).etherType(EthernetFlyweight.ETHER_TYPE_QINQ);
        new VlanFlyweight().wrap(frame + 14).vid(10).etherType(EthernetFlyweight.ETHER_TYPE_VLAN);
        new VlanFlyweight().wrap(frame + 18).vid(20).etherType(EthernetFlyweight.ETHER_TYPE_IPV6);

        assertEquals(22, EthernetFlyweight.payloadOffset(frame));
        assertEquals(EthernetFlyweight.ETHER_TYPE_IPV6, EthernetFlyweight.payloadEtherType(frame));
    }

    @Test
    void shouldStopSkippingAfterTwoTags()
    {
        final long frame = CapturedPackets.load(arena, new byte[64]);
        ethernet.wrap(frame).etherType(EthernetFlyweight.ETHER_TYPE_VLAN);
        new VlanFlyweight().wrap(frame + 14).etherType(EthernetFlyweight.ETHER_TYPE_VLAN);
        new VlanFlyweight().wrap(frame + 18).etherType(EthernetFlyweight.ETHER_TYPE_VLAN);
        new VlanFlyweight().wrap(frame + 22).etherType(EthernetFlyweight.ETHER_TYPE_IPV4);

        assertEquals(22, EthernetFlyweight.payloadOffset(frame));
        assertEquals(EthernetFlyweight.ETHER_TYPE_VLAN, EthernetFlyweight.payloadEtherType(frame));
    }

    @Test
    void shouldFormatAndParseMacAddresses()
    {
        assertEquals("76:b5:60:de:61:46", EthernetFlyweight.macToString(MAC_A));
        assertEquals("00:00:00:00:00:01", EthernetFlyweight.macToString(1L));
        assertEquals(MAC_B, EthernetFlyweight.parseMac("32:fa:09:2a:c6:28"));
        assertEquals(MAC_B, EthernetFlyweight.parseMac("32-FA-09-2A-C6-28"));
        assertEquals(EthernetFlyweight.BROADCAST_MAC, EthernetFlyweight.parseMac("ff:ff:ff:ff:ff:ff"));
    }

    @Test
    void shouldRejectMalformedMacAddresses()
    {
        assertThrows(IllegalArgumentException.class, () -> EthernetFlyweight.parseMac("32:fa:09:2a:c6"));
        assertThrows(IllegalArgumentException.class, () -> EthernetFlyweight.parseMac("32:fa:09:2a:c6:2g"));
        assertThrows(IllegalArgumentException.class, () -> EthernetFlyweight.parseMac("32:fa:09:2a:c6.28"));
        assertThrows(IllegalArgumentException.class, () -> EthernetFlyweight.parseMac("32:fa:09:2a:c6:28:"));
    }
}
