package io.flowgate.app.config;

import io.flowgate.conntrack.ConntrackConfig;
import io.flowgate.conntrack.CtTimeouts;
import io.flowgate.conntrack.tcp.TcpTrackerConfig;
import io.flowgate.app.config.FlowgateConfig.Dispatch;
import io.flowgate.app.config.FlowgateConfig.NeighbourSpec;
import io.flowgate.app.config.FlowgateConfig.OffloadConfig;
import io.flowgate.app.config.FlowgateConfig.PortSpec;
import io.flowgate.app.config.FlowgateConfig.Prefix;
import io.flowgate.app.config.FlowgateConfig.RouteSpec;
import io.flowgate.app.nft.RulesCheck;
import io.flowgate.pipeline.nat.NatConfig;
import io.flowgate.pipeline.rules.RuleEngine;
import io.flowgate.pipeline.rules.model.Origin;
import io.flowgate.pipeline.rules.model.Ruleset;
import io.flowgate.pipeline.rules.model.RulesetException;
import io.flowgate.pipeline.rules.nft.NftParser;
import io.flowgate.stack.StackConfig;
import io.flowgate.xdp.bpf.XdpMode;
import io.flowgate.xdp.xsk.XskConfig;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Reads a flowgate configuration file (YAML, schema in docs/configuration.md) into a {@link FlowgateConfig},
 * or refuses it with a {@link ConfigException} naming file, line, column and reason. Nothing is ignored:
 * an unknown key, a wrong type, a value out of range or a reference to something that does not exist is
 * an error at its own line. Loading has no side effects, so a refused file leaves a running configuration
 * untouched.
 */
public final class ConfigLoader
{
    /** The device spelling of an AF_XDP port (DPDK's own net_af_xdp stays a DPDK device). */
    static final String XSK = "xsk";
    private static final Pattern PORT_NAME = Pattern.compile("[a-z][a-z0-9_-]{0,14}");
    private static final Set<String> TOP_KEYS = Set.of("eal", "dispatch", "workers", "dispatcher", "burst", "rings", "ports", "routes",
        "neighbours", "conntrack", "nat", "rules", "host", "offload");
    private static final Set<String> OFFLOAD_KEYS = Set.of("enabled", "max-flows", "sync-interval", "xdp-mode");
    private static final Set<String> XSK_OPTIONS = Set.of("iface", "bind", "first-queue", "ring", "frames", "busy-poll",
        "busy-poll-budget", "xdp-mode");
    private static final Pattern IFNAME = Pattern.compile("[^/\\s:,=]{1,15}");
    private static final Set<String> HOST_KEYS = Set.of("tcp", "services");
    private static final Set<String> HOST_TCP_KEYS = Set.of("congestion", "time-wait", "syncookies", "syn-backlog", "send-buffer",
        "receive-buffer", "sack", "timestamps", "window-scaling");
    private static final Set<String> SERVICE_KEYS = Set.of("type", "port", "address");
    private static final Pattern SIZE = Pattern.compile("([0-9]+)([kKmMgG]?)");
    private static final Pattern DURATION = Pattern.compile("([0-9]+)(ms|s|m)");
    private static final Set<String> NEIGHBOUR_KEYS = Set.of("port", "address", "mac");
    private static final Pattern MAC = Pattern.compile("([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}");
    private static final Set<String> RING_KEYS = Set.of("size");
    private static final Set<String> CONNTRACK_KEYS = Set.of("enabled", "capacity", "capacity6", "checksum", "timeouts", "tcp");
    private static final Set<String> CONNTRACK_TCP_KEYS = Set.of("loose", "be_liberal", "ignore_invalid_rst", "max_retrans");
    /** Linux's sysctl names (nf_conntrack_tcp_timeout_*) by TcpState value. */
    private static final String[] TCP_TIMEOUT_KEYS = {
        null, "tcp_syn_sent", "tcp_syn_recv", "tcp_established", "tcp_fin_wait", "tcp_close_wait", "tcp_last_ack", "tcp_time_wait",
        "tcp_close", null, null, null, "tcp_max_retrans", "tcp_unacknowledged"};
    private static final Set<String> CONNTRACK_TIMEOUT_KEYS = Set.of("udp", "udp_stream", "icmp", "icmpv6", "generic", "tcp_syn_sent",
        "tcp_syn_recv", "tcp_established", "tcp_fin_wait", "tcp_close_wait", "tcp_last_ack", "tcp_time_wait", "tcp_close", "tcp_max_retrans",
        "tcp_unacknowledged");
    private static final Set<String> PORT_KEYS = Set.of("name", "device", "queues", "rxd", "txd", "mtu", "addresses");
    private static final Set<String> ROUTE_KEYS = Set.of("to", "via", "port");
    private static final int IPV6_MIN_MTU = 1280;

    private final Path file;

    private ConfigLoader(final Path file)
    {
        this.file = file;
    }

    Path file()
    {
        return file;
    }

    public static FlowgateConfig load(final Path file)
    {
        final String text;
        try
        {
            text = Files.readString(file);
        }
        catch (final IOException ex)
        {
            throw new ConfigException(file, 0, 0, "cannot read: " + ex.getMessage());
        }
        return parse(file, text);
    }

    public static FlowgateConfig parse(final Path file, final String text)
    {
        return new ConfigLoader(file).parse(text);
    }

