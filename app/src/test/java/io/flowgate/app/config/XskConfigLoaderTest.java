package io.flowgate.app.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.app.config.FlowgateConfig.OffloadConfig;
import io.flowgate.app.config.FlowgateConfig.PortSpec;
import io.flowgate.xdp.bpf.XdpMode;
import io.flowgate.xdp.xsk.XskConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** AF_XDP ports ({@code device: xsk,iface=...}) and the {@code offload:} section (docs/configuration.md). */
class XskConfigLoaderTest
{
    private static final Path FILE = Path.of("test.yaml");

    private static final String TWO_XSK = """
        workers: [1]
        ports:
          - name: inside
            device: xsk,iface=xa-r0
            addresses: [10.71.0.1/24]
          - name: outside
            device: "xsk,iface=xa-r1,bind=copy,busy-poll=50,busy-poll-budget=32,ring=1024,frames=8192,first-queue=2,xdp-mode=generic"
            addresses: [10.72.0.1/24]
        conntrack: {enabled: true}
        """;

    @Test
    void shouldReadXskPortsWithDefaultsAndOptions()
    {
        final FlowgateConfig config = ConfigLoader.parse(FILE, TWO_XSK);
        assertNull(config.offload());
        final PortSpec inside = config.ports().get(0);
        assertTrue(inside.isXsk());
        assertEquals(new XskConfig("xa-r0", 1, 0, XskConfig.Bind.AUTO, 2048, 4096, 0, 64, XskConfig.Program.LIBXDP_DEFAULT, XdpMode.AUTO),
            inside.xsk());
        assertEquals(new XskConfig("xa-r1", 1, 2, XskConfig.Bind.COPY, 1024, 8192, 50, 32, XskConfig.Program.LIBXDP_DEFAULT, XdpMode.GENERIC),
            config.ports().get(1).xsk());
    }

    @Test
    void shouldKeepDpdkAfXdpADpdkDevice()
    {
        final FlowgateConfig config = ConfigLoader.parse(FILE, "workers: [1]\nports: [{name: a, device: \"net_af_xdp0,iface=veth0\"}]\n");
        assertFalse(config.ports().get(0).isXsk());
        assertEquals("net_af_xdp0,iface=veth0", config.ports().get(0).device());
    }

    @Test
    void shouldReadTheOffloadSectionAndUseFlowgatesProgram()
    {
        final FlowgateConfig config = ConfigLoader.parse(FILE, TWO_XSK + "offload:\n  enabled: false\n  max-flows: 1024\n  sync-interval: 250ms\n  xdp-mode: native\n");
        assertEquals(new OffloadConfig(false, 1024, 250_000_000L, XdpMode.NATIVE), config.offload());
        for (final PortSpec port : config.ports())
        {
            assertEquals(XskConfig.Program.EXTERNAL, port.xsk().program());
            assertEquals(XdpMode.NATIVE, port.xsk().xdpMode());
        }
        assertEquals(new OffloadConfig(true, 65536, 1_000_000_000L, XdpMode.AUTO), ConfigLoader.parse(FILE, TWO_XSK + "offload:\n").offload());
    }

    @Test
    void shouldGiveEveryQueueItsRingsOfFrames()
    {
        final FlowgateConfig config = ConfigLoader.parse(FILE, "workers: [1, 2]\nports: [{name: a, device: \"xsk,iface=v0,ring=4096\"}]\n");
        assertEquals(2, config.ports().get(0).xsk().queues());
        assertEquals(16384, config.ports().get(0).xsk().frames());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
        'workers: [1]\nports: [{name: a, device: xsk}]'                                          | 2 | 27 | an xsk port needs its interface
        'workers: [1]\nports: [{name: a, device: "xsk,iface=v0,bind=fast"}]'                     | 2 | 41 | bind must be 'auto', 'copy' or 'zero-copy'
        'workers: [1]\nports: [{name: a, device: "xsk,iface=v0,queue=3"}]'                      | 2 | 41 | unknown xsk option 'queue'
        'workers: [1]\nports: [{name: a, device: "xsk,iface=v0,ring=1000"}]'                      | 2 | 41 | ring must be a power of two
        'workers: [1]\nports: [{name: a, device: "xsk,iface=v0,ring=4096,frames=4096"}]'          | 2 | 27 | frames (4096) must cover
        'workers: [1]\nports: [{name: a, device: "xsk,iface=v0,busy-poll=x"}]'                    | 2 | 41 | busy-poll must be a whole number
        'workers: [1]\nports: [{name: a, device: "xsk,iface=v0,iface=v1"}]'                       | 2 | 41 | xsk option 'iface' is given twice
        'workers: [1]\nports: [{name: a, device: "xsk,iface=a/b"}]'                               | 2 | 32 | is not a Linux interface name
        'workers: [1]\nports: [{name: a, device: "xsk,iface=v0,xdp-mode=hw"}]'                    | 2 | 41 | xdp-mode must be 'native', 'generic' or 'auto'
        'workers: [1]\nports: [{name: a, device: "xsk,iface=v0"}, {name: b, device: "xsk,iface=v0"}]' | 2 | 62 | device 'xsk,iface=v0' is used twice
        'workers: [1]\nports: [{name: a, device: "xsk,iface=v0"}, {name: b, device: net_null0}]\nconntrack: {}\noffload: {}' | 4 | 1 | port 'b' (line 2) is the DPDK device 'net_null0'
        'workers: [1]\nports: [{name: a, device: "xsk,iface=v0"}]\noffload: {}'                   | 3 | 1 | 'offload' needs connection tracking
        'workers: [1]\nports: [{name: a, device: "xsk,iface=v0"}]\nconntrack: {}\noffload: {max-flows: 0}' | 4 | 22 | max-flows must be 1..16777216
        'workers: [1]\nports: [{name: a, device: "xsk,iface=v0"}]\nconntrack: {}\noffload: {xdp-mode: hw}' | 4 | 21 | xdp-mode must be
        'workers: [1]\nports: [{name: a, device: "xsk,iface=v0"}]\nconntrack: {}\noffload: {sync-interval: 1ms}' | 4 | 26 | sync-interval must be 10ms..60s
        'workers: [1]\nports: [{name: a, device: "xsk,iface=v0"}]\nconntrack: {}\noffload: {on: true}' | 4 | 11 | unknown key 'on' in offload
        """)
    void shouldRefuseWithFileLineColumnAndReason(final String yaml, final int line, final int column, final String reason)
    {
        final ConfigException ex = assertThrows(ConfigException.class, () -> ConfigLoader.parse(FILE, yaml.replace("\\n", "\n")));
        assertTrue(ex.reason().contains(reason), "reason '" + ex.reason() + "' should contain '" + reason + "'");
        assertEquals(line, ex.line(), ex.getMessage());
        assertEquals(column, ex.column(), ex.getMessage());
    }
}
