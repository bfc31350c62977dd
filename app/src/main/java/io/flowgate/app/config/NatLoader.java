package io.flowgate.app.config;

import io.flowgate.app.config.FlowgateConfig.PortSpec;
import io.flowgate.conntrack.nat.NatRange;
import io.flowgate.pipeline.nat.NatConfig;
import io.flowgate.pipeline.nat.NatConfig.Filtering;
import io.flowgate.pipeline.nat.NatConfig.StaticMapping;
import io.flowgate.pipeline.nat.NatRule;
import io.flowgate.pipeline.nat.NatRule.Kind;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * The {@code nat:} section (docs/nat.md, docs/configuration.md) into a {@link NatConfig}: rules in order, static
 * 1:1 mappings, the filtering behaviour. Every refusal names the node at fault, as the rest of {@link ConfigLoader}.
 * Also prints rules the way nft lists them ({@link #describe(NatRule)}), for {@code flowgate config check}.
 */
public final class NatLoader
{
    private static final Set<String> NAT_KEYS = Set.of("filtering", "rules", "static", "helpers");
    private static final Set<String> HELPER_KEYS = Set.of("ftp", "tftp");
    private static final Set<String> RULE_KEYS = Set.of("type", "in", "out", "protocol", "source", "destination", "sport", "dport", "to",
        "ports", "flags");
    private static final Set<String> STATIC_KEYS = Set.of("inside", "outside", "port");
    private static final Pattern PORT_RANGE = Pattern.compile("(\\d{1,5})(?:-(\\d{1,5}))?");
    private static final int TCP = 6;
    private static final int UDP = 17;
    private static final int ICMP = 1;

    private final ConfigLoader loader;
    private final List<PortSpec> ports;

    NatLoader(final ConfigLoader loader, final List<PortSpec> ports)
    {
        this.loader = loader;
        this.ports = ports;
    }

    NatConfig nat(final Node node)
    {
        final Map<String, NodeTuple> nat = loader.mapping(node, "nat", NAT_KEYS);
        Filtering filtering = Filtering.ADDRESS_AND_PORT_DEPENDENT;
        if (nat.containsKey("filtering"))
        {
            final Node f = ConfigLoader.value(nat, "filtering");
            final String text = loader.scalar(f, "nat filtering");
            filtering = switch (text)
            {
                case "address-and-port-dependent" -> Filtering.ADDRESS_AND_PORT_DEPENDENT;
                case "endpoint-independent" -> Filtering.ENDPOINT_INDEPENDENT;
                default -> throw loader.error(f, "nat filtering must be 'address-and-port-dependent' or 'endpoint-independent', not '"
                    + text + "'");
            };
        }
        final List<NatRule> rules = new ArrayList<>();
        if (nat.containsKey("rules"))
        {
            for (final Node item : loader.sequence(ConfigLoader.value(nat, "rules"), "nat rules"))
            {
                rules.add(rule(item));
            }
        }
        final List<StaticMapping> mappings = new ArrayList<>();
        if (nat.containsKey("static"))
        {
            final List<Node> lines = new ArrayList<>();
            for (final Node item : loader.sequence(ConfigLoader.value(nat, "static"), "nat static"))
            {
                final StaticMapping mapping = mapping(item, mappings, lines);
                mappings.add(mapping);
                lines.add(item);
            }
        }
        final NatConfig config = new NatConfig(rules, mappings, filtering, ports.stream().map(PortSpec::name).toList());
        if (!nat.containsKey("helpers"))
        {
            return config;
        }
        final Map<String, NodeTuple> helpers = loader.mapping(ConfigLoader.value(nat, "helpers"), "nat helpers", HELPER_KEYS);
        return config.withHelpers(helperPorts(helpers, "ftp"), helperPorts(helpers, "tftp"));
    }

    /** {@code helpers: {ftp: [21], tftp: [69]}}: the server ports each helper follows. */
    private List<Integer> helperPorts(final Map<String, NodeTuple> helpers, final String name)
    {
        final List<Integer> out = new ArrayList<>();
        if (helpers.containsKey(name))
        {
            for (final Node item : loader.sequence(ConfigLoader.value(helpers, name), "nat helpers " + name))
            {
                final int[] port = portRange(item, "nat helpers " + name + " port", 1);
                if (port[0] != port[1])
                {
                    throw loader.error(item, "nat helpers " + name + " takes single ports, not a range");
                }
                if (out.contains(port[0]))
                {
                    throw loader.error(item, "nat helpers " + name + " port " + port[0] + " is given twice");
                }
                out.add(port[0]);
            }
        }
        return out;
    }

    private NatRule rule(final Node item)
    {
        final Map<String, NodeTuple> rule = loader.mapping(item, "a nat rule", RULE_KEYS);
        final Node typeNode = loader.required(rule, "type", item);
        final String type = loader.scalar(typeNode, "nat rule type");
        final Kind kind = switch (type)
        {
            case "snat" -> Kind.SNAT;
            case "dnat" -> Kind.DNAT;
            case "masquerade" -> Kind.MASQUERADE;
            case "redirect" -> Kind.REDIRECT;
            default -> throw loader.error(typeNode, "unknown nat rule type '" + type + "' (snat, dnat, masquerade or redirect)");
        };
        final String in = rule.containsKey("in") ? portName(ConfigLoader.value(rule, "in")) : null;
        String out = null;
        if (rule.containsKey("out"))
        {
            if (kind.isDestination())
            {
                throw loader.error(rule.get("out").getKeyNode(), "'out' cannot be matched by " + type
                    + ": it is decided at PREROUTING, before routing chose the out port");
            }
            out = portName(ConfigLoader.value(rule, "out"));
        }
        final int protocol = rule.containsKey("protocol") ? protocol(ConfigLoader.value(rule, "protocol")) : -1;
        final int[] source = rule.containsKey("source") ? prefix(ConfigLoader.value(rule, "source"), "source") : new int[] {0, 0};
        final int[] destination = rule.containsKey("destination") ? prefix(ConfigLoader.value(rule, "destination"), "destination")
            : new int[] {0, 0};
        final int[] sport = transportMatch(rule, "sport", protocol);
        final int[] dport = transportMatch(rule, "dport", protocol);

        int flags = 0;
        int minAddress = 0;
        int maxAddress = 0;
        if (kind == Kind.SNAT || kind == Kind.DNAT)
        {
            final Node to = loader.required(rule, "to", item);
            final int[] range = addressRange(to);
            flags |= NatRange.MAP_IPS;
            minAddress = range[0];
            maxAddress = range[1];
        }
        else if (rule.containsKey("to"))
        {
            throw loader.error(rule.get("to").getKeyNode(), type + " takes no 'to': it maps to the address of the "
                + (kind == Kind.MASQUERADE ? "port the packet leaves by" : "port the packet came in on") + " (give 'ports' for the ports)");
        }
        int minPort = 0;
        int maxPort = 0;
        if (rule.containsKey("ports"))
        {
            final int[] range = portRange(ConfigLoader.value(rule, "ports"), "ports", 1);
            flags |= NatRange.PROTO_SPECIFIED;
            minPort = range[0];
            maxPort = range[1];
        }
        if (rule.containsKey("flags"))
        {
            flags |= flags(ConfigLoader.value(rule, "flags"));
        }
        final String origin = loader.file() + ":" + ConfigLoader.line(item);
        try
        {
            return new NatRule(kind, in, out, protocol, source[0], source[1], destination[0], destination[1], sport[0], sport[1],
                dport[0], dport[1], new NatRange(flags, minAddress, maxAddress, minPort, maxPort), origin);
        }
        catch (final IllegalArgumentException ex)
        {
            throw loader.error(item, ex.getMessage());
        }
    }

    /** {@code sport}/{@code dport}: {min, max}, or {-1, -1} when absent; only with TCP or UDP. */
    private int[] transportMatch(final Map<String, NodeTuple> rule, final String key, final int protocol)
    {
        if (!rule.containsKey(key))
        {
            return new int[] {-1, -1};
        }
        if (protocol != TCP && protocol != UDP)
        {
            throw loader.error(rule.get(key).getKeyNode(), "'" + key + "' needs 'protocol: tcp' or 'protocol: udp' (ports are theirs)");
        }
        return portRange(ConfigLoader.value(rule, key), key, 0);
    }

    private String portName(final Node node)
    {
        final String name = loader.scalar(node, "port name");
        for (final PortSpec port : ports)
        {
            if (port.name().equals(name))
            {
                return name;
            }
        }
        throw loader.error(node, "no port named '" + name + "'");
    }

    private int protocol(final Node node)
    {
        final String text = loader.scalar(node, "protocol");
        return switch (text)
        {
            case "tcp" -> TCP;
            case "udp" -> UDP;
            case "icmp" -> ICMP;
            default ->
            {
                if (text.matches("\\d{1,3}") && Integer.parseInt(text) <= 255)
                {
                    yield Integer.parseInt(text);
                }
                throw loader.error(node, "unknown protocol '" + text + "' (tcp, udp, icmp or a number 0..255)");
            }
        };
    }

    private int flags(final Node node)
    {
        final List<Node> items = node instanceof SequenceNode ? loader.sequence(node, "flags") : List.of(node);
        int flags = 0;
        for (final Node item : items)
        {
            final String text = loader.scalar(item, "flag");
            final int flag = switch (text)
            {
                case "random" -> NatRange.RANDOM;
                case "fully-random" -> NatRange.RANDOM_FULLY;
                case "persistent" -> NatRange.PERSISTENT;
                default -> throw loader.error(item, "unknown flag '" + text + "' (random, fully-random or persistent)");
            };
            if ((flags & flag) != 0)
            {
                throw loader.error(item, "flag '" + text + "' is given twice");
            }
            flags |= flag;
        }
        return flags;
    }

    /** A port or {@code MIN-MAX}, each {@code lowest}..65535, not empty. */
    private int[] portRange(final Node node, final String what, final int lowest)
    {
        final String text = loader.scalar(node, what);
        final Matcher m = PORT_RANGE.matcher(text);
        if (!m.matches())
        {
            throw loader.error(node, what + " must be a port or a range like 1024-65535, not '" + text + "'");
        }
        final int min = Integer.parseInt(m.group(1));
        final int max = m.group(2) == null ? min : Integer.parseInt(m.group(2));
        if (min < lowest || max > 65535)
        {
            throw loader.error(node, what + " '" + text + "' is out of " + lowest + "..65535");
        }
        if (min > max)
        {
            throw loader.error(node, what + " range '" + text + "' is empty (reversed)");
        }
        return new int[] {min, max};
    }

    /** An address or {@code FIRST-LAST}, IPv4, not empty. */
    private int[] addressRange(final Node node)
    {
        final String text = loader.scalar(node, "to");
        final int dash = text.indexOf('-');
        final int first = ipv4(node, dash < 0 ? text : text.substring(0, dash), "to");
        final int last = dash < 0 ? first : ipv4(node, text.substring(dash + 1), "to");
        if (Integer.compareUnsigned(first, last) > 0)
        {
            throw loader.error(node, "address range '" + text + "' is empty (reversed)");
        }
        return new int[] {first, last};
    }

    /** An address (a /32) or a prefix with its host bits zero: {address, length}. */
    private int[] prefix(final Node node, final String what)
    {
        final String text = loader.scalar(node, what);
        final int slash = text.indexOf('/');
        final int address = ipv4(node, slash < 0 ? text : text.substring(0, slash), what);
        int length = 32;
        if (slash >= 0)
        {
            final String len = text.substring(slash + 1);
            if (!len.matches("\\d{1,2}") || Integer.parseInt(len) > 32)
            {
                throw loader.error(node, "prefix length of '" + text + "' must be 0..32");
            }
            length = Integer.parseInt(len);
        }
        final int hostMask = length == 0 ? -1 : length == 32 ? 0 : -1 >>> length;
        if ((address & hostMask) != 0)
        {
            throw loader.error(node, "'" + text + "' has host bits set (invalid prefix for its length)");
        }
        return new int[] {address, length};
    }

    private int ipv4(final Node node, final String text, final String what)
    {
        final InetAddress address = loader.literal(node, text.trim());
        if (!(address instanceof Inet4Address))
        {
            throw loader.error(node, what + " '" + text.trim() + "': NAT is IPv4 only");
        }
        return ByteBuffer.wrap(address.getAddress()).getInt();
    }

    private StaticMapping mapping(final Node item, final List<StaticMapping> before, final List<Node> beforeNodes)
    {
        final Map<String, NodeTuple> entry = loader.mapping(item, "a static mapping", STATIC_KEYS);
        final Node insideNode = loader.required(entry, "inside", item);
        final int[] inside = prefix(insideNode, "inside");
        final Node outsideNode = loader.required(entry, "outside", item);
        final int[] outside = prefix(outsideNode, "outside");
        if (inside[1] != outside[1])
        {
            throw loader.error(outsideNode, "a static mapping maps prefixes of equal length: inside /" + inside[1] + ", outside /"
                + outside[1]);
        }
        if (inside[1] == 0)
        {
            throw loader.error(insideNode, "a static mapping of /0 maps every address: give a prefix of length 1..32");
        }
        final String port = portName(loader.required(entry, "port", item));
        for (int i = 0; i < before.size(); i++)
        {
            final StaticMapping other = before.get(i);
            if (overlaps(inside[0], inside[1], other.inside(), other.length()))
            {
                throw loader.error(insideNode, "inside " + text(inside) + " overlaps the static mapping at line "
                    + ConfigLoader.line(beforeNodes.get(i)) + " (inside " + NatRange.ipv4(other.inside()) + "/" + other.length() + ")");
            }
            if (overlaps(outside[0], outside[1], other.outside(), other.length()))
            {
                throw loader.error(outsideNode, "outside " + text(outside) + " overlaps the static mapping at line "
                    + ConfigLoader.line(beforeNodes.get(i)) + " (outside " + NatRange.ipv4(other.outside()) + "/" + other.length() + ")");
            }
        }
        try
        {
            return new StaticMapping(inside[0], outside[0], inside[1], port, loader.file() + ":" + ConfigLoader.line(item));
        }
        catch (final IllegalArgumentException ex)
        {
            throw loader.error(item, ex.getMessage());
        }
    }

    private static boolean overlaps(final int a, final int aLength, final int b, final int bLength)
    {
        final int shorter = Math.min(aLength, bLength);
        return shorter == 0 || ((a ^ b) >>> (32 - shorter)) == 0;
    }

    private static String text(final int[] prefix)
    {
        return NatRange.ipv4(prefix[0]) + "/" + prefix[1];
    }

    /**
     * A rule as nft lists it in a nat chain, with its hook first: {@code postrouting oifname "outside" ip saddr
     * 10.0.0.0/8 snat ip to 198.51.100.1-198.51.100.4:1024-65535 persistent}.
     */
    public static String describe(final NatRule rule)
    {
        final StringBuilder s = new StringBuilder(rule.kind().isDestination() ? "prerouting" : "postrouting");
        if (rule.inPort() != null)
        {
            s.append(" iifname \"").append(rule.inPort()).append('"');
        }
        if (rule.outPort() != null)
        {
            s.append(" oifname \"").append(rule.outPort()).append('"');
        }
        if (rule.sourceLength() > 0)
        {
            s.append(" ip saddr ").append(prefixText(rule.source(), rule.sourceLength()));
        }
        if (rule.destinationLength() > 0)
        {
            s.append(" ip daddr ").append(prefixText(rule.destination(), rule.destinationLength()));
        }
        final String l4 = protocolName(rule.protocol());
        final boolean portMatch = rule.sportMin() >= 0 && rule.sportMin() <= rule.sportMax()
            || rule.dportMin() >= 0 && rule.dportMin() <= rule.dportMax();
        if (rule.protocol() >= 0 && !portMatch)
        {
            s.append(" ip protocol ").append(l4);
        }
        if (rule.sportMin() >= 0 && rule.sportMin() <= rule.sportMax())
        {
            s.append(' ').append(l4).append(" sport ").append(range(rule.sportMin(), rule.sportMax()));
        }
        if (rule.dportMin() >= 0 && rule.dportMin() <= rule.dportMax())
        {
            s.append(' ').append(l4).append(" dport ").append(range(rule.dportMin(), rule.dportMax()));
        }
        final NatRange to = rule.to();
        s.append(' ').append(rule.kind().name().toLowerCase(java.util.Locale.ROOT));
        if (to.mapsAddress())
        {
            s.append(" ip to ").append(NatRange.ipv4(to.minAddress));
            if (to.maxAddress != to.minAddress)
            {
                s.append('-').append(NatRange.ipv4(to.maxAddress));
            }
        }
        else if (to.mapsPort())
        {
            s.append(" to ");
        }
        if (to.mapsPort())
        {
            s.append(':').append(range(to.minPort, to.maxPort));
        }
        final List<String> flags = new ArrayList<>();
        if (to.has(NatRange.RANDOM))
        {
            flags.add("random");
        }
        if (to.has(NatRange.RANDOM_FULLY))
        {
            flags.add("fully-random");
        }
        if (to.has(NatRange.PERSISTENT))
        {
            flags.add("persistent");
        }
        if (!flags.isEmpty())
        {
            s.append(' ').append(String.join(",", flags));
        }
        return s.toString();
    }

    /**
     * A static mapping as the two nft rules it stands for (Linux's NETMAP in both directions):
     * {@code postrouting oifname "outside" ip saddr 10.0.0.5 snat ip prefix to 198.51.100.5} and
     * {@code prerouting iifname "outside" ip daddr 198.51.100.5 dnat ip prefix to 10.0.0.5}.
     */
    public static List<String> describe(final StaticMapping mapping)
    {
        final String inside = prefixText(mapping.inside(), mapping.length());
        final String outside = prefixText(mapping.outside(), mapping.length());
        final String port = mapping.port() == null ? "" : " \"" + mapping.port() + "\"";
        return List.of(
            "postrouting" + (port.isEmpty() ? "" : " oifname" + port) + " ip saddr " + inside + " snat ip prefix to " + outside,
            "prerouting" + (port.isEmpty() ? "" : " iifname" + port) + " ip daddr " + outside + " dnat ip prefix to " + inside);
    }

    private static String prefixText(final int address, final int length)
    {
        return NatRange.ipv4(address) + (length == 32 ? "" : "/" + length);
    }

    private static String range(final int min, final int max)
    {
        return min == max ? Integer.toString(min) : min + "-" + max;
    }

    private static String protocolName(final int protocol)
    {
        return switch (protocol)
        {
            case TCP -> "tcp";
            case UDP -> "udp";
            case ICMP -> "icmp";
            default -> Integer.toString(protocol);
        };
    }
}