    private FlowgateConfig parse(final String text)
    {
        final Node root;
        try
        {
            root = new Yaml(new SafeConstructor(new LoaderOptions())).compose(new StringReader(text));
        }
        catch (final MarkedYAMLException ex)
        {
            final Mark mark = ex.getProblemMark() != null ? ex.getProblemMark() : ex.getContextMark();
            throw new ConfigException(file, mark == null ? 0 : mark.getLine() + 1, mark == null ? 0 : mark.getColumn() + 1,
                "not valid YAML: " + ex.getProblem());
        }
        catch (final YAMLException ex)
        {
            throw new ConfigException(file, 0, 0, "not valid YAML: " + ex.getMessage());
        }
        if (root == null)
        {
            throw new ConfigException(file, 1, 1, "empty configuration: at least 'workers' and 'ports' are needed");
        }
        final Map<String, NodeTuple> top = mapping(root, "the configuration", TOP_KEYS);

        final List<String> eal = top.containsKey("eal") ? strings(value(top, "eal")) : List.of();
        final Dispatch dispatch = top.containsKey("dispatch") ? dispatch(value(top, "dispatch")) : Dispatch.RSS;
        final List<Integer> workers = cpus(required(top, "workers", root));
        final int dispatcher;
        if (dispatch == Dispatch.SOFTWARE)
        {
            dispatcher = integer(required(top, "dispatcher", root), 0, 4095, "dispatcher CPU");
            if (workers.contains(dispatcher))
            {
                throw error(value(top, "dispatcher"), "CPU " + dispatcher + " is both the dispatcher and a worker");
            }
        }
        else
        {
            if (top.containsKey("dispatcher"))
            {
                throw error(top.get("dispatcher").getKeyNode(), "'dispatcher' is only for 'dispatch: software'");
            }
            dispatcher = -1;
        }
        final int burst = top.containsKey("burst") ? integer(value(top, "burst"), 1, 512, "burst") : 32;
        int ringSize = 1024;
        if (top.containsKey("rings"))
        {
            final Map<String, NodeTuple> rings = mapping(value(top, "rings"), "rings", RING_KEYS);
            if (rings.containsKey("size"))
            {
                final Node node = value(rings, "size");
                ringSize = integer(node, 64, 65536, "ring size");
                if (Integer.bitCount(ringSize) != 1)
                {
                    throw error(node, "ring size must be a power of two, not " + ringSize);
                }
            }
        }
        final List<PortSpec> ports = ports(required(top, "ports", root), dispatch, workers.size());
        final List<RouteSpec> routes = top.containsKey("routes") ? routes(value(top, "routes"), ports) : List.of();
        final List<NeighbourSpec> neighbours = top.containsKey("neighbours") ? neighbours(value(top, "neighbours"), ports) : List.of();
        final ConntrackConfig conntrack = top.containsKey("conntrack") ? conntrack(value(top, "conntrack"), burst) : null;
        NatConfig nat = null;
        if (top.containsKey("nat"))
        {
            if (conntrack == null)
            {
                throw error(top.get("nat").getKeyNode(), "'nat' needs connection tracking: add a 'conntrack' section (enabled)");
            }
            nat = new NatLoader(this, ports).nat(value(top, "nat"));
        }
        Path rulesFile = null;
        Ruleset rules = null;
        if (top.containsKey("rules"))
        {
            final Node node = value(top, "rules");
            final String name = scalar(node, "rules");
            if (name.isEmpty())
            {
                throw error(node, "rules must name an nft ruleset file");
            }
            final Path parent = file.toAbsolutePath().getParent();
            rulesFile = parent == null || Path.of(name).isAbsolute() ? Path.of(name) : parent.resolve(name).normalize();
            rules = rules(rulesFile, node, ports.stream().map(PortSpec::name).toList(), conntrack != null);
            if (nat != null && (!nat.rules().isEmpty() || !nat.mappings().isEmpty()) && RuleEngine.hasNatChains(rules))
            {
                throw error(node, "NAT in both the 'nat' section and the ruleset's nat chains: use one");
            }
        }
        final HostConfig host = top.containsKey("host") ? host(value(top, "host"), ports) : null;
        final OffloadConfig offload = top.containsKey("offload") ? offload(top.get("offload"), ports, conntrack != null) : null;
        return new FlowgateConfig(eal, dispatch, workers, dispatcher, burst, ringSize,
            offload == null ? ports : externalProgram(ports, offload.xdpMode()), routes, neighbours, conntrack, nat, rulesFile,
            rules, host, offload);
    }

