package io.flowgate.pipeline.rules.nft;

import io.flowgate.pipeline.rules.model.Field;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * nft's symbolic constants: the names the parser accepts and the printer writes for protocol numbers, ICMP types,
 * conntrack state and status bits, TCP flags, reject codes and log levels (nft 1.0.6's symbol tables; protocol and
 * service names from {@code /etc/protocols} and {@code /etc/services} as nft reads them through libc).
 */
final class NftNames
{
    static final Map<String, Integer> ICMP_TYPES = table(
        "echo-reply", 0, "destination-unreachable", 3, "source-quench", 4, "redirect", 5, "echo-request", 8,
        "router-advertisement", 9, "router-solicitation", 10, "time-exceeded", 11, "parameter-problem", 12,
        "timestamp-request", 13, "timestamp-reply", 14, "info-request", 15, "info-reply", 16,
        "address-mask-request", 17, "address-mask-reply", 18);

    static final Map<String, Integer> ICMPV6_TYPES = table(
        "destination-unreachable", 1, "packet-too-big", 2, "time-exceeded", 3, "parameter-problem", 4,
        "echo-request", 128, "echo-reply", 129, "mld-listener-query", 130, "mld-listener-report", 131,
        "mld-listener-done", 132, "nd-router-solicit", 133, "nd-router-advert", 134, "nd-neighbor-solicit", 135,
        "nd-neighbor-advert", 136, "nd-redirect", 137, "router-renumbering", 138, "ind-neighbor-solicit", 141,
        "ind-neighbor-advert", 142, "mld2-listener-report", 143);

    /** nft's ct state bits (NF_CT_STATE_*). */
    static final Map<String, Integer> CT_STATE = table(
        "invalid", 1, "established", 2, "related", 4, "new", 8, "untracked", 64);

    /** Linux's IPS_* status bits, nft's names. */
    static final Map<String, Integer> CT_STATUS = table(
        "expected", 1, "seen-reply", 2, "assured", 4, "confirmed", 8, "snat", 16, "dnat", 32, "dying", 512);

    static final Map<String, Integer> TCP_FLAGS = table(
        "fin", 1, "syn", 2, "rst", 4, "psh", 8, "ack", 16, "urg", 32, "ecn", 64, "cwr", 128);

    static final Map<String, Integer> NFPROTO = table("ipv4", 2, "ipv6", 10);

    static final Map<String, Integer> ICMP_CODES = table(
        "net-unreachable", 0, "host-unreachable", 1, "prot-unreachable", 2, "port-unreachable", 3,
        "frag-needed", 4, "net-prohibited", 9, "host-prohibited", 10, "admin-prohibited", 13);

    static final Map<String, Integer> ICMPV6_CODES = table(
        "no-route", 0, "admin-prohibited", 1, "addr-unreachable", 3, "port-unreachable", 4, "policy-fail", 5,
        "reject-route", 6);

    static final Map<String, Integer> ICMPX_CODES = table(
        "no-route", 0, "port-unreachable", 1, "host-unreachable", 2, "admin-prohibited", 3);

    static final Map<String, Integer> LOG_LEVELS = table(
        "emerg", 0, "alert", 1, "crit", 2, "err", 3, "warn", 4, "notice", 5, "info", 6, "debug", 7);

    /** nft's standard priorities (ip, ip6, inet). */
    static final Map<String, Integer> PRIORITIES = table(
        "raw", -300, "mangle", -150, "dstnat", -100, "filter", 0, "security", 50, "srcnat", 100);

    /**
     * Words nft's scanner reserves: nft 1.0.6 refuses them as unquoted table, chain and set names (found by loading
     * {@code table ip W { chain W { } }} for each; "filter", "nat", "input", "state" are not among them).
     */
    static final Set<String> RESERVED = Set.of(
        "fwd", "rt", "ip", "ip6", "inet", "tcp", "udp", "icmp", "ct", "meta", "mark", "limit", "counter", "log",
        "accept", "drop", "reject", "queue", "set", "map", "table", "chain", "type", "hook", "priority", "policy",
        "redirect", "masquerade", "snat", "dnat", "notrack", "flags", "interval", "elements", "comment", "return",
        "jump", "goto", "define", "reset", "vmap", "quota", "ether", "vlan", "arp", "ah", "esp", "th", "sctp",
        "dccp", "all", "netdev", "bridge", "monitor", "list", "add", "flush", "delete", "insert", "create", "rule",
        "handle", "index", "position", "device", "devices", "offload", "timeout", "size", "gc-interval",
        "auto-merge", "typeof", "dynamic", "constant", "icmpv6", "igmp", "udplite", "comp", "dst", "frag", "hbh",
        "mh", "srh", "ipsec", "numgen", "jhash", "symhash", "fib", "dup", "synproxy", "tproxy", "osf", "socket",
        "secmark", "flowtable", "iif", "oif", "iifname", "oifname", "meter", "ruleset", "element", "include",
        "describe", "export", "import", "random", "continue", "exists", "missing", "ecn", "cgroup", "cpu", "pkttype",
        "skuid", "skgid", "nftrace", "rtclassid", "ibrname", "obrname", "iiftype", "oiftype", "iifgroup", "oifgroup",
        "time", "hour", "day");

