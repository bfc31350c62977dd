package io.flowgate.xdp.bpf;

import static io.flowgate.xdp.bpf.NetNs.inNs;
import static io.flowgate.xdp.bpf.NetNs.sh;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.nativebindings.bpf.LibBpf;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The program on real veths: attach/detach/switch (checked through the kernel's attached program id) and
 * real UDP traffic between two namespaces routed through a third whose veths carry fg_fastpath with a
 * hand-inserted, NATed flow. The test thread enters the router namespace (setns, this thread only) for
 * libbpf's netlink calls and returns to its own afterwards. Needs root.
 * <pre>
 *   xp-h1 [xph1 10.77.1.2] --- [xpr1 10.77.1.1] xp-r [xpr2 10.77.2.1] --- [xph2 10.77.2.2] xp-h2
 * </pre>
 * Notes found here: a frame redirected into a veth (ndo_xdp_xmit) is only accepted when the PEER's receive
 * side runs NAPI, i.e. the peer has an XDP program or GRO on (otherwise the xmit fails with -ENXIO and the
 * frame is dropped after the program returned XDP_REDIRECT): the test turns GRO on at xph2. The sender's tx
 * checksum offload is turned off: a CHECKSUM_PARTIAL skb carries only the pseudo-header sum, which XDP on
 * the veth does not complete.
 */
class XdpAttachTest
{
    static final String R = "xp-r";
    static final String H1 = "xp-h1";
    static final String H2 = "xp-h2";

    static int home;
    static int r1;
    static int r2;
    XdpProgram program;

    @BeforeAll
    static void topology()
    {
        cleanup();
        for (final String ns : new String[] {R, H1, H2})
        {
            sh("ip", "netns", "add", ns);
            inNs(ns, "ip link set lo up");
        }
        sh("ip", "link", "add", "xph1", "netns", H1, "address", "02:77:00:00:01:02", "type", "veth", "peer", "name", "xpr1", "netns", R,
            "address", "02:77:00:00:01:01");
        sh("ip", "link", "add", "xph2", "netns", H2, "address", "02:77:00:00:02:02", "type", "veth", "peer", "name", "xpr2", "netns", R,
            "address", "02:77:00:00:02:01");
        inNs(H1, "ip addr add 10.77.1.2/24 dev xph1 && ip link set xph1 up && ip route add default via 10.77.1.1"
            + " && ip neigh replace 10.77.1.1 lladdr 02:77:00:00:01:01 dev xph1 nud permanent && ethtool -K xph1 tx off >/dev/null");
        inNs(H2, "ip addr add 10.77.2.2/24 dev xph2 && ip link set xph2 up && ip route add default via 10.77.2.1"
            + " && ethtool -K xph2 gro on >/dev/null");
        inNs(R, "ip addr add 10.77.1.1/24 dev xpr1 && ip addr add 10.77.2.1/24 dev xpr2 && ip link set xpr1 up && ip link set xpr2 up");
        r1 = NetNs.ifindex(R, "xpr1");
        r2 = NetNs.ifindex(R, "xpr2");
        home = NetNs.open("/proc/self/ns/net");
    }

    @AfterAll
    static void cleanup()
    {
        if (home > 0)
        {
            NetNs.close(home);
            home = 0;
        }
        for (final String ns : new String[] {R, H1, H2})
        {
            if (NetNs.exists(ns))
            {
                sh(true, "ip", "netns", "del", ns);
            }
        }
    }

    @BeforeEach
    void load()
    {
        program = XdpProgram.load(16);
        NetNs.enter(R);
    }

    @AfterEach
    void unload()
    {
        try
        {
            program.close();
        }
        finally
        {
            NetNs.enter(home);
        }
    }

    @Test
    void shouldAttachSwitchAndDetachNatively()
    {
        assertEquals(0, LibBpf.xdpQueryId(r1, LibBpf.XDP_FLAGS_DRV_MODE));
        assertEquals(XdpMode.NATIVE, program.attach(1, r1, XdpMode.AUTO));
        final long fast = program.programId(true);
        final long xsk = program.programId(false);
        assertNotEquals(fast, xsk);
        assertEquals(fast, LibBpf.xdpQueryId(r1, LibBpf.XDP_FLAGS_DRV_MODE));
        program.fastPath(false);
        assertEquals(xsk, LibBpf.xdpQueryId(r1, LibBpf.XDP_FLAGS_DRV_MODE));
        program.fastPath(true);
        assertEquals(fast, LibBpf.xdpQueryId(r1, LibBpf.XDP_FLAGS_DRV_MODE));
        program.detach(r1);
        assertEquals(0, LibBpf.xdpQueryId(r1, LibBpf.XDP_FLAGS_DRV_MODE));
    }

    @Test
    void shouldAttachGenerically()
    {
        assertEquals(XdpMode.GENERIC, program.attach(2, r2, XdpMode.GENERIC));
        assertEquals(program.programId(true), LibBpf.xdpQueryId(r2, LibBpf.XDP_FLAGS_SKB_MODE));
        program.fastPath(false);
        assertEquals(program.programId(false), LibBpf.xdpQueryId(r2, LibBpf.XDP_FLAGS_SKB_MODE));
        program.close();
        assertEquals(0, LibBpf.xdpQueryId(r2, LibBpf.XDP_FLAGS_SKB_MODE));
    }

    @Test
    void shouldNotDetachAProgramThatIsNotOurs()
    {
        program.attach(1, r1, XdpMode.NATIVE);
        try (XdpProgram other = XdpProgram.load(4))
        {
            // a second program of ours that never attached here: its close must leave the attached one alone
            assertNotEquals(program.programId(true), other.programId(true), "a program of its own");
        }
        assertEquals(program.programId(true), LibBpf.xdpQueryId(r1, LibBpf.XDP_FLAGS_DRV_MODE));
    }

    @Test
    void shouldForwardRealUdpThroughTheFastPathWithNat() throws Exception
    {
        program.attach(1, r1, XdpMode.AUTO);
        program.attach(2, r2, XdpMode.AUTO);
        final FlowRecord f = new FlowRecord();
        f.ifindex = r1;
        f.family = 4;
        f.protocol = Packets.UDP;
        f.srcLo = Packets.ip(10, 77, 1, 2) & 0xFFFF_FFFFL;
        f.dstLo = Packets.ip(10, 77, 2, 2) & 0xFFFF_FFFFL;
        f.srcPort = 5001;
        f.dstPort = 7001;
        f.egress = 2;
        f.mtu = 1500;
        f.flags = FlowRecord.SNAT | FlowRecord.DNAT;
        f.dstMac = 0x02_77_00_00_02_02L;
        f.srcMac = 0x02_77_00_00_02_01L;
        f.newSrcLo = Packets.ip(10, 77, 2, 1) & 0xFFFF_FFFFL;
        f.newSrcPort = 40001;
        f.newDstLo = f.dstLo;
        f.newDstPort = 7002;   // DNAT to another port of the same host
        assertTrue(program.flows().insert(f));

        final int packets = 20;
        final int payload = 300;
        NetNs.enter(H2);
        try (DatagramChannel rx = DatagramChannel.open())
        {
            rx.bind(new InetSocketAddress("10.77.2.2", 7002));
            NetNs.enter(H1);
            try (DatagramChannel tx = DatagramChannel.open())
            {
                tx.bind(new InetSocketAddress("10.77.1.2", 5001));
                NetNs.enter(R);
                final ByteBuffer out = ByteBuffer.allocate(payload);
                final ByteBuffer in = ByteBuffer.allocate(2048);
                rx.configureBlocking(false);
                for (int i = 0; i < packets; i++)
                {
                    out.clear();
                    for (int k = 0; k < payload; k++)
                    {
                        out.put((byte)(i + k));
                    }
                    out.flip();
                    tx.send(out, new InetSocketAddress("10.77.2.2", 7001));
                    in.clear();
                    InetSocketAddress from = null;
                    final long deadline = System.nanoTime() + 2_000_000_000L;
                    while (from == null && System.nanoTime() < deadline)
                    {
                        from = (InetSocketAddress)rx.receive(in);
                        if (from == null)
                        {
                            Thread.sleep(1);
                        }
                    }
                    assertNotNull(from, "datagram " + i + " did not arrive; stats " + java.util.Arrays.toString(program.stats()));
                    assertEquals(new InetSocketAddress("10.77.2.1", 40001), from);
                    in.flip();
                    assertArrayEquals(out.array(), java.util.Arrays.copyOf(in.array(), in.limit()));
                }
            }
        }
        assertTrue(program.flows().lookup(f));
        assertEquals(packets, f.packets);
        assertEquals((long)packets * (20 + 8 + payload), f.bytes);
        assertTrue(program.stats()[XdpProgram.STAT_FAST] >= packets);
    }
}