    /** The {@code host:} section: Linux's defaults with the {@code tcp:} keys applied, and the services. */
    private HostConfig host(final Node node, final List<PortSpec> ports)
    {
        final Map<String, NodeTuple> host = node instanceof ScalarNode scalar && scalar.getValue().isEmpty() ? Map.of()
            : mapping(node, "host", HOST_KEYS);
        StackConfig stack = StackConfig.linuxDefaults();
        if (host.containsKey("tcp"))
        {
            final Map<String, NodeTuple> tcp = mapping(value(host, "tcp"), "host tcp", HOST_TCP_KEYS);
            if (tcp.containsKey("congestion"))
            {
                final Node c = value(tcp, "congestion");
                final String name = scalar(c, "congestion");
                if (!name.equals("cubic") && !name.equals("reno"))
                {
                    throw error(c, "congestion must be 'cubic' or 'reno', not '" + name + "'");
                }
                stack = stack.withCongestion(name);
            }
            if (tcp.containsKey("time-wait"))
            {
                stack = stack.withTimeWait(duration(value(tcp, "time-wait"), 1_000_000L, 600_000_000_000L, "time-wait"));
            }
            if (tcp.containsKey("syncookies"))
            {
                stack = stack.withSynCookies(integer(value(tcp, "syncookies"), 0, 2, "syncookies (0 never, 1 on overflow, 2 always)"));
            }
            if (tcp.containsKey("syn-backlog"))
            {
                stack = stack.withSynBacklog(integer(value(tcp, "syn-backlog"), 1, 1 << 20, "syn-backlog"));
            }
            final int send = tcp.containsKey("send-buffer") ? size(value(tcp, "send-buffer"), 4096, 1 << 30, "send-buffer") : stack.sendBuffer();
            final int receive = tcp.containsKey("receive-buffer") ? size(value(tcp, "receive-buffer"), 4096, 1 << 30, "receive-buffer")
                : stack.receiveBuffer();
            stack = stack.withBuffers(send, receive);
            stack = stack.withOptions(
                tcp.containsKey("sack") ? bool(value(tcp, "sack"), "sack") : stack.sack(),
                tcp.containsKey("timestamps") ? bool(value(tcp, "timestamps"), "timestamps") : stack.timestamps(),
                tcp.containsKey("window-scaling") ? bool(value(tcp, "window-scaling"), "window-scaling") : stack.windowScaling());
        }
        final List<HostConfig.Service> services = new ArrayList<>();
        if (host.containsKey("services"))
        {
            final Map<String, Node> taken = new HashMap<>();
            for (final Node item : sequence(value(host, "services"), "services"))
            {
                final Map<String, NodeTuple> service = mapping(item, "a service", SERVICE_KEYS);
                final Node typeNode = required(service, "type", item);
                final String typeName = scalar(typeNode, "service type");
                final HostConfig.Type type = switch (typeName)
                {
                    case "http" -> HostConfig.Type.HTTP;
                    case "discard" -> HostConfig.Type.DISCARD;
                    case "echo" -> HostConfig.Type.ECHO;
                    case "chargen" -> HostConfig.Type.CHARGEN;
                    default -> throw error(typeNode, "service type must be http, discard, echo or chargen, not '" + typeName + "'");
                };
                final Node portNode = required(service, "port", item);
                final int port = integer(portNode, 1, 65535, "service port");
                InetAddress address = null;
                if (service.containsKey("address"))
                {
                    final Node addressNode = value(service, "address");
                    address = address(addressNode);
                    final InetAddress wanted = address;
                    if (ports.stream().flatMap(p -> p.addresses().stream()).noneMatch(p -> p.address().equals(wanted)))
                    {
                        throw error(addressNode, address.getHostAddress() + " is not an address of any port");
                    }
                }
                final String key = port + "/" + (address == null ? "*" : address.getHostAddress());
                final String any = port + "/*";
                if (taken.containsKey(key) || taken.containsKey(any) || address == null && taken.keySet().stream().anyMatch(k -> k.startsWith(port + "/")))
                {
                    throw error(portNode, "port " + port + " is taken by another service"
                        + (taken.containsKey(key) ? " (line " + line(taken.get(key)) + ")" : ""));
                }
                taken.put(key, item);
                services.add(new HostConfig.Service(type, port, address, line(item)));
            }
        }
        return new HostConfig(stack, List.copyOf(services));
    }

    /** A size in bytes: a number with an optional k, m or g suffix (powers of 1024, as Linux's sysctl docs). */
    private int size(final Node node, final int min, final int max, final String what)
    {
        final String text = scalar(node, what);
        final java.util.regex.Matcher m = SIZE.matcher(text);
        if (!m.matches())
        {
            throw error(node, what + " must be a size like 4m, 256k or 65536, not '" + text + "'");
        }
        final int shift = switch (m.group(2).toLowerCase(java.util.Locale.ROOT))
        {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            default -> 0;
        };
        final long value;
        try
        {
            value = Long.parseLong(m.group(1)) << shift;
        }
        catch (final NumberFormatException ex)
        {
            throw error(node, what + " is too large: '" + text + "'");
        }
        if (value < min || value > max || Long.parseLong(m.group(1)) > (Long.MAX_VALUE >> 30))
        {
            throw error(node, what + " must be " + min + " bytes to " + (max >> 20) + "m, not " + text);
        }
        return (int)value;
    }

    /** A duration: a number with ms, s or m. */
    private long duration(final Node node, final long minNs, final long maxNs, final String what)
    {
        final String text = scalar(node, what);
        final java.util.regex.Matcher m = DURATION.matcher(text);
        if (!m.matches() || m.group(1).length() > 9)
        {
            throw error(node, what + " must be a duration like 60s, 500ms or 2m, not '" + text + "'");
        }
        final long n = Long.parseLong(m.group(1));
        final long ns = switch (m.group(2))
        {
            case "ms" -> n * 1_000_000L;
            case "s" -> n * 1_000_000_000L;
            default -> n * 60_000_000_000L;
        };
        if (ns < minNs || ns > maxNs)
        {
            throw error(node, what + " must be " + minNs / 1_000_000 + "ms.." + maxNs / 1_000_000_000L + "s, not " + text);
        }
        return ns;
    }

    /**
     * The {@code rules:} file: read, parsed and checked against the ports and conntrack; a refusal names the rules
     * file's own line and column (or the {@code rules:} value when the file cannot be read).
     */
    private Ruleset rules(final Path rulesFile, final Node node, final List<String> portNames, final boolean conntrack)
    {
        final String text;
        try
        {
            text = Files.readString(rulesFile);
        }
        catch (final IOException ex)
        {
            throw error(node, "cannot read the rules file " + rulesFile + ": " + ex.getMessage());
        }
        try
        {
            final Ruleset ruleset = NftParser.parse(rulesFile.toString(), text);
            RulesCheck.check(ruleset, portNames, conntrack);
            return ruleset;
        }
        catch (final RulesetException ex)
        {
            final Origin at = ex.origin();
            final String prefix = at + ": ";
            final String reason = ex.getMessage().startsWith(prefix) ? ex.getMessage().substring(prefix.length()) : ex.getMessage();
            throw new RulesFileException(at.file() == null ? rulesFile : Path.of(at.file()), at.line(), at.column(), reason);
        }
    }