    private static final Map<String, Integer> PROTOCOLS = new LinkedHashMap<>();
    private static final Map<Integer, String> PROTOCOL_NAMES = new LinkedHashMap<>();
    private static final Map<String, Integer> SERVICES = new LinkedHashMap<>();

    static
    {
        final String[] builtin = {"icmp", "1", "igmp", "2", "tcp", "6", "udp", "17", "gre", "47", "esp", "50",
            "ah", "51", "ipv6-icmp", "58", "sctp", "132", "udplite", "136", "dccp", "33"};
        try
        {
            for (final String line : Files.readAllLines(Path.of("/etc/protocols")))
            {
                final String[] f = fields(line);
                if (f.length >= 2 && f[1].chars().allMatch(Character::isDigit))
                {
                    final int n = Integer.parseInt(f[1]);
                    PROTOCOL_NAMES.putIfAbsent(n, f[0]);
                    for (int i = 0; i < f.length; i++)
                    {
                        if (i != 1)
                        {
                            PROTOCOLS.putIfAbsent(f[i], n);
                        }
                    }
                }
            }
        }
        catch (final IOException | RuntimeException ignored)
        {
            // no /etc/protocols: the built-in names below
        }
        for (int i = 0; i < builtin.length; i += 2)
        {
            PROTOCOLS.putIfAbsent(builtin[i], Integer.parseInt(builtin[i + 1]));
            PROTOCOL_NAMES.putIfAbsent(Integer.parseInt(builtin[i + 1]), builtin[i]);
        }
        PROTOCOLS.putIfAbsent("icmpv6", 58);
        try
        {
            for (final String line : Files.readAllLines(Path.of("/etc/services")))
            {
                final String[] f = fields(line);
                if (f.length >= 2 && f[1].indexOf('/') > 0)
                {
                    final String port = f[1].substring(0, f[1].indexOf('/'));
                    if (port.chars().allMatch(Character::isDigit))
                    {
                        for (int i = 0; i < f.length; i++)
                        {
                            if (i != 1)
                            {
                                SERVICES.putIfAbsent(f[i], Integer.parseInt(port));
                            }
                        }
                    }
                }
            }
        }
        catch (final IOException | RuntimeException ignored)
        {
            // no /etc/services: ports by number only
        }
        final String[] builtinServices = {"ssh", "22", "http", "80", "https", "443", "domain", "53", "smtp", "25",
            "ntp", "123", "bootps", "67", "bootpc", "68"};
        for (int i = 0; i < builtinServices.length; i += 2)
        {
            SERVICES.putIfAbsent(builtinServices[i], Integer.parseInt(builtinServices[i + 1]));
        }
    }

    private NftNames()
    {
    }

    private static String[] fields(final String line)
    {
        final int hash = line.indexOf('#');
        final String text = (hash >= 0 ? line.substring(0, hash) : line).trim();
        return text.isEmpty() ? new String[0] : text.split("\\s+");
    }

    private static Map<String, Integer> table(final Object... pairs)
    {
        final Map<String, Integer> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2)
        {
            map.put((String)pairs[i], (Integer)pairs[i + 1]);
        }
        return Collections.unmodifiableMap(map); // insertion order kept: the printer searches in it
    }

    static Integer protocol(final String name)
    {
        return PROTOCOLS.get(name);
    }

    static String protocolName(final int number)
    {
        return PROTOCOL_NAMES.get(number);
    }

    static Integer service(final String name)
    {
        return SERVICES.get(name);
    }

    /** The name of {@code value} in {@code names}, null when none. */
    static String nameOf(final Map<String, Integer> names, final long value)
    {
        for (final Map.Entry<String, Integer> e : names.entrySet())
        {
            if (e.getValue() == value)
            {
                return e.getKey();
            }
        }
        return null;
    }

    /** The bit names of a bitmask field. */
    static Map<String, Integer> bits(final Field field)
    {
        return switch (field)
        {
            case CT_STATE -> CT_STATE;
            case CT_STATUS -> CT_STATUS;
            case TCP_FLAGS -> TCP_FLAGS;
            default -> null;
        };
    }
}
