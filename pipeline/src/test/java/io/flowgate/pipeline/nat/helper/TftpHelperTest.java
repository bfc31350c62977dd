package io.flowgate.pipeline.nat.helper;

import static io.flowgate.pipeline.nat.helper.HelperTestBench.address;
import static io.flowgate.pipeline.nat.helper.HelperTestBench.udp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.conntrack.CtInfo;
import io.flowgate.conntrack.CtKey;
import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStatus;
import io.flowgate.conntrack.expect.NatFollow;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The TFTP helper: a read or write request to port 69 expects the server's answer from any of its ports. */
class TftpHelperTest
{
    private static final String CLIENT = "10.0.0.2";
    private static final String NATTED = "198.51.100.1";
    private static final String SERVER = "203.0.113.5";

    private final HelperTestBench bench = new HelperTestBench(0, 1);

    @AfterEach
    void tearDown()
    {
        bench.close();
    }

    private static byte[] request(final int opcode, final String file)
    {
        final byte[] name = (file + "\0octet\0").getBytes(StandardCharsets.US_ASCII);
        final byte[] p = new byte[2 + name.length];
        p[1] = (byte)opcode;
        System.arraycopy(name, 0, p, 2, name.length);
        return p;
    }

    @Test
    void shouldExpectTheServersAnswerFromAnyPortUnderSnat()
    {
        final byte[] rrq = udp(CLIENT, SERVER, 1069, 69, request(1, "boot.img"));
        final byte[] out = bench.pass(rrq, new CtKey().ipv4(0, 17, address(SERVER), address(NATTED), 69, 2069), CtStatus.SRC_NAT);
        assertArrayEquals(rrq, out, "TFTP is never rewritten");
        assertEquals(CtInfo.NEW, bench.lastCtinfo);
        final int master = bench.lastIndex;
        assertTrue((CtRecord.status(bench.ct.table().record(master)) & CtStatus.HELPER) != 0);
        assertEquals(1, bench.expect.size());

        final byte[] data = new byte[] {0, 3, 0, 1, 'x'};
        bench.pass(udp(SERVER, NATTED, 33333, 2069, data));
        assertEquals(CtInfo.RELATED, bench.lastCtinfo);
        final NatFollow follow = new NatFollow();
        assertTrue(bench.expect.follow(bench.lastIndex, follow));
        assertEquals(master, follow.master);
        assertEquals(address(SERVER), follow.srcAddress);
        assertEquals(address(CLIENT), follow.dstAddress);
        assertEquals(1069, follow.dstPort, "back to the client's own port");
        assertEquals(0, bench.expect.size());
    }

    @Test
    void shouldExpectAWriteRequestWithoutNatAndIgnoreOtherOpcodes()
    {
        bench.pass(udp(CLIENT, SERVER, 1070, 69, new byte[] {0, 4, 0, 0})); // an ACK to port 69: nothing expected
        assertEquals(0, bench.expect.size());
        bench.pass(udp(CLIENT, SERVER, 1071, 69, request(2, "up.txt")));
        assertEquals(1, bench.expect.size());
        bench.pass(udp(SERVER, CLIENT, 40000, 1071, new byte[] {0, 4, 0, 0}));
        assertEquals(CtInfo.RELATED, bench.lastCtinfo);
        assertFalse(bench.expect.follow(bench.lastIndex, new NatFollow()));
        bench.pass(udp(SERVER, CLIENT, 40001, 1071, new byte[] {0, 4, 0, 0}));
        assertEquals(CtInfo.NEW, bench.lastCtinfo, "one answer expected, not two");
    }

    @Test
    void shouldLeaveOtherPortsUnhelped()
    {
        bench.pass(udp(CLIENT, SERVER, 1072, 70, request(1, "x")));
        assertEquals(0, CtRecord.status(bench.ct.table().record(bench.lastIndex)) & CtStatus.HELPER);
        assertEquals(0, bench.expect.size());
        assertEquals(0, bench.expect.help().size());
    }
}