    /** The {@code conntrack:} section; null when {@code enabled: false}. Timeouts in seconds, as Linux's sysctls. */
    private ConntrackConfig conntrack(final Node node, final int burst)
    {
        final Map<String, NodeTuple> ct = mapping(node, "conntrack", CONNTRACK_KEYS);
        if (ct.containsKey("enabled") && !bool(value(ct, "enabled"), "conntrack enabled"))
        {
            return null;
        }
        final int capacity = ct.containsKey("capacity")
            ? integer(value(ct, "capacity"), 1024, 1 << 26, "conntrack capacity (connections per worker)") : ConntrackConfig.DEFAULT_CAPACITY;
        final int capacity6 = ct.containsKey("capacity6")
            ? integer(value(ct, "capacity6"), 16, capacity, "conntrack capacity6 (IPv6 connections per worker, at most capacity)")
            : Math.max(16, capacity / 4);
        final boolean checksum = !ct.containsKey("checksum") || bool(value(ct, "checksum"), "conntrack checksum");
        final ConntrackConfig defaults = ConntrackConfig.defaults(capacity);
        CtTimeouts timeouts = defaults.timeouts();
        if (ct.containsKey("timeouts"))
        {
            final Map<String, NodeTuple> t = mapping(value(ct, "timeouts"), "conntrack timeouts", CONNTRACK_TIMEOUT_KEYS);
            timeouts = new CtTimeouts(
                seconds(t, "udp", timeouts.udpMs()),
                seconds(t, "udp_stream", timeouts.udpStreamMs()),
                seconds(t, "icmp", timeouts.icmpMs()),
                seconds(t, "icmpv6", timeouts.icmpv6Ms()),
                seconds(t, "generic", timeouts.genericMs()));
        }
        final TcpTrackerConfig.Builder tcp = TcpTrackerConfig.builder();
        if (ct.containsKey("timeouts"))
        {
            final Map<String, NodeTuple> t = mapping(value(ct, "timeouts"), "conntrack timeouts", CONNTRACK_TIMEOUT_KEYS);
            for (int state = 1; state < TCP_TIMEOUT_KEYS.length; state++)
            {
                final String key = TCP_TIMEOUT_KEYS[state];
                if (key != null && t.containsKey(key))
                {
                    tcp.timeoutMs(state, seconds(t, key, 0));
                }
            }
        }
        if (ct.containsKey("tcp"))
        {
            final Map<String, NodeTuple> t = mapping(value(ct, "tcp"), "conntrack tcp", CONNTRACK_TCP_KEYS);
            if (t.containsKey("loose"))
            {
                tcp.loose(bool(value(t, "loose"), "conntrack tcp loose"));
            }
            if (t.containsKey("be_liberal"))
            {
                tcp.beLiberal(bool(value(t, "be_liberal"), "conntrack tcp be_liberal"));
            }
            if (t.containsKey("ignore_invalid_rst"))
            {
                tcp.ignoreInvalidRst(bool(value(t, "ignore_invalid_rst"), "conntrack tcp ignore_invalid_rst"));
            }
            if (t.containsKey("max_retrans"))
            {
                tcp.maxRetrans(integer(value(t, "max_retrans"), 0, 255, "conntrack tcp max_retrans"));
            }
        }
        return new ConntrackConfig(capacity, capacity6, Math.min(capacity, 65_536), timeouts, tcp.build(), checksum,
            defaults.eventRingBytes());
    }

    private int seconds(final Map<String, NodeTuple> map, final String key, final int defaultMs)
    {
        return map.containsKey(key) ? integer(value(map, key), 1, (int)(CtTimeouts.MAX_MS / 1000), "timeout " + key + " (seconds)") * 1000
            : defaultMs;
    }

    private boolean bool(final Node node, final String what)
    {
        final String text = scalar(node, what);
        return switch (text)
        {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw error(node, what + " must be true or false, not '" + text + "'");
        };
    }

