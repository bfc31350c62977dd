package io.flowgate.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code flowgate config check} on a configuration with a {@code nat:} section, through the packaged jar. */
class NatConfigCheckIT
{
    @Test
    void shouldPrintEachNatRuleAsNftListsIt() throws Exception
    {
        final FlowgateCli cli = FlowgateCli.run(60, List.of("config", "check", Path.of("..", "docs", "examples", "nat.yaml").toString()));
        assertEquals(0, cli.process.exitValue(), cli.toString());
        final List<String> nat = cli.stdout.stream().filter(l -> l.startsWith("nat ")).toList();
        assertEquals(List.of(
                "nat filtering address-and-port-dependent, 3 rule(s), 1 static mapping(s)",
                "nat postrouting oifname \"outside\" ip saddr 10.0.1.5 snat ip prefix to 198.51.100.5 # static ../docs/examples/nat.yaml:19",
                "nat prerouting iifname \"outside\" ip daddr 198.51.100.5 dnat ip prefix to 10.0.1.5 # static ../docs/examples/nat.yaml:19",
                "nat prerouting iifname \"outside\" ip daddr 198.51.100.1 tcp dport 8080 dnat ip to 10.0.1.10:80 # ../docs/examples/nat.yaml:22",
                "nat postrouting oifname \"outside\" ip saddr 10.0.1.0/24 snat ip to 198.51.100.2-198.51.100.4:1024-65535 persistent "
                    + "# ../docs/examples/nat.yaml:24",
                "nat postrouting oifname \"outside\" masquerade # ../docs/examples/nat.yaml:26"),
            nat, cli.toString());
    }

    @Test
    void shouldRefuseABadNatRuleWithFileLineAndColumn(@TempDir final Path dir) throws Exception
    {
        final Path file = dir.resolve("bad.yaml");
        Files.writeString(file, """
            workers: [1]
            ports: [{name: inside, device: net_null0}, {name: outside, device: net_null1}]
            conntrack: {}
            nat:
              rules:
                - {type: dnat, out: outside, to: 10.0.0.5}
            """);
        final FlowgateCli cli = FlowgateCli.run(60, List.of("config", "check", file.toString()));
        assertEquals(Main.EXIT_USAGE, cli.process.exitValue(), cli.toString());
        assertTrue(cli.lastErrorLine().startsWith("flowgate: error: " + file + ":6:20: 'out' cannot be matched by dnat"), cli.toString());
    }
}
