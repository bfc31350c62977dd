package io.flowgate.app.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.stack.StackConfig;
import java.net.InetAddress;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class HostConfigTest
{
    private static final Path FILE = Path.of("host.yaml");
    private static final String BASE = """
        workers: [1]
        ports:
          - name: inside
            device: net_af_packet0,iface=a
            addresses: [10.0.1.1/24, "fd00:1::1/64"]
        """;

    @Test
    void shouldHaveNoStackWithoutAHostSection()
    {
        assertNull(ConfigLoader.parse(FILE, BASE).host());
    }

    @Test
    void shouldApplyTheTcpKeysToLinuxDefaults()
    {
        final HostConfig host = ConfigLoader.parse(FILE, BASE + """
            host:
              tcp: {congestion: reno, time-wait: 30s, syncookies: 2, syn-backlog: 256, send-buffer: 4m, receive-buffer: 6m,
                    sack: false, timestamps: true, window-scaling: false}
              services:
                - {type: http, port: 80}
                - {type: discard, port: 9, address: 10.0.1.1}
                - {type: echo, port: 7, address: "fd00:1::1"}
                - {type: chargen, port: 19}
            """).host();
        final StackConfig s = host.stack();
        assertEquals("reno", s.congestion());
        assertEquals(30_000_000_000L, s.timeWaitNs());
        assertEquals(2, s.synCookies());
        assertEquals(256, s.synBacklog());
        assertEquals(4 << 20, s.sendBuffer());
        assertEquals(6 << 20, s.receiveBuffer());
        assertFalse(s.sack());
        assertTrue(s.timestamps());
        assertFalse(s.windowScaling());
        assertEquals(4, host.services().size());
        assertEquals(HostConfig.Type.HTTP, host.services().get(0).type());
        assertNull(host.services().get(0).address());
        assertEquals(InetAddress.ofLiteral("10.0.1.1"), host.services().get(1).address());
        assertEquals(7, host.services().get(2).port());
        assertEquals(HostConfig.Type.CHARGEN, host.services().get(3).type());
    }

    @Test
    void shouldTakeLinuxDefaultsForAnEmptyHostSection()
    {
        final HostConfig host = ConfigLoader.parse(FILE, BASE + "host: {}\n").host();
        assertEquals(StackConfig.linuxDefaults(), host.stack());
        assertTrue(host.services().isEmpty());
        assertEquals(StackConfig.linuxDefaults(), ConfigLoader.parse(FILE, BASE + "host:\n").host().stack());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
        host: {tcp: {congestion: bbr}}                                  | 6 | 26 | congestion must be 'cubic' or 'reno'
        host: {tcp: {time-wait: 60}}                                    | 6 | 25 | time-wait must be a duration
        host: {tcp: {send-buffer: 4x}}                                  | 6 | 27 | send-buffer must be a size
        host: {tcp: {receive-buffer: 1k}}                               | 6 | 30 | receive-buffer must be 4096 bytes
        host: {tcp: {syncookies: 3}}                                    | 6 | 26 | syncookies (0 never, 1 on overflow, 2 always) must be 0..2
        host: {tcp: {sack: maybe}}                                      | 6 | 20 | sack must be true or false
        host: {tcp: {nagle: off}}                                       | 6 | 14 | unknown key 'nagle' in host tcp
        host: {udp: {}}                                                 | 6 | 8  | unknown key 'udp' in host
        host: {services: [{type: ftp, port: 21}]}                       | 6 | 26 | service type must be http, discard, echo or chargen
        host: {services: [{type: http}]}                                | 6 | 19 | 'port' is missing
        host: {services: [{type: http, port: 0}]}                       | 6 | 38 | service port must be 1..65535
        host: {services: [{type: http, port: 80, address: 10.9.9.9}]}   | 6 | 51 | 10.9.9.9 is not an address of any port
        host: {services: [{type: http, port: 80}, {type: echo, port: 80}]} | 6 | 62 | port 80 is taken by another service
        """)
    void shouldRefuseABadHostSectionAtItsLineAndColumn(final String yaml, final int line, final int column, final String reason)
    {
        final ConfigException ex = assertThrows(ConfigException.class, () -> ConfigLoader.parse(FILE, BASE + yaml + "\n"));
        assertTrue(ex.reason().contains(reason), "reason '" + ex.reason() + "' should contain '" + reason + "'");
        assertEquals(line, ex.line(), ex.getMessage());
        assertEquals(column, ex.column(), ex.getMessage());
    }
}