    private List<PortSpec> ports(final Node node, final Dispatch dispatch, final int workers)
    {
        final List<Node> items = sequence(node, "ports");
        if (items.isEmpty())
        {
            throw error(node, "at least one port is needed");
        }
        final List<PortSpec> ports = new ArrayList<>();
        final Map<String, Node> names = new HashMap<>();
        final Map<String, Node> devices = new HashMap<>();
        for (final Node item : items)
        {
            final Map<String, NodeTuple> port = mapping(item, "a port", PORT_KEYS);
            final Node nameNode = required(port, "name", item);
            final String name = scalar(nameNode, "port name");
            if (!PORT_NAME.matcher(name).matches())
            {
                throw error(nameNode, "port name '" + name + "' must be 1-15 characters of a-z, 0-9, '-', '_', starting with a letter");
            }
            if (names.putIfAbsent(name, nameNode) != null)
            {
                throw error(nameNode, "port name '" + name + "' is used twice (first at line " + line(names.get(name)) + ")");
            }
            final Node deviceNode = required(port, "device", item);
            final String device = scalar(deviceNode, "device");
            final boolean isXsk = device.equals(XSK) || device.startsWith(XSK + ",");
            final String deviceName = isXsk ? xskKey(device) : device.split(",", 2)[0];
            if (deviceName.isBlank())
            {
                throw error(deviceNode, "device must name a DPDK device, e.g. net_af_packet0,iface=veth0 or 0000:01:00.0");
            }
            if (devices.putIfAbsent(deviceName, deviceNode) != null)
            {
                throw error(deviceNode, "device '" + deviceName + "' is used twice (first at line " + line(devices.get(deviceName)) + ")");
            }
            final int defaultQueues = dispatch == Dispatch.RSS ? workers : 1;
            final int queues = port.containsKey("queues") ? integer(value(port, "queues"), 1, 64, "queues") : defaultQueues;
            if (dispatch == Dispatch.RSS && queues != workers)
            {
                throw error(value(port, "queues"), "with 'dispatch: rss' every port needs one queue per worker (" + workers + "), not " + queues);
            }
            if (dispatch == Dispatch.SOFTWARE && queues != 1)
            {
                throw error(value(port, "queues"), "with 'dispatch: software' ports have one queue, not " + queues);
            }
            final int rxd = port.containsKey("rxd") ? integer(value(port, "rxd"), 64, 32768, "rxd") : 1024;
            final int txd = port.containsKey("txd") ? integer(value(port, "txd"), 64, 32768, "txd") : 1024;
            final int mtu = port.containsKey("mtu") ? integer(value(port, "mtu"), 68, 9000, "mtu") : 1500;
            final List<Prefix> addresses = new ArrayList<>();
            if (port.containsKey("addresses"))
            {
                for (final Node a : sequence(value(port, "addresses"), "addresses"))
                {
                    final Prefix prefix = prefix(a, false);
                    if (prefix.address().isMulticastAddress() || prefix.address().isAnyLocalAddress())
                    {
                        throw error(a, prefix + " cannot be a port address (multicast or unspecified)");
                    }
                    if (prefix.address() instanceof Inet6Address v6)
                    {
                        if (v6.isLoopbackAddress())
                        {
                            throw error(a, prefix + " cannot be a port address (loopback)");
                        }
                        if (v6.isLinkLocalAddress())
                        {
                            throw error(a, prefix + ": the port's link-local address is derived from its MAC (EUI-64); "
                                + "give global or unique-local addresses here");
                        }
                        if (prefix.length() == 0)
                        {
                            throw error(a, "prefix length of '" + prefix + "' must be 1..128 for a port address");
                        }
                    }
                    addresses.add(prefix);
                }
            }
            if (mtu < IPV6_MIN_MTU && addresses.stream().anyMatch(p -> p.address() instanceof Inet6Address))
            {
                throw error(port.containsKey("mtu") ? value(port, "mtu") : item,
                    "a port with IPv6 addresses needs an mtu of at least " + IPV6_MIN_MTU + " (RFC 8200 5), not " + mtu);
            }
            final XskConfig xsk = isXsk ? xsk(deviceNode, device, queues) : null;
            ports.add(new PortSpec(name, device, queues, rxd, txd, mtu, List.copyOf(addresses), line(item), xsk));
        }
        return List.copyOf(ports);
    }

    /** The {@code xsk,...} device spelling's key for the "used twice" check: one port per interface. */
    private static String xskKey(final String device)
    {
        for (final String option : device.split(","))
        {
            if (option.startsWith("iface="))
            {
                return XSK + ",iface=" + option.substring("iface=".length()).trim();
            }
        }
        return XSK;
    }

    /**
     * An AF_XDP port's device, {@code xsk,iface=NAME[,OPTION=VALUE]...} (docs/configuration.md, "AF_XDP ports"); a refusal points
     * at the option's column in the value. The program is flowgate's (EXTERNAL) when the configuration has an {@code offload}
     * section: {@link #offload} sets it; libxdp's default program otherwise.
     */
    private XskConfig xsk(final Node node, final String device, final int queues)
    {
        String iface = null;
        XskConfig.Bind bind = XskConfig.Bind.AUTO;
        XdpMode mode = XdpMode.AUTO;
        int firstQueue = 0;
        int ring = 2048;
        int frames = -1;
        int busyPoll = 0;
        int budget = 64;
        final Set<String> seen = new HashSet<>();
        int offset = XSK.length() + 1;
        final String[] options = device.split(",", -1);
        for (int i = 1; i < options.length; i++)
        {
            final String option = options[i];
            final int eq = option.indexOf('=');
            final String key = eq < 0 ? option.trim() : option.substring(0, eq).trim();
            final String text = eq < 0 ? "" : option.substring(eq + 1).trim();
            final int at = offset;
            offset += option.length() + 1;
            if (!XSK_OPTIONS.contains(key))
            {
                throw errorAt(node, at, "unknown xsk option '" + key + "' (expected one of " + new java.util.TreeSet<>(XSK_OPTIONS) + ")");
            }
            if (eq < 0 || text.isEmpty())
            {
                throw errorAt(node, at, "xsk option '" + key + "' needs a value (" + key + "=...)");
            }
            if (!seen.add(key))
            {
                throw errorAt(node, at, "xsk option '" + key + "' is given twice");
            }
            switch (key)
            {
                case "iface" ->
                {
                    if (!IFNAME.matcher(text).matches())
                    {
                        throw errorAt(node, at, "iface '" + text + "' is not a Linux interface name (1-15 characters, no '/', ':' or spaces)");
                    }
                    iface = text;
                }
                case "bind" -> bind = switch (text)
                {
                    case "auto" -> XskConfig.Bind.AUTO;
                    case "copy" -> XskConfig.Bind.COPY;
                    case "zero-copy" -> XskConfig.Bind.ZERO_COPY;
                    default -> throw errorAt(node, at, "bind must be 'auto', 'copy' or 'zero-copy', not '" + text + "'");
                };
                case "xdp-mode" -> mode = xdpMode(node, at, text);
                case "first-queue" -> firstQueue = optionInt(node, at, key, text, 0, 1023);
                case "ring" ->
                {
                    ring = optionInt(node, at, key, text, 64, 16384);
                    if (Integer.bitCount(ring) != 1)
                    {
                        throw errorAt(node, at, "ring must be a power of two, not " + ring);
                    }
                }
                case "frames" -> frames = optionInt(node, at, key, text, 1024, 1 << 22);
                case "busy-poll" -> busyPoll = optionInt(node, at, key, text, 0, 1_000_000);
                default -> budget = optionInt(node, at, key, text, 1, 4096);
            }
        }
        if (iface == null)
        {
            throw error(node, "an xsk port needs its interface: xsk,iface=NAME");
        }
        final int needed = queues * ring * 2;
        if (frames < 0)
        {
            frames = Math.max(4096, Integer.highestOneBit(needed - 1) << 1);
        }
        else if (frames < needed)
        {
            throw error(node, "frames (" + frames + ") must cover the fill and transmit rings of every queue: at least " + needed
                + " for " + queues + " queue(s) of ring " + ring);
        }
        return new XskConfig(iface, queues, firstQueue, bind, ring, frames, busyPoll, budget, XskConfig.Program.LIBXDP_DEFAULT, mode);
    }

