package io.flowgate.app.config;

import io.flowgate.conntrack.ConntrackConfig;
import io.flowgate.pipeline.nat.NatConfig;
import io.flowgate.pipeline.rules.model.Ruleset;
import io.flowgate.xdp.bpf.XdpMode;
import io.flowgate.xdp.xsk.XskConfig;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;

/**
 * A validated configuration (see docs/configuration.md). Immutable; built only by {@link ConfigLoader}.
 *
 * @param eal        EAL arguments besides the devices (which come from the ports).
 * @param dispatch   how packets reach workers.
 * @param workers    one worker per CPU listed.
 * @param dispatcher the dispatcher's CPU in software mode, -1 otherwise.
 * @param burst      packets per receive burst.
 * @param ringSize   slots of each SPSC ring between cores.
 * @param ports      the ports, in port-id order.
 * @param routes     static routes (connected routes come from the ports' addresses).
 * @param neighbours permanent neighbour entries (as {@code ip neigh add ... nud permanent}).
 * @param conntrack  connection tracking settings, null when it is off.
 * @param nat        NAT rules and static mappings (docs/nat.md), null without a {@code nat} section; needs {@code conntrack}.
 * @param rulesFile  the nft ruleset file of the {@code rules} key (resolved against the configuration's directory), null without.
 * @param rules      that ruleset, parsed and checked against the ports (docs/rules.md), null without a {@code rules} key.
 * @param host       the box's own TCP/IP stack and its services (docs/tcp-stack.md), null without a {@code host} section.
 * @param offload    the XDP fast path (docs/xdp-fastpath.md), null without an {@code offload} section; only with xsk ports.
 */
public record FlowgateConfig(List<String> eal, Dispatch dispatch, List<Integer> workers, int dispatcher, int burst, int ringSize,
                             List<PortSpec> ports, List<RouteSpec> routes, List<NeighbourSpec> neighbours, ConntrackConfig conntrack,
                             NatConfig nat, Path rulesFile, Ruleset rules, HostConfig host, OffloadConfig offload)
{
    /** Without an offload section (as before the {@code offload} section existed). */
    public FlowgateConfig(final List<String> eal, final Dispatch dispatch, final List<Integer> workers, final int dispatcher, final int burst,
                          final int ringSize, final List<PortSpec> ports, final List<RouteSpec> routes, final List<NeighbourSpec> neighbours,
                          final ConntrackConfig conntrack, final NatConfig nat, final Path rulesFile, final Ruleset rules, final HostConfig host)
    {
        this(eal, dispatch, workers, dispatcher, burst, ringSize, ports, routes, neighbours, conntrack, nat, rulesFile, rules, host, null);
    }

    /** Without a host stack (as before the {@code host} section existed). */
    public FlowgateConfig(final List<String> eal, final Dispatch dispatch, final List<Integer> workers, final int dispatcher, final int burst,
                          final int ringSize, final List<PortSpec> ports, final List<RouteSpec> routes, final List<NeighbourSpec> neighbours,
                          final ConntrackConfig conntrack, final NatConfig nat, final Path rulesFile, final Ruleset rules)
    {
        this(eal, dispatch, workers, dispatcher, burst, ringSize, ports, routes, neighbours, conntrack, nat, rulesFile, rules, null);
    }

    public enum Dispatch
    {
        /** Each worker polls its own receive queue of every port (hardware RSS). */
        RSS,
        /** A dispatcher core reads single-queue ports and spreads bursts by a symmetric flow hash. */
        SOFTWARE
    }

    /** An address with its prefix length on a port, e.g. 10.0.1.1/24. */
    public record Prefix(InetAddress address, int length)
    {
        @Override
        public String toString()
        {
            return address.getHostAddress() + "/" + length;
        }
    }

    /**
     * A port: a DPDK device ({@code xsk} null), or an AF_XDP port ({@code device} {@code xsk,iface=...}, opened by flowgate as an
     * {@code XskPort} with the options parsed into {@code xsk}; docs/configuration.md, "AF_XDP ports").
     */
    public record PortSpec(String name, String device, int queues, int rxDescriptors, int txDescriptors, int mtu,
                           List<Prefix> addresses, int line, XskConfig xsk)
    {
        /** A DPDK port. */
        public PortSpec(final String name, final String device, final int queues, final int rxDescriptors, final int txDescriptors,
                        final int mtu, final List<Prefix> addresses, final int line)
        {
            this(name, device, queues, rxDescriptors, txDescriptors, mtu, addresses, line, null);
        }

        public boolean isXsk()
        {
            return xsk != null;
        }
    }

    /**
     * The {@code offload:} section (docs/xdp-fastpath.md): flowgate's XDP program on every xsk port, established flows
     * forwarded in the driver when {@code enabled} (switchable at run time).
     *
     * @param enabled         the fast path at start ({@code flowgate offload on|off} switches it)
     * @param maxFlows        entries of the BPF flow map (one per direction of a connection); a full map means no offload
     * @param syncIntervalNs  how often the agent reads the map and folds counters into conntrack
     * @param xdpMode         how the program is attached
     */
    public record OffloadConfig(boolean enabled, int maxFlows, long syncIntervalNs, XdpMode xdpMode)
    {
    }

    /** A permanent neighbour: {@code address} on {@code port} is at {@code mac} (low 48 bits). */
    public record NeighbourSpec(String port, InetAddress address, long mac, int line)
    {
    }

    /** A route to {@code to}: through gateways {@code via} (ECMP when several), or directly out of {@code port}. */
    public record RouteSpec(Prefix to, List<InetAddress> via, String port, int line)
    {
    }
}
