package io.flowgate.app.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.conntrack.nat.NatRange;
import io.flowgate.pipeline.nat.NatConfig;
import io.flowgate.pipeline.nat.NatConfig.Filtering;
import io.flowgate.pipeline.nat.NatConfig.StaticMapping;
import io.flowgate.pipeline.nat.NatRule;
import io.flowgate.pipeline.nat.NatRule.Kind;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class NatConfigLoaderTest
{
    private static final Path FILE = Path.of("test.yaml");

    /** Two ports and conntrack: the lines before every {@code nat:} section below (the section starts at line 6). */
    private static final String BASE = """
        workers: [1]
        ports:
          - {name: inside, device: net_null0, addresses: [10.0.0.1/24]}
          - {name: outside, device: net_null1, addresses: [198.51.100.1/24]}
        conntrack: {capacity: 4096}
        """;

    private static NatConfig nat(final String section)
    {
        return ConfigLoader.parse(FILE, BASE + section).nat();
    }

    @Test
    void shouldReadTheHelpersPorts()
    {
        final NatConfig nat = nat("nat: {helpers: {ftp: [21, 2121], tftp: [69]}, rules: [{type: masquerade, out: outside}]}\n");
        assertEquals(List.of(21, 2121), nat.ftpPorts());
        assertEquals(List.of(69), nat.tftpPorts());
        assertTrue(nat.hasHelpers());
        assertFalse(nat("nat: {rules: []}\n").hasHelpers(), "helpers are opt-in, as in Linux");
    }

    @Test
    void shouldReadTheExampleOfTheDesign()
    {
        final NatConfig nat = nat("""
            nat:
              filtering: address-and-port-dependent   # or endpoint-independent
              rules:
                - {type: snat, out: outside, source: 10.0.0.0/8, to: 198.51.100.1-198.51.100.4, ports: 1024-65535, flags: [persistent]}
                - {type: masquerade, out: outside}
                - {type: dnat, in: outside, protocol: tcp, destination: 198.51.100.10, dport: 8080, to: 10.0.0.5, ports: 80}
                - {type: redirect, in: inside, protocol: tcp, dport: 80, ports: 8080}
              static:
                - {inside: 10.0.0.5, outside: 198.51.100.5, port: outside}       # or prefixes of equal length
            """);
        assertEquals(Filtering.ADDRESS_AND_PORT_DEPENDENT, nat.filtering());
        assertEquals(List.of("inside", "outside"), nat.portNames(), "the ports in the order the router opens them");
        assertEquals(4, nat.rules().size());

        final NatRule snat = nat.rules().get(0);
        assertEquals(Kind.SNAT, snat.kind());
        assertNull(snat.inPort());
        assertEquals("outside", snat.outPort());
        assertEquals(-1, snat.protocol());
        assertEquals(0x0A000000, snat.source());
        assertEquals(8, snat.sourceLength());
        assertEquals(0, snat.destinationLength());
        assertEquals(-1, snat.sportMin());
        assertEquals(-1, snat.dportMin());
        assertEquals(NatRange.MAP_IPS | NatRange.PROTO_SPECIFIED | NatRange.PERSISTENT, snat.to().flags);
        assertEquals(0xC6336401, snat.to().minAddress);
        assertEquals(0xC6336404, snat.to().maxAddress);
        assertEquals(1024, snat.to().minPort);
        assertEquals(65535, snat.to().maxPort);
        assertEquals("test.yaml:9", snat.origin());

        final NatRule masquerade = nat.rules().get(1);
        assertEquals(Kind.MASQUERADE, masquerade.kind());
        assertEquals(0, masquerade.to().flags, "no address, no ports, no flags: the out port's address, ports kept when free");

        final NatRule dnat = nat.rules().get(2);
        assertEquals(Kind.DNAT, dnat.kind());
        assertEquals("outside", dnat.inPort());
        assertEquals(6, dnat.protocol());
        assertEquals(0xC633640A, dnat.destination());
        assertEquals(32, dnat.destinationLength());
        assertEquals(8080, dnat.dportMin());
        assertEquals(8080, dnat.dportMax());
        assertEquals(NatRange.MAP_IPS | NatRange.PROTO_SPECIFIED, dnat.to().flags);
        assertEquals(0x0A000005, dnat.to().minAddress);
        assertEquals(0x0A000005, dnat.to().maxAddress);
        assertEquals(80, dnat.to().minPort);
        assertEquals(80, dnat.to().maxPort);

        final NatRule redirect = nat.rules().get(3);
        assertEquals(Kind.REDIRECT, redirect.kind());
        assertEquals(NatRange.PROTO_SPECIFIED, redirect.to().flags);
        assertEquals(8080, redirect.to().minPort);

        assertEquals(List.of(new StaticMapping(0x0A000005, 0xC6336405, 32, "outside", "test.yaml:14")), nat.mappings());
    }

    @Test
    void shouldLoadTheNatExampleInTheDocs()
    {
        final NatConfig nat = ConfigLoader.load(Path.of("..", "docs", "examples", "nat.yaml")).nat();
        assertEquals(3, nat.rules().size());
        assertEquals(1, nat.mappings().size());
        assertEquals(List.of(Kind.DNAT, Kind.SNAT, Kind.MASQUERADE), nat.rules().stream().map(NatRule::kind).toList());
    }

    @Test
    void shouldReadFlagsFilteringProtocolNumbersAndPrefixMappings()
    {
        final NatConfig nat = nat("""
            nat:
              filtering: endpoint-independent
              rules:
                - {type: masquerade, out: outside, protocol: udp, sport: 1000-2000, ports: 20000-30000, flags: [random, fully-random]}
                - {type: snat, protocol: 47, to: 198.51.100.9, flags: persistent}
                - {type: dnat, protocol: icmp, to: 10.0.0.9}
              static:
                - {inside: 10.0.1.0/24, outside: 198.51.100.0/24, port: outside}
                - {inside: 10.0.2.0/24, outside: 198.51.101.0/24, port: outside}
            """);
        assertEquals(Filtering.ENDPOINT_INDEPENDENT, nat.filtering());
        final NatRule masquerade = nat.rules().get(0);
        assertEquals(17, masquerade.protocol());
        assertEquals(1000, masquerade.sportMin());
        assertEquals(2000, masquerade.sportMax());
        assertEquals(NatRange.PROTO_SPECIFIED | NatRange.RANDOM | NatRange.RANDOM_FULLY, masquerade.to().flags);
        assertEquals(47, nat.rules().get(1).protocol());
        assertEquals(NatRange.MAP_IPS | NatRange.PERSISTENT, nat.rules().get(1).to().flags, "a single flag without a list");
        assertEquals(1, nat.rules().get(2).protocol());
        assertEquals(24, nat.mappings().get(1).length());
        assertEquals(0xC6336500, nat.mappings().get(1).outside());
    }

    @Test
    void shouldHaveNoNatWithoutTheSectionAndAnEmptyOneWithoutRules()
    {
        assertNull(ConfigLoader.parse(FILE, BASE).nat());
        final NatConfig empty = nat("nat: {}\n");
        assertTrue(empty.rules().isEmpty());
        assertTrue(empty.mappings().isEmpty());
        assertEquals(Filtering.ADDRESS_AND_PORT_DEPENDENT, empty.filtering(), "Linux's behaviour unless asked");
    }

    @Test
    void shouldDescribeRulesAsNftListsThem()
    {
        final NatConfig nat = nat("""
            nat:
              rules:
                - {type: snat, out: outside, source: 10.0.0.0/8, to: 198.51.100.1-198.51.100.4, ports: 1024-65535, flags: [random, persistent]}
                - {type: masquerade, out: outside}
                - {type: masquerade, protocol: udp, ports: 2000}
                - {type: dnat, in: outside, protocol: tcp, destination: 198.51.100.10, dport: 8080, to: 10.0.0.5, ports: 80}
                - {type: redirect, in: inside, protocol: tcp, sport: 1-1023, dport: 80, ports: 8080}
                - {type: snat, protocol: icmp, to: 198.51.100.3}
              static:
                - {inside: 10.0.1.0/24, outside: 198.51.100.0/24, port: outside}
            """);
        assertEquals(List.of(
                "postrouting oifname \"outside\" ip saddr 10.0.0.0/8 snat ip to 198.51.100.1-198.51.100.4:1024-65535 random,persistent",
                "postrouting oifname \"outside\" masquerade",
                "postrouting ip protocol udp masquerade to :2000",
                "prerouting iifname \"outside\" ip daddr 198.51.100.10 tcp dport 8080 dnat ip to 10.0.0.5:80",
                "prerouting iifname \"inside\" tcp sport 1-1023 tcp dport 80 redirect to :8080",
                "postrouting ip protocol icmp snat ip to 198.51.100.3"),
            nat.rules().stream().map(NatLoader::describe).toList());
        assertEquals(List.of(
                "postrouting oifname \"outside\" ip saddr 10.0.1.0/24 snat ip prefix to 198.51.100.0/24",
                "prerouting iifname \"outside\" ip daddr 198.51.100.0/24 dnat ip prefix to 10.0.1.0/24"),
            NatLoader.describe(nat.mappings().get(0)));
    }

    @Test
    void shouldRefuseNatWithoutConntrack()
    {
        final String noConntrack = BASE.replace("conntrack: {capacity: 4096}\n", "") + "nat:\n  rules: [{type: masquerade}]\n";
        final ConfigException ex = assertThrows(ConfigException.class, () -> ConfigLoader.parse(FILE, noConntrack));
        assertEquals("test.yaml:5:1: 'nat' needs connection tracking: add a 'conntrack' section (enabled)", ex.getMessage());
        final String disabled = BASE.replace("{capacity: 4096}", "{enabled: false}") + "nat: {}\n";
        assertEquals(6, assertThrows(ConfigException.class, () -> ConfigLoader.parse(FILE, disabled)).line());
    }

    @ParameterizedTest(name = "{3}")
    @CsvSource(delimiter = '|', textBlock = """
        'nat: {rules: [], bogus: 1}'                                                     | 6 | 18 | unknown key 'bogus' in nat
        'nat: {helpers: {ftp: [21], sip: [5060]}}'                                       | 6 | 28 | unknown key 'sip' in nat helpers
        'nat: {helpers: {ftp: [21-22]}}'                                                 | 6 | 23 | nat helpers ftp takes single ports
        'nat: {helpers: {tftp: [69, 69]}}'                                               | 6 | 28 | nat helpers tftp port 69 is given twice
        'nat: {filtering: full-cone}'                                                    | 6 | 18 | nat filtering must be 'address-and-port-dependent' or 'endpoint-independent', not 'full-cone'
        'nat: {rules: {type: snat}}'                                                     | 6 | 14 | nat rules must be a list
        'nat:\n  rules:\n    - {type: snat, to: 198.51.100.1, ttl: 3}'                     | 8 | 38 | unknown key 'ttl' in a nat rule
        'nat:\n  rules:\n    - {type: snatt, to: 198.51.100.1}'                            | 8 | 14 | unknown nat rule type 'snatt' (snat, dnat, masquerade or redirect)
        'nat:\n  rules:\n    - {to: 198.51.100.1}'                                         | 8 | 7 | 'type' is missing
        'nat:\n  rules:\n    - {type: masquerade, flags: [random, sticky]}'                | 8 | 42 | unknown flag 'sticky' (random, fully-random or persistent)
        'nat:\n  rules:\n    - {type: masquerade, flags: [random, random]}'                | 8 | 42 | flag 'random' is given twice
        'nat:\n  rules:\n    - {type: masquerade, protocol: sctp}'                         | 8 | 36 | unknown protocol 'sctp' (tcp, udp, icmp or a number 0..255)
        'nat:\n  rules:\n    - {type: masquerade, protocol: 256}'                          | 8 | 36 | unknown protocol '256'
        'nat:\n  rules:\n    - {type: masquerade, out: wan}'                               | 8 | 31 | no port named 'wan'
        'nat:\n  rules:\n    - {type: dnat, in: lan, to: 10.0.0.5}'                        | 8 | 24 | no port named 'lan'
        'nat:\n  rules:\n    - {type: dnat, out: outside, to: 10.0.0.5}'                   | 8 | 20 | 'out' cannot be matched by dnat: it is decided at PREROUTING
        'nat:\n  rules:\n    - {type: redirect, out: outside, ports: 8080}'                | 8 | 24 | 'out' cannot be matched by redirect
        'nat:\n  rules:\n    - {type: dnat, dport: 80, to: 10.0.0.5}'                      | 8 | 20 | 'dport' needs 'protocol: tcp' or 'protocol: udp'
        'nat:\n  rules:\n    - {type: snat, protocol: icmp, sport: 80, to: 198.51.100.1}'  | 8 | 36 | 'sport' needs 'protocol: tcp' or 'protocol: udp'
        'nat:\n  rules:\n    - {type: dnat, protocol: tcp, dport: 90-80, to: 10.0.0.5}'    | 8 | 42 | dport range '90-80' is empty (reversed)
        'nat:\n  rules:\n    - {type: dnat, protocol: tcp, dport: 70000, to: 10.0.0.5}'    | 8 | 42 | dport '70000' is out of 0..65535
        'nat:\n  rules:\n    - {type: dnat, protocol: tcp, dport: http, to: 10.0.0.5}'     | 8 | 42 | dport must be a port or a range like 1024-65535, not 'http'
        'nat:\n  rules:\n    - {type: snat, to: 198.51.100.1, ports: 2000-1024}'           | 8 | 45 | ports range '2000-1024' is empty (reversed)
        'nat:\n  rules:\n    - {type: snat, to: 198.51.100.1, ports: 0}'                   | 8 | 45 | ports '0' is out of 1..65535
        'nat:\n  rules:\n    - {type: snat, to: 198.51.100.4-198.51.100.1}'                | 8 | 24 | address range '198.51.100.4-198.51.100.1' is empty (reversed)
        'nat:\n  rules:\n    - {type: snat, to: 198.51.100.1, ports: ""}'                  | 8 | 45 | ports must be a port or a range like 1024-65535, not ''
        'nat:\n  rules:\n    - {type: snat, to: 198.51.100.1-}'                            | 8 | 24 | '' is not an IPv4 or IPv6 address
        'nat:\n  rules:\n    - {type: snat, to: 198.51.100.300}'                           | 8 | 24 | '198.51.100.300' is not an IPv4 or IPv6 address
        'nat:\n  rules:\n    - {type: snat, to: "2001:db8::1"}'                            | 8 | 24 | to '2001:db8::1': NAT is IPv4 only
        'nat:\n  rules:\n    - {type: snat, out: outside}'                                 | 8 | 7 | 'to' is missing
        'nat:\n  rules:\n    - {type: dnat, protocol: tcp, dport: 80}'                     | 8 | 7 | 'to' is missing
        'nat:\n  rules:\n    - {type: masquerade, to: 198.51.100.1}'                       | 8 | 26 | masquerade takes no 'to'
        'nat:\n  rules:\n    - {type: redirect, to: 10.0.0.1, ports: 8080}'                | 8 | 24 | redirect takes no 'to'
        'nat:\n  rules:\n    - {type: snat, source: 10.0.0.1/8, to: 198.51.100.1}'         | 8 | 28 | '10.0.0.1/8' has host bits set
        'nat:\n  rules:\n    - {type: snat, source: 10.0.0.0/33, to: 198.51.100.1}'        | 8 | 28 | prefix length of '10.0.0.0/33' must be 0..32
        'nat:\n  rules:\n    - {type: dnat, destination: "fd00::1", to: 10.0.0.5}'         | 8 | 33 | NAT is IPv4 only
        'nat:\n  static:\n    - {inside: 10.0.0.0/24, outside: 198.51.100.0/25, port: outside}' | 8 | 38 | a static mapping maps prefixes of equal length: inside /24, outside /25
        'nat:\n  static:\n    - {inside: 10.0.0.0/24, outside: 198.51.100.1/24, port: outside}' | 8 | 38 | '198.51.100.1/24' has host bits set
        'nat:\n  static:\n    - {inside: 10.0.0.5/24, outside: 198.51.100.0/24, port: outside}' | 8 | 16 | '10.0.0.5/24' has host bits set
        'nat:\n  static:\n    - {inside: 0.0.0.0/0, outside: 0.0.0.0/0, port: outside}'   | 8 | 16 | a static mapping of /0 maps every address
        'nat:\n  static:\n    - {inside: 10.0.0.5, outside: 198.51.100.5}'                 | 8 | 7 | 'port' is missing
        'nat:\n  static:\n    - {inside: 10.0.0.5, outside: 198.51.100.5, port: wan}'      | 8 | 55 | no port named 'wan'
        'nat:\n  static:\n    - {inside: 10.0.0.5, outside: 198.51.100.5, port: outside, via: x}' | 8 | 64 | unknown key 'via' in a static mapping
        'nat:\n  static:\n    - {inside: 10.0.0.0/24, outside: 198.51.100.0/24, port: outside}\n    - {inside: 10.0.0.7, outside: 198.51.101.7, port: outside}' | 9 | 16 | inside 10.0.0.7/32 overlaps the static mapping at line 8 (inside 10.0.0.0/24)
        'nat:\n  static:\n    - {inside: 10.0.0.7, outside: 198.51.100.7, port: outside}\n    - {inside: 10.0.1.0/24, outside: 198.51.100.0/24, port: outside}' | 9 | 38 | outside 198.51.100.0/24 overlaps the static mapping at line 8 (outside 198.51.100.7/32)
        """)
    void shouldRefuseWithFileLineColumnAndReason(final String section, final int line, final int column, final String reason)
    {
        final ConfigException ex = assertThrows(ConfigException.class, () -> nat(section.replace("\\n", "\n") + "\n"));
        assertTrue(ex.reason().contains(reason), "reason '" + ex.reason() + "' should contain '" + reason + "'");
        assertEquals(line, ex.line(), ex.getMessage());
        assertEquals(column, ex.column(), ex.getMessage());
        assertTrue(ex.getMessage().startsWith("test.yaml:" + line + ":" + column + ": "), ex.getMessage());
    }
}