    private XdpMode xdpMode(final Node node, final int at, final String text)
    {
        return switch (text)
        {
            case "native" -> XdpMode.NATIVE;
            case "generic" -> XdpMode.GENERIC;
            case "auto" -> XdpMode.AUTO;
            default -> throw errorAt(node, at, "xdp-mode must be 'native', 'generic' or 'auto', not '" + text + "'");
        };
    }

    private int optionInt(final Node node, final int at, final String key, final String text, final int min, final int max)
    {
        final int value;
        try
        {
            value = Integer.parseInt(text);
        }
        catch (final NumberFormatException ex)
        {
            throw errorAt(node, at, key + " must be a whole number, not '" + text + "'");
        }
        if (value < min || value > max)
        {
            throw errorAt(node, at, key + " must be " + min + ".." + max + ", not " + value);
        }
        return value;
    }

    /**
     * The {@code offload:} section. Valid only when every port is an xsk port (the XDP program redirects between the
     * interfaces it is attached to) and with conntrack (offload follows ASSURED connections); it makes the xsk ports use
     * flowgate's program (EXTERNAL).
     */
    private OffloadConfig offload(final NodeTuple tuple, final List<PortSpec> ports, final boolean conntrack)
    {
        final Node key = tuple.getKeyNode();
        final Node node = tuple.getValueNode();
        for (final PortSpec port : ports)
        {
            if (!port.isXsk())
            {
                throw error(key, "'offload' needs AF_XDP ports (device: xsk,iface=...) only: port '" + port.name() + "' (line " + port.line()
                    + ") is the DPDK device '" + port.device() + "', which the XDP program cannot redirect to or receive from");
            }
        }
        if (!conntrack)
        {
            throw error(key, "'offload' needs connection tracking (flows are offloaded when ASSURED): add a 'conntrack' section (enabled)");
        }
        final Map<String, NodeTuple> o = node instanceof ScalarNode scalar && scalar.getValue().isEmpty() ? Map.of()
            : mapping(node, "offload", OFFLOAD_KEYS);
        final boolean enabled = !o.containsKey("enabled") || bool(value(o, "enabled"), "offload enabled");
        final int maxFlows = o.containsKey("max-flows") ? integer(value(o, "max-flows"), 1, 1 << 24, "max-flows") : 65536;
        final long sync = o.containsKey("sync-interval") ? duration(value(o, "sync-interval"), 10_000_000L, 60_000_000_000L, "sync-interval")
            : 1_000_000_000L;
        XdpMode mode = XdpMode.AUTO;
        if (o.containsKey("xdp-mode"))
        {
            final Node m = value(o, "xdp-mode");
            mode = xdpMode(m, 0, scalar(m, "xdp-mode"));
        }
        return new OffloadConfig(enabled, maxFlows, sync, mode);
    }

    /** The xsk ports with flowgate's program (EXTERNAL) attached in {@code mode}, for a configuration with an offload section. */
    private static List<PortSpec> externalProgram(final List<PortSpec> ports, final XdpMode mode)
    {
        final List<PortSpec> out = new ArrayList<>();
        for (final PortSpec p : ports)
        {
            final XskConfig x = p.xsk();
            out.add(new PortSpec(p.name(), p.device(), p.queues(), p.rxDescriptors(), p.txDescriptors(), p.mtu(), p.addresses(), p.line(),
                new XskConfig(x.iface(), x.queues(), x.firstQueue(), x.bind(), x.ringSize(), x.frames(), x.busyPollUs(), x.busyPollBudget(),
                    XskConfig.Program.EXTERNAL, mode)));
        }
        return List.copyOf(out);
    }

    /** An error at {@code offset} characters into scalar {@code node}'s value (after its opening quote, if quoted). */
    ConfigException errorAt(final Node node, final int offset, final String reason)
    {
        final Mark mark = node.getStartMark();
        final int quote = node instanceof ScalarNode scalar && scalar.getScalarStyle() != DumperOptions.ScalarStyle.PLAIN ? 1 : 0;
        return new ConfigException(file, mark.getLine() + 1, mark.getColumn() + 1 + quote + offset, reason);
    }

