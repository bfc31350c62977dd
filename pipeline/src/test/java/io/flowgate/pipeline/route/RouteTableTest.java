package io.flowgate.pipeline.route;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static io.flowgate.pipeline.route.Ipv4LpmTest.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RouteTableTest
{
    private final RouteTable routes = new RouteTable(new Ipv4Lpm(16), new Ipv6Lpm(64), new NextHopTable(64, 8));
    private final NextHopTable nextHops = routes.nextHops();

    @AfterEach
    void close()
    {
        routes.close();
    }

    @Test
    void shouldRouteOutOfAConnectedNetworkWithoutGateway()
    {
        routes.addConnected("192.0.2.0/24", 1);

        final int nextHop = nextHops.select(routes.lookup("192.0.2.77"), 0);

        assertTrue(nextHops.isConnected(nextHop));
        assertEquals(1, nextHops.port(nextHop));
        assertEquals(-1, routes.lookup("198.51.100.1"));
    }

    @Test
    void shouldRouteViaAGatewayOutOfThePortOfItsConnectedNetwork()
    {
        routes.addConnected("192.0.2.0/24", 1);
        routes.addConnected("192.0.2.128/25", 2);
        routes.addStatic("0.0.0.0/0", "192.0.2.200");

        final int nextHop = nextHops.select(routes.lookup("203.0.113.9"), 0);

        assertEquals(ip(192, 0, 2, 200), nextHops.gatewayIpv4(nextHop));
        assertEquals(2, nextHops.port(nextHop), "the longest connected route holding the gateway");
    }

    @Test
    void shouldRefuseAGatewayOutsideEveryConnectedNetwork()
    {
        routes.addConnected("192.0.2.0/24", 1);

        assertThrows(IllegalArgumentException.class, () -> routes.addStatic("10.0.0.0/8", "198.51.100.1"));
        assertThrows(IllegalArgumentException.class, () -> routes.addStatic("10.0.0.0/8", "2001:db8::1"));
        assertEquals(1, routes.routes().size());
    }

    @Test
    void shouldSpreadFlowsOverTheGatewaysOfAnEcmpRoute()
    {
        routes.addConnected("192.0.2.0/24", 1);
        routes.addConnected("198.51.100.0/24", 2);
        routes.addStatic("10.0.0.0/8", "192.0.2.1", "198.51.100.1");

        final int id = routes.lookup("10.20.30.40");
        final Set<Integer> gateways = new HashSet<>();
        final Set<Integer> ports = new HashSet<>();
        for (int hash = 0; hash < 64; hash++)
        {
            final int nextHop = nextHops.select(id, hash * 0x9E3779B9);
            gateways.add(nextHops.gatewayIpv4(nextHop));
            ports.add(nextHops.port(nextHop));
        }

        assertEquals(Set.of(ip(192, 0, 2, 1), ip(198, 51, 100, 1)), gateways);
        assertEquals(Set.of(1, 2), ports);
    }

    @Test
    void shouldRouteIpv6ViaALinkLocalGateway()
    {
        routes.addConnected("fe80::/64", 3);
        routes.addConnected("2001:db8:1::/64", 4);
        routes.addStatic("::/0", "fe80::1");

        final int viaGateway = nextHops.select(routes.lookup("2001:db8:ffff::1"), 0);
        final int connected = nextHops.select(routes.lookup("2001:db8:1::9"), 0);

        assertEquals(0xFE80_0000_0000_0000L, nextHops.gatewayIpv6Hi(viaGateway));
        assertEquals(1, nextHops.gatewayIpv6Lo(viaGateway));
        assertEquals(3, nextHops.port(viaGateway));
        assertTrue(nextHops.isConnected(connected));
        assertEquals(4, nextHops.port(connected));
    }

    @Test
    void shouldReplaceARouteForTheSamePrefixAndReleaseItsOldNextHop()
    {
        routes.addConnected("192.0.2.0/24", 1);
        routes.addStatic("10.0.0.0/8", "192.0.2.1");
        assertEquals(2, nextHops.nextHopsInUse());

        routes.addStatic("10.0.0.0/8", "192.0.2.2");

        assertEquals(ip(192, 0, 2, 2), nextHops.gatewayIpv4(routes.lookup("10.1.1.1")));
        assertEquals(2, nextHops.nextHopsInUse(), "the next hop via 192.0.2.1 was released");
        assertEquals(2, routes.routes().size());
    }

    @Test
    void shouldFallBackToTheCoveringRouteWhenARouteIsDeleted()
    {
        routes.addConnected("192.0.2.0/24", 1);
        routes.addStatic("0.0.0.0/0", "192.0.2.1");
        routes.addStatic("10.0.0.0/8", "192.0.2.2");

        assertTrue(routes.delete("10.0.0.0/8"));
        assertFalse(routes.delete("10.0.0.0/8"));

        assertEquals(ip(192, 0, 2, 1), nextHops.gatewayIpv4(routes.lookup("10.1.1.1")));
        assertNull(routes.route("10.0.0.0/8"));
        assertEquals(1, routes.reclaim(), "the next hop via 192.0.2.2");
    }

    @Test
    void shouldKeepTheOldRouteWhenTheLpmTableIsFull()
    {
        final RouteTable tiny = new RouteTable(new Ipv4Lpm(0), new Ipv6Lpm(0), new NextHopTable(8, 1));
        try
        {
            tiny.addConnected("192.0.2.0/24", 1);
            assertThrows(Tbl8ExhaustedException.class, () -> tiny.addConnected("198.51.100.0/25", 2));

            assertEquals(1, tiny.routes().size());
            assertEquals(1, tiny.nextHops().nextHopsInUse(), "the next hop made for the refused route was released");
            assertEquals(-1, tiny.lookup("198.51.100.1"));
        }
        finally
        {
            tiny.close();
        }
    }

    @Test
    void shouldListRoutesInOrderAsIpRoutePrintsThem()
    {
        routes.addConnected("fe80::/64", 3);
        routes.addConnected("192.0.2.0/24", 1);
        routes.addConnected("198.51.100.0/24", 2);
        routes.addStatic("2001:db8::/32", "fe80::1");
        routes.addStatic("10.0.0.0/8", "198.51.100.1", "192.0.2.1");
        routes.addStatic("0.0.0.0/0", "192.0.2.254");

        final List<String> listed = routes.routes().stream().map(RouteTable.Route::toString).toList();

        assertEquals(List.of(
            "0.0.0.0/0 via 192.0.2.254 port 1",
            "10.0.0.0/8 nexthop via 198.51.100.1 port 2 nexthop via 192.0.2.1 port 1",
            "192.0.2.0/24 port 1 scope link",
            "198.51.100.0/24 port 2 scope link",
            "2001:db8::/32 via fe80::1 port 3",
            "fe80::/64 port 3 scope link"), listed);
    }

    @Test
    void shouldRefuseMalformedRoutes()
    {
        assertThrows(IllegalArgumentException.class, () -> routes.addConnected("10.1.0.0/8", 1));
        assertThrows(IllegalArgumentException.class, () -> routes.addConnected("10/8", 1));
        assertThrows(IllegalArgumentException.class, () -> routes.addConnected("10.0.0.0/8", -1));
        assertThrows(IllegalArgumentException.class, () -> routes.addStatic("10.0.0.0/8"));
        assertThrows(IllegalArgumentException.class, () -> routes.add(new RouteTable.Route(
            IpPrefix.parse("10.0.0.0/8"), RouteTable.Kind.STATIC, List.of(new RouteTable.Via(null, 1)))));
        assertTrue(routes.routes().isEmpty());
        assertEquals(0, nextHops.nextHopsInUse());
    }
}
