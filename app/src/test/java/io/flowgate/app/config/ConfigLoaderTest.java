package io.flowgate.app.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.conntrack.ConntrackConfig;
import io.flowgate.conntrack.tcp.TcpState;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest
{
    private static final Path FILE = Path.of("test.yaml");

    private static final String VALID = """
        dispatch: software
        workers: [1]
        dispatcher: 0
        ports:
          - name: inside
            device: net_af_packet0,iface=a
            addresses: [10.0.1.1/24, "fd00:1::1/64"]
          - name: outside
            device: net_af_packet1,iface=b
            addresses: [10.0.2.1/24]
        routes:
          - to: 0.0.0.0/0
            via: 10.0.2.254
          - to: 192.168.0.0/16
            via: [10.0.2.253, 10.0.2.252]
          - to: 172.16.0.0/12
            port: inside
        """;

    @Test
    void shouldReadTheConntrackSectionWithLinuxNamedTimeoutsInSeconds() throws Exception
    {
        final FlowgateConfig off = ConfigLoader.parse(FILE, VALID);
        assertNull(off.conntrack(), "no section: no tracking");
        final FlowgateConfig disabled = ConfigLoader.parse(FILE, VALID + "conntrack: {enabled: false, capacity: 4096}\n");
        assertNull(disabled.conntrack());
        final ConntrackConfig ct = ConfigLoader.parse(FILE, VALID + """
            conntrack:
              capacity: 4096
              checksum: false
              timeouts: {udp: 10, udp_stream: 60, generic: 5, tcp_established: 3600, tcp_time_wait: 30, tcp_max_retrans: 100}
              tcp: {loose: false, be_liberal: true, max_retrans: 5, ignore_invalid_rst: true}
            """).conntrack();
        assertEquals(4096, ct.capacity());
        assertEquals(1024, ct.capacity6(), "a quarter of capacity");
        assertFalse(ct.checksum());
        assertEquals(10_000, ct.timeouts().udpMs());
        assertEquals(60_000, ct.timeouts().udpStreamMs());
        assertEquals(30_000, ct.timeouts().icmpMs(), "Linux's default where not given");
        assertEquals(5_000, ct.timeouts().genericMs());
        assertEquals(3_600_000, ct.tcp().timeoutMs(TcpState.ESTABLISHED));
        assertEquals(30_000, ct.tcp().timeoutMs(TcpState.TIME_WAIT));
        assertEquals(100_000, ct.tcp().timeoutMs(TcpState.RETRANS));
        assertEquals(120_000, ct.tcp().timeoutMs(TcpState.SYN_SENT), "Linux's default where not given");
        assertFalse(ct.tcp().loose());
        assertTrue(ct.tcp().beLiberal());
        assertTrue(ct.tcp().ignoreInvalidRst());
        assertEquals(5, ct.tcp().maxRetrans());
    }

    @Test
    void shouldLoadTheExampleInTheDocs()
    {
        final FlowgateConfig config = ConfigLoader.load(Path.of("..", "docs", "examples", "router.yaml"));
        assertEquals(2, config.ports().size());
        assertEquals(5, config.routes().size());
        assertEquals(1, config.neighbours().size());
        assertEquals(FlowgateConfig.Dispatch.RSS, config.dispatch());
    }

    @Test
    void shouldReadEveryField() throws Exception
    {
        final FlowgateConfig config = ConfigLoader.parse(FILE, VALID);
        assertEquals(List.of(1), config.workers());
        assertEquals(0, config.dispatcher());
        assertEquals(32, config.burst());
        assertEquals(1024, config.ringSize());
        final FlowgateConfig.PortSpec inside = config.ports().get(0);
        assertEquals("inside", inside.name());
        assertEquals(1, inside.queues());
        assertEquals(1500, inside.mtu());
        assertEquals("10.0.1.1/24", inside.addresses().get(0).toString());
        assertEquals(5, inside.line());
        final FlowgateConfig.RouteSpec ecmp = config.routes().get(1);
        assertEquals(List.of(InetAddress.ofLiteral("10.0.2.253"), InetAddress.ofLiteral("10.0.2.252")), ecmp.via());
        assertEquals("inside", config.routes().get(2).port());
    }

    @ParameterizedTest(name = "{3}")
    @CsvSource(delimiter = '|', textBlock = """
        'workers: [1]\nports: [{name: a, device: net_null0}]\nbogus: 1'                                       | 3 | 1 | unknown key 'bogus'
        'ports: [{name: a, device: net_null0}]'                                                               | 1 | 1 | 'workers' is missing
        'workers: [1]\nports:\n  - name: a\n    device: net_null0\n  - name: a\n    device: net_null1'        | 5 | 11 | port name 'a' is used twice (first at line 3)
        'workers: [1]\nports:\n  - name: a\n    device: net_null0\n  - name: b\n    device: net_null0'        | 6 | 13 | device 'net_null0' is used twice
        'workers: [1, 1]\nports: [{name: a, device: net_null0}]'                                              | 1 | 14 | CPU 1 is listed twice
        'workers: [x]\nports: [{name: a, device: net_null0}]'                                                 | 1 | 11 | worker CPU must be a whole number
        'workers: [1]\nburst: 1000\nports: [{name: a, device: net_null0}]'                                     | 2 | 8 | burst must be 1..512, not 1000
        'workers: [1]\nrings: {size: 1000}\nports: [{name: a, device: net_null0}]'                             | 2 | 15 | ring size must be a power of two
        'workers: [1]\ndispatch: magic\nports: [{name: a, device: net_null0}]'                                 | 2 | 11 | dispatch must be 'rss' or 'software'
        'workers: [1]\ndispatch: software\nports: [{name: a, device: net_null0}]'                              | 1 | 1 | 'dispatcher' is missing
        'workers: [1]\ndispatcher: 0\nports: [{name: a, device: net_null0}]'                                   | 2 | 1 | 'dispatcher' is only for 'dispatch: software'
        'workers: [1, 2]\nports: [{name: a, device: net_null0, queues: 1}]'                                    | 2 | 46 | one queue per worker (2), not 1
        'workers: [1]\nports: [{name: A, device: net_null0}]'                                                 | 2 | 16 | port name 'A' must be
        'workers: [1]\nports: [{name: a, device: net_null0, addresses: [10.0.0.1]}]'                          | 2 | 50 | needs a prefix length
        'workers: [1]\nports: [{name: a, device: net_null0, addresses: [10.0.0.300/24]}]'                     | 2 | 50 | is not an IPv4 or IPv6 address
        'workers: [1]\nports: [{name: a, device: net_null0, addresses: [10.0.0.1/33]}]'                       | 2 | 50 | prefix length of '10.0.0.1/33' must be 0..32
        'workers: [1]\nports: [{name: a, device: net_null0, addresses: [10.0.0.1/24]}]\nroutes: [{to: 10.1.0.1/16, via: 10.0.0.2}]' | 3 | 15 | has host bits set
        'workers: [1]\nports: [{name: a, device: net_null0, addresses: [10.0.0.1/24]}]\nroutes: [{to: 10.1.0.0/16, via: 10.9.0.2}]' | 3 | 33 | gateway 10.9.0.2 is not on a network of any port
        'workers: [1]\nports: [{name: a, device: net_null0, addresses: [10.0.0.1/24]}]\nroutes: [{to: 10.1.0.0/16, port: b}]'      | 3 | 34 | no port named 'b'
        'workers: [1]\nports: [{name: a, device: net_null0, addresses: [10.0.0.1/24]}]\nroutes: [{to: 10.1.0.0/16}]'               | 3 | 10 | a route needs 'via' (gateways), 'port', or both
        'workers: [1]\nports: [{name: a, device: net_null0, addresses: [10.0.0.1/24]}]\nroutes: [{to: "fd00::/8", via: 10.0.0.2}]'  | 3 | 32 | is not of the family of fd00:0:0:0:0:0:0:0/8
        'workers: [1]\nports: [{name: a, device: net_null0, addresses: ["fe80::1/64"]}]'                      | 2 | 50 | link-local address is derived from its MAC
        'workers: [1]\nports: [{name: a, device: net_null0, addresses: ["::1/128"]}]'                         | 2 | 50 | cannot be a port address (loopback)
        'workers: [1]\nports: [{name: a, device: net_null0, mtu: 1000, addresses: ["fd00::1/64"]}]'           | 2 | 43 | needs an mtu of at least 1280
        'workers: [1]\nports: [{name: a, device: net_null0, addresses: ["fd00::1/64"]}]\nroutes: [{to: "::/0", via: "fe80::1"}]'   | 3 | 28 | needs 'port'
        'workers: [1]\nports: [{name: a, device: net_null0, addresses: ["fd00::1/64"]}]\nroutes: [{to: "::/0", via: "fd00:9::1"}]' | 3 | 28 | gateway fd00:9:0:0:0:0:0:1 is not on a network of any port
        'workers: [1]\nports: [{name: a, device: net_null0, addresses: ["fd00::1/64"]}]\nroutes: [{to: "fd00:8::1/64", via: "fd00::2"}]' | 3 | 15 | has host bits set
        'workers: [1]\nports: [{name: a, device: net_null0, addresses: ["fd00::1/64"]}]\nneighbours: [{port: a, address: "fd00:9::2", mac: "02:00:00:00:00:01"}]' | 3 | 33 | is not on a network of port a
        'workers: [1]\nports: [{name: a, device: net_null0}]\neal: [--vdev=net_null1]'                         | 3 | 7 | devices come from 'ports'
        'workers: [1]\nports: [{name: a, device: net_null0}]\nworkers: [2]'                                   | 3 | 1 | key 'workers' is given twice
        'workers: [1\nports: []'                                                                             | 2 | 6 | not valid YAML
        'workers: [1]\nports: [{name: a, device: net_null0}]\nconntrack: {capacity: 100}'                    | 3 | 23 | conntrack capacity (connections per worker) must be 1024..67108864, not 100
        'workers: [1]\nports: [{name: a, device: net_null0}]\nconntrack: {capacity: 2048, capacity6: 4096}'  | 3 | 40 | capacity6 (IPv6 connections per worker, at most capacity) must be 16..2048
        'workers: [1]\nports: [{name: a, device: net_null0}]\nconntrack: {enabled: maybe}'                   | 3 | 22 | conntrack enabled must be true or false, not 'maybe'
        'workers: [1]\nports: [{name: a, device: net_null0}]\nconntrack: {timeouts: {udp: 0}}'               | 3 | 29 | timeout udp (seconds) must be 1..
        'workers: [1]\nports: [{name: a, device: net_null0}]\nconntrack: {timeouts: {tcp_listen: 5}}'        | 3 | 24 | unknown key 'tcp_listen' in conntrack timeouts
        'workers: [1]\nports: [{name: a, device: net_null0}]\nconntrack: {tcp: {max_retrans: 300}}'          | 3 | 32 | conntrack tcp max_retrans must be 0..255, not 300
        'workers: [1]\nports: [{name: a, device: net_null0}]\nconntrack: {nat: yes}'                         | 3 | 13 | unknown key 'nat' in conntrack
        """)
    void shouldRefuseWithFileLineColumnAndReason(final String yaml, final int line, final int column, final String reason)
    {
        final ConfigException ex = assertThrows(ConfigException.class, () -> ConfigLoader.parse(FILE, yaml.replace("\\n", "\n")));
        assertTrue(ex.reason().contains(reason), "reason '" + ex.reason() + "' should contain '" + reason + "'");
        assertEquals(line, ex.line(), ex.getMessage());
        assertEquals(column, ex.column(), ex.getMessage());
        assertTrue(ex.getMessage().startsWith("test.yaml:" + line + ":" + column + ": "), ex.getMessage());
    }

    @Test
    void shouldReadIpv6AddressesRoutesAndNeighbours()
    {
        final FlowgateConfig config = ConfigLoader.parse(FILE, """
            workers: [1]
            ports:
              - name: inside
                device: net_af_packet0,iface=a
                addresses: ["fd00:1::1/64"]
              - name: outside
                device: net_af_packet1,iface=b
                mtu: 1280
                addresses: [10.0.2.1/24, "fd00:2::1/64"]
            routes:
              - to: "::/0"
                via: "fd00:2::2"
              - to: "fd00:99::/48"
                via: "fe80::2"
                port: outside
            neighbours:
              - {port: outside, address: "fe80::2", mac: "02:00:00:00:00:02"}
              - {port: inside, address: "fd00:1::2", mac: "02:00:00:00:00:03"}
            """);
        assertEquals("fd00:1:0:0:0:0:0:1/64", config.ports().get(0).addresses().get(0).toString());
        assertEquals(List.of(InetAddress.ofLiteral("fd00:2::2")), config.routes().get(0).via());
        assertEquals("outside", config.routes().get(1).port());
        assertEquals(InetAddress.ofLiteral("fe80::2"), config.neighbours().get(0).address());
    }

    @Test
    void shouldRefuseAnEmptyFileAndAMissingOne()
    {
        assertEquals(1, assertThrows(ConfigException.class, () -> ConfigLoader.parse(FILE, "")).line());
        final ConfigException missing = assertThrows(ConfigException.class, () -> ConfigLoader.load(Path.of("/nonexistent/flowgate.yaml")));
        assertTrue(missing.getMessage().startsWith("/nonexistent/flowgate.yaml:0:0: cannot read"), missing.getMessage());
    }
}