    private List<RouteSpec> routes(final Node node, final List<PortSpec> ports)
    {
        final List<RouteSpec> routes = new ArrayList<>();
        final Map<String, Node> seen = new HashMap<>();
        for (final Node item : sequence(node, "routes"))
        {
            final Map<String, NodeTuple> route = mapping(item, "a route", ROUTE_KEYS);
            final Node toNode = required(route, "to", item);
            final Prefix to = prefix(toNode, true);
            if (seen.putIfAbsent(to.toString(), toNode) != null)
            {
                throw error(toNode, "route to " + to + " is given twice (first at line " + line(seen.get(to.toString())) + ")");
            }
            String port = null;
            if (route.containsKey("port"))
            {
                final Node portNode = value(route, "port");
                port = scalar(portNode, "port");
                final String wanted = port;
                if (ports.stream().noneMatch(p -> p.name().equals(wanted)))
                {
                    throw error(portNode, "no port named '" + port + "'");
                }
            }
            final List<InetAddress> via = new ArrayList<>();
            if (route.containsKey("via"))
            {
                final Node viaNode = value(route, "via");
                final List<Node> gateways = viaNode instanceof SequenceNode ? sequence(viaNode, "via") : List.of(viaNode);
                if (gateways.isEmpty() || gateways.size() > 16)
                {
                    throw error(viaNode, "via takes 1 to 16 gateways");
                }
                for (final Node g : gateways)
                {
                    final InetAddress gateway = address(g);
                    if ((gateway instanceof Inet4Address) != (to.address() instanceof Inet4Address))
                    {
                        throw error(g, "gateway " + gateway.getHostAddress() + " is not of the family of " + to);
                    }
                    if (gateway.isMulticastAddress() || gateway.isAnyLocalAddress() || gateway.isLoopbackAddress())
                    {
                        throw error(g, "gateway " + gateway.getHostAddress() + " must be a unicast address");
                    }
                    if (gateway.isLinkLocalAddress() && gateway instanceof Inet6Address && port == null)
                    {
                        throw error(g, "link-local gateway " + gateway.getHostAddress() + " needs 'port' (a link-local address is "
                            + "only unique on its link)");
                    }
                    if (!onLink(gateway, ports, port))
                    {
                        throw error(g, "gateway " + gateway.getHostAddress() + " is not on a network of "
                            + (port == null ? "any port" : "port " + port) + " (a gateway must be directly reachable)");
                    }
                    via.add(gateway);
                }
            }
            if (via.isEmpty() && port == null)
            {
                throw error(item, "a route needs 'via' (gateways), 'port', or both");
            }
            routes.add(new RouteSpec(to, List.copyOf(via), port, line(item)));
        }
        return List.copyOf(routes);
    }

    private List<NeighbourSpec> neighbours(final Node node, final List<PortSpec> ports)
    {
        final List<NeighbourSpec> neighbours = new ArrayList<>();
        final Set<String> seen = new HashSet<>();
        for (final Node item : sequence(node, "neighbours"))
        {
            final Map<String, NodeTuple> entry = mapping(item, "a neighbour", NEIGHBOUR_KEYS);
            final Node portNode = required(entry, "port", item);
            final String port = scalar(portNode, "port");
            if (ports.stream().noneMatch(p -> p.name().equals(port)))
            {
                throw error(portNode, "no port named '" + port + "'");
            }
            final Node addressNode = required(entry, "address", item);
            final InetAddress address = address(addressNode);
            if (address.isMulticastAddress() || address.isAnyLocalAddress() || address.isLoopbackAddress())
            {
                throw error(addressNode, "neighbour " + address.getHostAddress() + " must be a unicast address");
            }
            if (!onLink(address, ports, port))
            {
                throw error(addressNode, address.getHostAddress() + " is not on a network of port " + port);
            }
            if (!seen.add(port + " " + address.getHostAddress()))
            {
                throw error(addressNode, "neighbour " + address.getHostAddress() + " on port " + port + " is given twice");
            }
            final Node macNode = required(entry, "mac", item);
            final String mac = scalar(macNode, "mac");
            if (!MAC.matcher(mac).matches())
            {
                throw error(macNode, "'" + mac + "' is not a MAC address like 02:00:00:00:00:01");
            }
            neighbours.add(new NeighbourSpec(port, address, Long.parseLong(mac.replace(":", ""), 16), line(item)));
        }
        return List.copyOf(neighbours);
    }

    /**
     * Whether {@code gateway} is on a network of port {@code portName} (any port when null). An IPv6 link-local
     * address is on the link of every port that has IPv6 addresses (each has fe80::/64).
     */
    private static boolean onLink(final InetAddress gateway, final List<PortSpec> ports, final String portName)
    {
        for (final PortSpec port : ports)
        {
            if (portName != null && !port.name().equals(portName))
            {
                continue;
            }
            for (final Prefix prefix : port.addresses())
            {
                if (gateway instanceof Inet6Address && gateway.isLinkLocalAddress() && prefix.address() instanceof Inet6Address)
                {
                    return true;
                }
                if (contains(prefix, gateway))
                {
                    return true;
                }
            }
        }
        return false;
    }

