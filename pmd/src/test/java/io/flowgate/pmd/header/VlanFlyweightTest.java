package io.flowgate.pmd.header;

import java.lang.foreign.Arena;

import io.flowgate.pmd.testing.CapturedPackets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VlanFlyweightTest
{
    private final Arena arena = Arena.ofConfined();
    private final VlanFlyweight vlan = new VlanFlyweight();

    @AfterEach
    void close()
    {
        arena.close();
    }

    @Test
    void shouldReadEveryFieldOfTaggedFrame()
    {
        final long frame = CapturedPackets.load(arena, CapturedPackets.TCP_ACK_VLAN_100);

        vlan.wrap(frame + EthernetFlyweight.HEADER_LENGTH);

        assertEquals(0xA064, vlan.tci());
        assertEquals(5, vlan.pcp());
        assertFalse(vlan.dei());
        assertEquals(100, vlan.vid());
        assertEquals(EthernetFlyweight.ETHER_TYPE_IPV4, vlan.etherType());
        assertEquals(frame + 18, vlan.payloadAddress());
        assertEquals(100, VlanFlyweight.getVid(frame + 14));
        assertEquals(0xA064, VlanFlyweight.getTci(frame + 14));
        assertEquals(EthernetFlyweight.ETHER_TYPE_IPV4, VlanFlyweight.getEtherType(frame + 14));
        assertEquals(4, new Ipv4Flyweight().wrap(vlan.payloadAddress()).version());
    }

    @Test
    void shouldSetEachTciFieldWithoutDisturbingTheOthers()
    {
        final long tag = CapturedPackets.load(arena, CapturedPackets.TCP_ACK_VLAN_100) + 14;
        vlan.wrap(tag);

        vlan.dei(true);
        assertEquals(5, vlan.pcp());
        assertTrue(vlan.dei());
        assertEquals(100, vlan.vid());

        vlan.pcp(7).vid(0xFFF);
        assertEquals(7, vlan.pcp());
        assertTrue(vlan.dei());
        assertEquals(0xFFF, vlan.vid());

        vlan.pcp(0).dei(false).vid(1);
        assertEquals(0x0001, vlan.tci());
        assertEquals(EthernetFlyweight.ETHER_TYPE_IPV4, vlan.etherType());

        vlan.vid(0x1234);
        assertEquals(0x234, vlan.vid());
        assertEquals(0, vlan.pcp());
    }
}
