package io.flowgate.nativebindings;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.nativebindings.dpdk.Dpdk;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DpdkVersionTest
{
    @Test
    void shouldAgreeWithPkgConfigOnTheVersionTheShimWasBuiltAgainst() throws IOException, InterruptedException
    {
        final Process p = new ProcessBuilder("pkg-config", "--modversion", "libdpdk").start();
        final String installed = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(0, p.waitFor());
        assertEquals(installed, Dpdk.buildVersion());
        assertEquals("DPDK " + installed, Dpdk.runtimeVersion());
    }

    @Test
    void shouldAcceptTheInstalledDpdk()
    {
        assertDoesNotThrow(Dpdk::checkVersion);
    }

    @Test
    void shouldTranslateDpdkErrorNumbers()
    {
        assertTrue(Dpdk.strerror(19).contains("No such device"), Dpdk.strerror(19));
    }
}