    static boolean contains(final Prefix prefix, final InetAddress address)
    {
        final byte[] a = prefix.address().getAddress();
        final byte[] b = address.getAddress();
        if (a.length != b.length)
        {
            return false;
        }
        final BigInteger mask = mask(a.length * 8, prefix.length());
        return new BigInteger(1, a).and(mask).equals(new BigInteger(1, b).and(mask));
    }

    private static BigInteger mask(final int bits, final int length)
    {
        return BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE).xor(BigInteger.ONE.shiftLeft(bits - length).subtract(BigInteger.ONE));
    }

    private Prefix prefix(final Node node, final boolean network)
    {
        final String text = scalar(node, "prefix");
        final int slash = text.indexOf('/');
        if (slash < 0)
        {
            throw error(node, "'" + text + "' needs a prefix length, e.g. 10.0.0.1/24");
        }
        final InetAddress address = literal(node, text.substring(0, slash));
        final int max = address instanceof Inet4Address ? 32 : 128;
        final int length;
        try
        {
            length = Integer.parseInt(text.substring(slash + 1));
        }
        catch (final NumberFormatException ex)
        {
            throw error(node, "bad prefix length in '" + text + "'");
        }
        if (length < 0 || length > max)
        {
            throw error(node, "prefix length of '" + text + "' must be 0.." + max);
        }
        if (network)
        {
            final BigInteger value = new BigInteger(1, address.getAddress());
            if (!value.and(mask(max, length)).equals(value))
            {
                throw error(node, "'" + text + "' has host bits set (invalid prefix for its length)");
            }
        }
        return new Prefix(address, length);
    }

    private InetAddress address(final Node node)
    {
        return literal(node, scalar(node, "address"));
    }

    InetAddress literal(final Node node, final String text)
    {
        try
        {
            return InetAddress.ofLiteral(text);
        }
        catch (final IllegalArgumentException ex)
        {
            throw error(node, "'" + text + "' is not an IPv4 or IPv6 address");
        }
    }

    private Dispatch dispatch(final Node node)
    {
        final String text = scalar(node, "dispatch");
        return switch (text)
        {
            case "rss" -> Dispatch.RSS;
            case "software" -> Dispatch.SOFTWARE;
            default -> throw error(node, "dispatch must be 'rss' or 'software', not '" + text + "'");
        };
    }

    private List<Integer> cpus(final Node node)
    {
        final List<Node> items = sequence(node, "workers");
        if (items.isEmpty())
        {
            throw error(node, "at least one worker CPU is needed");
        }
        final List<Integer> cpus = new ArrayList<>();
        final Set<Integer> seen = new HashSet<>();
        for (final Node item : items)
        {
            final int cpu = integer(item, 0, 4095, "worker CPU");
            if (!seen.add(cpu))
            {
                throw error(item, "CPU " + cpu + " is listed twice");
            }
            cpus.add(cpu);
        }
        return List.copyOf(cpus);
    }

    private List<String> strings(final Node node)
    {
        final List<String> values = new ArrayList<>();
        for (final Node item : sequence(node, "eal"))
        {
            final String arg = scalar(item, "EAL argument");
            if (arg.startsWith("--vdev") || arg.equals("-a") || arg.startsWith("--allow"))
            {
                throw error(item, "devices come from 'ports', not from 'eal' (" + arg + ")");
            }
            values.add(arg);
        }
        return List.copyOf(values);
    }

    int integer(final Node node, final int min, final int max, final String what)
    {
        final String text = scalar(node, what);
        final int value;
        try
        {
            value = Integer.parseInt(text);
        }
        catch (final NumberFormatException ex)
        {
            throw error(node, what + " must be a whole number, not '" + text + "'");
        }
        if (value < min || value > max)
        {
            throw error(node, what + " must be " + min + ".." + max + ", not " + value);
        }
        return value;
    }

    String scalar(final Node node, final String what)
    {
        if (!(node instanceof ScalarNode scalar))
        {
            throw error(node, what + " must be a single value");
        }
        return scalar.getValue().trim();
    }

    List<Node> sequence(final Node node, final String what)
    {
        if (!(node instanceof SequenceNode sequence))
        {
            throw error(node, what + " must be a list");
        }
        return sequence.getValue();
    }

    Map<String, NodeTuple> mapping(final Node node, final String what, final Set<String> allowed)
    {
        if (!(node instanceof MappingNode mapping))
        {
            throw error(node, what + " must be a mapping of keys to values");
        }
        final Map<String, NodeTuple> keys = new LinkedHashMap<>();
        for (final NodeTuple tuple : mapping.getValue())
        {
            final String key = scalar(tuple.getKeyNode(), "a key");
            if (!allowed.contains(key))
            {
                throw error(tuple.getKeyNode(), "unknown key '" + key + "' in " + what + " (expected one of " + new java.util.TreeSet<>(allowed) + ")");
            }
            if (keys.putIfAbsent(key, tuple) != null)
            {
                throw error(tuple.getKeyNode(), "key '" + key + "' is given twice in " + what);
            }
        }
        return keys;
    }

    static Node value(final Map<String, NodeTuple> map, final String key)
    {
        return map.get(key).getValueNode();
    }

    Node required(final Map<String, NodeTuple> map, final String key, final Node parent)
    {
        final NodeTuple tuple = map.get(key);
        if (tuple == null)
        {
            throw error(parent, "'" + key + "' is missing");
        }
        return tuple.getValueNode();
    }

    ConfigException error(final Node node, final String reason)
    {
        final Mark mark = node.getStartMark();
        return new ConfigException(file, mark.getLine() + 1, mark.getColumn() + 1, reason);
    }

    static int line(final Node node)
    {
        return node.getStartMark().getLine() + 1;
    }
}
