package io.flowgate.pipeline.route;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The routing table of the control plane: connected routes (prefix out of a port) and static routes (prefix via
 * one gateway, or several for ECMP), kept on heap and compiled into the {@link Ipv4Lpm}, {@link Ipv6Lpm} and
 * {@link NextHopTable} that the data path reads.
 * <p>
 * Usage:
 * <pre>
 *   routes.addConnected("192.0.2.0/24", 0);
 *   routes.addStatic("0.0.0.0/0", "192.0.2.1");                 // port found through the connected route
 *   routes.addStatic("2001:db8::/32", "fe80::1", "fe80::2");     // ECMP, once fe80::/64 is connected
 *   // data path: id = ipv4().lookup(dst); nextHop = nextHops().select(id, flowHash); nextHops().port(nextHop)
 * </pre>
 * Adding a route for a prefix that exists replaces it ({@code ip route replace}). A static route's gateway must
 * lie in a connected network, as Linux requires without {@code onlink}; its egress port is taken from the
 * longest such connected route when the static route is added.
 * <p>
 * NOTE: as in Linux, deleting a connected route leaves the static routes resolved through it in place, with the
 * port they were resolved to.
 * <p>
 * Thread-safety: one control thread calls every method here; data-path threads only read the three tables
 * (see {@link Ipv4Lpm} for the ordering). {@link #reclaim()} must run at a quiescent point.
 * <p>
 * Shutdown: {@link #close()} unmaps the LPM tables; call it only when no worker can look up any more.
 */
public final class RouteTable implements AutoCloseable
{
    public enum Kind
    {
        CONNECTED,
        STATIC
    }

    /** One way out: a gateway ({@code null} when directly connected) and an egress port. */
    public record Via(IpPrefix gateway, int port)
    {
        @Override
        public String toString()
        {
            return (gateway == null ? "" : "via " + gateway.addressText() + " ") + "port " + port;
        }
    }

    /** A route as configured; printed as {@code ip route} would. */
    public record Route(IpPrefix prefix, Kind kind, List<Via> via)
    {
        public Route
        {
            via = List.copyOf(via);
        }

        @Override
        public String toString()
        {
            if (kind == Kind.CONNECTED)
            {
                return prefix + " " + via.getFirst() + " scope link";
            }
            if (via.size() == 1)
            {
                return prefix + " " + via.getFirst();
            }
            final StringBuilder text = new StringBuilder(prefix.toString());
            for (final Via v : via)
            {
                text.append(" nexthop ").append(v);
            }
            return text.toString();
        }
    }

    private record Installed(Route route, int nextHopId)
    {
    }

    private static final Comparator<IpPrefix> ORDER = Comparator
        .comparing(IpPrefix::ipv6)
        .thenComparing(IpPrefix::hi, Long::compareUnsigned)
        .thenComparing(IpPrefix::lo, Long::compareUnsigned)
        .thenComparingInt(IpPrefix::length);

    private final Ipv4Lpm ipv4;
    private final Ipv6Lpm ipv6;
    private final NextHopTable nextHops;
    private final Map<IpPrefix, Installed> routes = new HashMap<>();

    public RouteTable(final Ipv4Lpm ipv4, final Ipv6Lpm ipv6, final NextHopTable nextHops)
    {
        this.ipv4 = ipv4;
        this.ipv6 = ipv6;
        this.nextHops = nextHops;
    }

    public Ipv4Lpm ipv4()
    {
        return ipv4;
    }

    public Ipv6Lpm ipv6()
    {
        return ipv6;
    }

    public NextHopTable nextHops()
    {
        return nextHops;
    }

    /** {@code prefix} is directly reachable out of {@code port}. */
    public void addConnected(final String prefix, final int port)
    {
        add(new Route(IpPrefix.parse(prefix), Kind.CONNECTED, List.of(new Via(null, port))));
    }

    /** {@code prefix} via {@code gateways} (ECMP when more than one), each on a connected network. */
    public void addStatic(final String prefix, final String... gateways)
    {
        final List<Via> via = new ArrayList<>(gateways.length);
        for (final String gateway : gateways)
        {
            final IpPrefix address = IpPrefix.parseAddress(gateway);
            via.add(new Via(address, connectedPortOf(address)));
        }
        add(new Route(IpPrefix.parse(prefix), Kind.STATIC, via));
    }

    /**
     * Installs {@code route}, replacing any route for the same prefix.
     *
     * @throws Tbl8ExhaustedException when the LPM table has no room; the old route, if any, stays.
     */
    public void add(final Route route)
    {
        final IpPrefix prefix = route.prefix().masked();
        validate(route, prefix);

        final int id = acquireNextHop(prefix.ipv6(), route.via());
        try
        {
            if (prefix.ipv6())
            {
                ipv6.add(prefix.hi(), prefix.lo(), prefix.length(), id);
            }
            else
            {
                ipv4.add(prefix.ipv4Address(), prefix.length(), id);
            }
        }
        catch (final RuntimeException ex)
        {
            nextHops.release(id);
            throw ex;
        }
        final Installed previous = routes.put(prefix, new Installed(new Route(prefix, route.kind(), route.via()), id));
        if (previous != null)
        {
            nextHops.release(previous.nextHopId());
        }
    }

    /** Deletes the route for exactly {@code prefix}; false when there is none. */
    public boolean delete(final String prefix)
    {
        return delete(IpPrefix.parse(prefix));
    }

    public boolean delete(final IpPrefix prefix)
    {
        final IpPrefix key = prefix.masked();
        final Installed installed = routes.remove(key);
        if (installed == null)
        {
            return false;
        }
        if (key.ipv6())
        {
            ipv6.delete(key.hi(), key.lo(), key.length());
        }
        else
        {
            ipv4.delete(key.ipv4Address(), key.length());
        }
        nextHops.release(installed.nextHopId());
        return true;
    }

    /** The route for exactly {@code prefix}, or null. */
    public Route route(final String prefix)
    {
        final Installed installed = routes.get(IpPrefix.parse(prefix).masked());
        return installed == null ? null : installed.route();
    }

    /** Every route, IPv4 first, in address then length order. */
    public List<Route> routes()
    {
        final List<Route> list = new ArrayList<>(routes.size());
        for (final Installed installed : routes.values())
        {
            list.add(installed.route());
        }
        list.sort(Comparator.comparing(Route::prefix, ORDER));
        return list;
    }

    /** What the data path would answer for {@code address} ({@code ip route get}): a next-hop or group id, or -1. */
    public int lookup(final String address)
    {
        final IpPrefix a = IpPrefix.parseAddress(address);
        return a.ipv6() ? ipv6.lookup(a.hi(), a.lo()) : ipv4.lookup(a.ipv4Address());
    }

    /**
     * Makes tbl8 groups and next-hop ids freed by deletes and replacements reusable. Call only at a quiescent
     * point: no worker may still be inside a lookup, or hold a next-hop id, from before those changes.
     *
     * @return the number of groups and ids reclaimed.
     */
    public int reclaim()
    {
        return ipv4.reclaim() + ipv6.reclaim() + nextHops.reclaim();
    }

    public void close()
    {
        ipv4.close();
        ipv6.close();
    }

    private int connectedPortOf(final IpPrefix gateway)
    {
        Installed best = null;
        for (final Installed installed : routes.values())
        {
            final Route route = installed.route();
            if (route.kind() == Kind.CONNECTED && route.prefix().contains(gateway) &&
                (best == null || route.prefix().length() > best.route().prefix().length()))
            {
                best = installed;
            }
        }
        if (best == null)
        {
            throw new IllegalArgumentException(
                "gateway " + gateway.addressText() + " is not on a connected network (Linux: Nexthop has invalid gateway)");
        }
        return best.route().via().getFirst().port();
    }

    private static void validate(final Route route, final IpPrefix prefix)
    {
        final List<Via> via = route.via();
        if (via.isEmpty() || via.size() > NextHopTable.MAX_GROUP_SIZE)
        {
            throw new IllegalArgumentException("a route has 1.." + NextHopTable.MAX_GROUP_SIZE + " next hops: " + route);
        }
        if (route.kind() == Kind.CONNECTED && (via.size() != 1 || via.getFirst().gateway() != null))
        {
            throw new IllegalArgumentException("a connected route has one port and no gateway: " + route);
        }
        for (final Via v : via)
        {
            if (route.kind() == Kind.STATIC && v.gateway() == null)
            {
                throw new IllegalArgumentException("a static route needs a gateway for every next hop: " + route);
            }
            if (v.gateway() != null && (v.gateway().ipv6() != prefix.ipv6() || v.gateway().length() != (prefix.ipv6() ? 128 : 32)))
            {
                throw new IllegalArgumentException("gateway must be an address of the route's family: " + route);
            }
            if (v.port() < 0)
            {
                throw new IllegalArgumentException("egress port must be >= 0: " + route);
            }
        }
    }

    /** One reference to the next hop, or to the ECMP group, of {@code via}. */
    private int acquireNextHop(final boolean isIpv6, final List<Via> via)
    {
        final int[] ids = new int[via.size()];
        int acquired = 0;
        try
        {
            for (final Via v : via)
            {
                final IpPrefix gateway = v.gateway();
                ids[acquired] = isIpv6 ?
                    nextHops.ipv6(gateway == null ? 0 : gateway.hi(), gateway == null ? 0 : gateway.lo(), v.port()) :
                    nextHops.ipv4(gateway == null ? 0 : gateway.ipv4Address(), v.port());
                acquired++;
            }
            return nextHops.group(ids);
        }
        catch (final RuntimeException ex)
        {
            for (int i = 0; i < acquired; i++)
            {
                nextHops.release(ids[i]);
            }
            throw ex;
        }
    }
}
