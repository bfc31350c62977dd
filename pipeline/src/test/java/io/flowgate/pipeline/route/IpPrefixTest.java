package io.flowgate.pipeline.route;

import org.junit.jupiter.api.Test;

import static io.flowgate.pipeline.route.Ipv4LpmTest.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IpPrefixTest
{
    @Test
    void shouldParseIpv4PrefixesAndBareAddresses()
    {
        assertEquals(IpPrefix.ofIpv4(ip(10, 0, 0, 0), 8), IpPrefix.parse("10.0.0.0/8"));
        assertEquals(IpPrefix.ofIpv4(0, 0), IpPrefix.parse("0.0.0.0/0"));
        assertEquals(IpPrefix.ofIpv4(ip(192, 0, 2, 1), 32), IpPrefix.parse("192.0.2.1"));
        assertEquals(IpPrefix.ofIpv4(ip(255, 255, 255, 255), 32), IpPrefix.parse("255.255.255.255/32"));
    }

    @Test
    void shouldParseIpv6TextualForms()
    {
        final IpPrefix db8 = IpPrefix.ofIpv6(0x2001_0DB8_0000_0000L, 0, 32);

        assertEquals(db8, IpPrefix.parse("2001:db8::/32"));
        assertEquals(db8, IpPrefix.parse("2001:0DB8:0000:0000::/32"));
        assertEquals(db8, IpPrefix.parse("2001:db8:0:0:0:0:0:0/32"));
        assertEquals(IpPrefix.ofIpv6(0, 0, 0), IpPrefix.parse("::/0"));
        assertEquals(IpPrefix.ofIpv6(0, 1, 128), IpPrefix.parse("::1"));
        assertEquals(IpPrefix.ofIpv6(0xFE80_0000_0000_0000L, 0x0200_5EFF_FE00_5301L, 128), IpPrefix.parse("fe80::200:5eff:fe00:5301"));
        assertEquals(IpPrefix.ofIpv6(0, 0xFFFF_C000_0201L, 128), IpPrefix.parse("::ffff:192.0.2.1"), "IPv4-mapped stays IPv6");
        assertEquals(IpPrefix.ofIpv6(0x0064_FF9B_0000_0000L, 0xC000_0201L, 128), IpPrefix.parse("64:ff9b::192.0.2.1"));
    }

    @Test
    void shouldPrintIpv6AsRfc5952()
    {
        assertEquals("2001:db8::/32", IpPrefix.parse("2001:0DB8:0000:0000:0000:0000:0000:0000/32").toString());
        assertEquals("::/0", IpPrefix.parse("::/0").toString());
        assertEquals("::1/128", IpPrefix.parse("::1").toString());
        assertEquals("fe80::1/128", IpPrefix.parse("fe80:0:0:0:0:0:0:1").toString());
        assertEquals("2001:db8:0:1:1:1:1:1/128", IpPrefix.parse("2001:db8:0:1:1:1:1:1").toString(), "a lone zero group stays");
        assertEquals("2001:0:0:1::1/128", IpPrefix.parse("2001:0:0:1:0:0:0:1").toString(), "the longer zero run wins");
        assertEquals("2001:db8::1:0:0:1/128", IpPrefix.parse("2001:db8:0:0:1:0:0:1").toString(), "the first of equal runs");
        assertEquals("1::/16", IpPrefix.parse("1::/16").toString());
        assertEquals("10.0.0.0/8", IpPrefix.parse("10.0.0.0/8").toString());
    }

    @Test
    void shouldRefuseHostBitsBeyondTheLengthLikeIpRoute()
    {
        final IllegalArgumentException ex =
            assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse("10.1.0.0/8"));

        assertTrue(ex.getMessage().contains("10.0.0.0/8"), ex.getMessage());
        assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse("2001:db8::1/64"));
    }

    @Test
    void shouldRefuseWhatIsNotALiteralAddressOrLength()
    {
        for (final String text : new String[]{
            "10/8", "10.1/16", "10.0.0/24", "256.0.0.0/8", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8",
            "localhost", "example.com/24", "fe80::1%eth0", "2001:db8::/129", "2001:db8:::/32", "", "0x0A000000/8"})
        {
            assertThrows(IllegalArgumentException.class, () -> IpPrefix.parse(text), text);
        }
    }

    @Test
    void shouldTellWhetherAnAddressLiesInsideAPrefix()
    {
        final IpPrefix net = IpPrefix.parse("192.0.2.0/24");

        assertTrue(net.contains(IpPrefix.parse("192.0.2.77")));
        assertTrue(net.contains(IpPrefix.parse("192.0.2.128/25")));
        assertFalse(net.contains(IpPrefix.parse("192.0.3.1")));
        assertFalse(net.contains(IpPrefix.parse("192.0.0.0/16")));
        assertFalse(net.contains(IpPrefix.parse("::ffff:192.0.2.77")), "another family");
        assertTrue(IpPrefix.parse("::/0").contains(IpPrefix.parse("2001:db8::1")));
    }
}
