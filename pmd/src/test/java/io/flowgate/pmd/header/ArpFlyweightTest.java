package io.flowgate.pmd.header;

import java.lang.foreign.Arena;

import io.flowgate.pmd.testing.CapturedPackets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.flowgate.pmd.testing.CapturedPackets.IPV4_A;
import static io.flowgate.pmd.testing.CapturedPackets.IPV4_B;
import static io.flowgate.pmd.testing.CapturedPackets.MAC_A;
import static io.flowgate.pmd.testing.CapturedPackets.MAC_B;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ArpFlyweightTest
{
    private final Arena arena = Arena.ofConfined();
    private final ArpFlyweight arp = new ArpFlyweight();

    @AfterEach
    void close()
    {
        arena.close();
    }

    @Test
    void shouldReadEveryFieldOfCapturedRequest()
    {
        final long frame = CapturedPackets.load(arena, CapturedPackets.ARP_REQUEST);

        arp.wrap(frame + EthernetFlyweight.HEADER_LENGTH);

        assertEquals(ArpFlyweight.HARDWARE_TYPE_ETHERNET, arp.hardwareType());
        assertEquals(ArpFlyweight.PROTOCOL_TYPE_IPV4, arp.protocolType());
        assertEquals(6, arp.hardwareLength());
        assertEquals(4, arp.protocolLength());
        assertTrue(arp.isEthernetIpv4());
        assertEquals(ArpFlyweight.OPERATION_REQUEST, arp.operation());
        assertEquals(MAC_A, arp.senderMac());
        assertEquals(IPV4_A, arp.senderIp());
        assertEquals(0L, arp.targetMac());
        assertEquals(IPV4_B, arp.targetIp());
    }

    @Test
    void shouldAnswerRequestInPlaceWithTheBytesLinuxSent()
    {
        final long frame = CapturedPackets.load(arena, CapturedPackets.ARP_REQUEST);
        final EthernetFlyweight ethernet = new EthernetFlyweight().wrap(frame);
        arp.wrap(ethernet.payloadAddress());

        final long requesterMac = arp.senderMac();
        final int requesterIp = arp.senderIp();
        final int targetIp = arp.targetIp();
        ethernet.dstMac(requesterMac).srcMac(MAC_B);
        arp.operation(ArpFlyweight.OPERATION_REPLY)
            .senderMac(MAC_B)
            .senderIp(targetIp)
            .targetMac(requesterMac)
            .targetIp(requesterIp);

        assertArrayEquals(CapturedPackets.bytes(CapturedPackets.ARP_REPLY), CapturedPackets.read(frame, 42));
    }

    @Test
    void shouldBuildRequestFromNothing()
    {
        final long packet = CapturedPackets.load(arena, new byte[ArpFlyweight.HEADER_LENGTH]);

        arp.wrap(packet).ethernetIpv4()
            .operation(ArpFlyweight.OPERATION_REQUEST)
            .senderMac(MAC_A)
            .senderIp(IPV4_A)
            .targetMac(0)
            .targetIp(IPV4_B);

        final byte[] request = CapturedPackets.bytes(CapturedPackets.ARP_REQUEST);
        assertArrayEquals(CapturedPackets.slice(request, 14, 28), CapturedPackets.read(packet, 28));
    }

    @Test
    void shouldNotTakeOtherHardwareOrProtocolForEthernetIpv4()
    {
        final long packet = CapturedPackets.load(arena, CapturedPackets.ARP_REQUEST) + 14;
        arp.wrap(packet);

        assertFalse(arp.hardwareLength(8).isEthernetIpv4());
        assertFalse(arp.hardwareLength(6).protocolType(EthernetFlyweight.ETHER_TYPE_IPV6).isEthernetIpv4());
        assertFalse(arp.protocolType(ArpFlyweight.PROTOCOL_TYPE_IPV4).hardwareType(6).isEthernetIpv4());
        assertFalse(arp.hardwareType(1).protocolLength(16).isEthernetIpv4());
        assertTrue(arp.protocolLength(4).isEthernetIpv4());
    }
}
