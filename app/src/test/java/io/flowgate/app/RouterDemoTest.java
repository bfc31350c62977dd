package io.flowgate.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.app.config.ConfigLoader;
import io.flowgate.app.config.FlowgateConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class RouterDemoTest
{
    @Test
    void shouldFillTheEmbeddedRouterConfigurationIntoAFileTheLoaderAccepts() throws Exception
    {
        final String yaml = RouterDemo.config("flowgate-run-42", 1, "fgrun42a1", "10.1.0.1", "fgrun42b1", "10.2.0.1", true);
        assertFalse(yaml.contains("${"), yaml);
        final FlowgateConfig config = ConfigLoader.parse(Path.of(RouterDemo.CONFIG_RESOURCE), yaml);
        assertEquals(List.of(1), config.workers());
        assertEquals(FlowgateConfig.Dispatch.RSS, config.dispatch());
        assertEquals("xsk,iface=fgrun42a1,frames=16384", config.ports().get(0).device());
        assertEquals("10.1.0.1/24", config.ports().get(0).addresses().get(0).toString());
        assertEquals("xsk,iface=fgrun42b1,frames=16384", config.ports().get(1).device());
        assertEquals("10.2.0.1/24", config.ports().get(1).addresses().get(0).toString());
        assertEquals("--file-prefix=flowgate-run-42", config.eal().get(config.eal().size() - 1));
        assertEquals(1, config.rules().tables().size(), "the embedded ruleset (embedded-rules.nft) is loaded");
        assertEquals("forward", config.rules().tables().get(0).chains().get(0).name());
        assertNotNull(config.offload(), "the XDP fast path is configured");
        assertTrue(config.offload().enabled(), "and on");
    }

    @Test
    void shouldKeepAfPacketPortsAndNoOffloadForTheRoutingTests() throws Exception
    {
        final String yaml = RouterDemo.config("flowgate-run-42", 1, "fgrun42a1", "10.1.0.1", "fgrun42b1", "10.2.0.1", false);
        assertFalse(yaml.contains("${"), yaml);
        final FlowgateConfig config = ConfigLoader.parse(Path.of(RouterDemo.CONFIG_RESOURCE), yaml);
        assertEquals("net_af_packet0,iface=fgrun42a1", config.ports().get(0).device());
        assertEquals("net_af_packet1,iface=fgrun42b1", config.ports().get(1).device());
        assertNull(config.offload(), "no offload section");
    }
}
