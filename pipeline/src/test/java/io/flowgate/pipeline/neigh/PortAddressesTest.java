package io.flowgate.pipeline.neigh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PortAddressesTest
{
    @Test
    void shouldDeriveTheLinkLocalAddressFromTheMacAsLinuxDoes()
    {
        // ip link: 52:54:00:12:34:56 -> inet6 fe80::5054:ff:fe12:3456/64 (the universal/local bit inverted)
        final PortAddresses addresses = new PortAddresses(0, 0x5254_0012_3456L, 1).addLinkLocal();
        assertEquals(0xFE80_0000_0000_0000L, addresses.ipv6Hi(0));
        assertEquals(0x5054_00FF_FE12_3456L, addresses.ipv6Lo(0));
        assertEquals(0x0000_00FF_FE00_0001L, PortAddresses.eui64(0x0200_0000_0001L));
    }

    @Test
    void shouldRecogniseLinkLocalAddresses()
    {
        assertTrue(PortAddresses.isLinkLocal(0xFE80_0000_0000_0000L));
        assertTrue(PortAddresses.isLinkLocal(0xFEBF_FFFF_0000_0000L));
        assertFalse(PortAddresses.isLinkLocal(0xFEC0_0000_0000_0000L));
        assertFalse(PortAddresses.isLinkLocal(0xFD00_0001_0000_0000L));
    }
}
