package io.flowgate.pipeline.slowpath;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.nativebindings.Memory;
import io.flowgate.pmd.checksum.Checksum;
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.header.IcmpFlyweight;
import io.flowgate.pmd.header.Ipv4Flyweight;
import io.flowgate.pmd.pcap.PcapWriter;
import io.flowgate.pmd.testing.CapturedPackets;
import io.flowgate.pmd.traffic.UdpFlowGenerator;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IcmpSenderTest
{
    private static final int ROUTER = 0x0A000001; // 10.0.0.1
    private static final int ETH = EthernetFlyweight.HEADER_LENGTH;

    private final IcmpSender sender = new IcmpSender();

    @Test
    void shouldQuoteTheOffendingPacketInATimeExceededThatTsharkAccepts(@TempDir final Path dir) throws Exception
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment mem = arena.allocate(4096);
            final long offending = mem.address();
            final int frameLength = new UdpFlowGenerator(UdpFlowGenerator.Config.of(1, 128)).write(offending, 0);
            final long out = mem.address() + 2048;
            final int n = sender.ipv4Error(out + ETH, 2048 - ETH, offending + ETH, frameLength - ETH, IcmpFlyweight.TIME_EXCEEDED,
                IcmpFlyweight.CODE_TTL_EXCEEDED, 0, ROUTER);
            assertEquals(20 + 8 + (frameLength - ETH), n, "the whole 128-byte frame's packet fits in 576 bytes");
            assertEquals(0, Checksum.checksum(out + ETH, 20), "IPv4 header checksum");
            assertEquals(0, Checksum.checksum(out + ETH + 20, n - 20), "ICMP checksum");
            assertEquals(Memory.getIntBE(offending + ETH + Ipv4Flyweight.SRC_ADDRESS_OFFSET), Memory.getIntBE(out + ETH + 16),
                "sent back to the offending packet's source");

            final String fields = tshark(dir, out, n, "icmp.type", "icmp.code", "icmp.checksum.status", "ip.src", "ip.dst");
            final String[] f = fields.split("\t");
            assertEquals("11", f[0]);
            assertEquals("0", f[1]);
            assertEquals("1", f[2], "tshark: ICMP checksum good");
            assertTrue(f[3].startsWith("10.0.0.1"), fields);
        }
    }

    @Test
    void shouldCarryTheNextHopMtuInFragmentationNeeded(@TempDir final Path dir) throws Exception
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment mem = arena.allocate(8192);
            final long offending = mem.address();
            final int frameLength = new UdpFlowGenerator(UdpFlowGenerator.Config.of(1, 1518)).write(offending, 0);
            final long out = mem.address() + 4096;
            final int n = sender.ipv4Error(out + ETH, 4096 - ETH, offending + ETH, frameLength - ETH, IcmpFlyweight.DEST_UNREACHABLE,
                IcmpFlyweight.CODE_FRAGMENTATION_NEEDED, 1400, ROUTER);
            assertEquals(IcmpSender.IPV4_ERROR_MAX, n, "truncated to 576 bytes");
            final String[] f = tshark(dir, out, n, "icmp.type", "icmp.code", "icmp.mtu", "icmp.checksum.status").split("\t");
            assertEquals("3", f[0]);
            assertEquals("4", f[1]);
            assertEquals("1400", f[2]);
            assertEquals("1", f[3]);
        }
    }

    @Test
    void shouldNotAnswerAnErrorAFragmentOrANonUnicastSource()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment mem = arena.allocate(4096);
            final long out = mem.address() + 2048;
            final long error = CapturedPackets.load(arena, CapturedPackets.ICMP_PORT_UNREACHABLE);
            final int errorLength = CapturedPackets.bytes(CapturedPackets.ICMP_PORT_UNREACHABLE).length;
            assertEquals(0, sender.ipv4Error(out, 2048, error + ETH, errorLength - ETH, IcmpFlyweight.TIME_EXCEEDED, 0, 0, ROUTER),
                "never an error about an error");

            final long echo = CapturedPackets.load(arena, CapturedPackets.ICMP_ECHO_REQUEST);
            final int echoLength = CapturedPackets.bytes(CapturedPackets.ICMP_ECHO_REQUEST).length;
            assertTrue(sender.ipv4Error(out, 2048, echo + ETH, echoLength - ETH, IcmpFlyweight.TIME_EXCEEDED, 0, 0, ROUTER) > 0,
                "an echo request is a query: errors about it are sent");

            final long udp = mem.address();
            final int len = new UdpFlowGenerator(UdpFlowGenerator.Config.of(1, 64)).write(udp, 0) - ETH;
            Memory.putShortBE(udp + ETH + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET_OFFSET, 100);
            assertEquals(0, sender.ipv4Error(out, 2048, udp + ETH, len, IcmpFlyweight.TIME_EXCEEDED, 0, 0, ROUTER), "non-initial fragment");
            Memory.putShortBE(udp + ETH + Ipv4Flyweight.FLAGS_FRAGMENT_OFFSET_OFFSET, 0);
            Memory.putIntBE(udp + ETH + Ipv4Flyweight.DST_ADDRESS_OFFSET, 0xFFFFFFFF);
            assertEquals(0, sender.ipv4Error(out, 2048, udp + ETH, len, IcmpFlyweight.TIME_EXCEEDED, 0, 0, ROUTER), "to broadcast");
            Memory.putIntBE(udp + ETH + Ipv4Flyweight.DST_ADDRESS_OFFSET, 0x0A000002);
            Memory.putIntBE(udp + ETH + Ipv4Flyweight.SRC_ADDRESS_OFFSET, 0xE0000001);
            assertEquals(0, sender.ipv4Error(out, 2048, udp + ETH, len, IcmpFlyweight.TIME_EXCEEDED, 0, 0, ROUTER), "multicast source");
        }
    }

    @Test
    void shouldAnswerAnEchoRequestInPlaceAsLinuxDid()
    {
        try (Arena arena = Arena.ofConfined())
        {
            final byte[] request = CapturedPackets.bytes(CapturedPackets.ICMP_ECHO_REQUEST);
            final byte[] reply = CapturedPackets.bytes(CapturedPackets.ICMP_ECHO_REPLY);
            final long frame = CapturedPackets.load(arena, request);
            assertTrue(sender.ipv4EchoReply(frame + ETH, request.length - ETH));
            final byte[] ours = CapturedPackets.read(frame + ETH, request.length - ETH);
            // Linux's reply differs only in the IP id and TTL (and so the header checksum): compare the rest.
            final byte[] linux = CapturedPackets.slice(reply, ETH, reply.length - ETH);
            assertEquals(linux.length, ours.length);
            for (int i = 0; i < ours.length; i++)
            {
                if (i >= 4 && i <= 5 || i == 8 || i >= 10 && i <= 11)
                {
                    continue;
                }
                assertEquals(linux[i], ours[i], "byte " + i + " of the reply");
            }
            assertEquals(0, Checksum.checksum(frame + ETH, 20));
            assertFalse(sender.ipv4EchoReply(frame + ETH, request.length - ETH), "a reply is not answered again");
        }
    }

    @Test
    void shouldSendAnIcmpv6HopLimitExceededThatTsharkAccepts(@TempDir final Path dir) throws Exception
    {
        try (Arena arena = Arena.ofConfined())
        {
            final byte[] captured = CapturedPackets.bytes(CapturedPackets.IPV6_UDP);
            final long offending = CapturedPackets.load(arena, captured);
            final MemorySegment mem = arena.allocate(2048);
            final long out = mem.address();
            final int n = sender.ipv6Error(out + ETH, 2048 - ETH, offending + ETH, captured.length - ETH, IcmpFlyweight.V6_TIME_EXCEEDED,
                IcmpFlyweight.V6_CODE_HOP_LIMIT_EXCEEDED, 0, CapturedPackets.IPV6_DOCUMENTATION_HI, 0xFEL);
            assertEquals(40 + 8 + captured.length - ETH, n);
            EthernetFlyweight.putDstMac(out, 0x020000000001L);
            EthernetFlyweight.putSrcMac(out, 0x020000000002L);
            Memory.putShortBE(out + EthernetFlyweight.ETHER_TYPE_OFFSET, EthernetFlyweight.ETHER_TYPE_IPV6);
            final Path pcap = dir.resolve("icmpv6.pcap");
            try (PcapWriter writer = new PcapWriter(pcap))
            {
                writer.write(out, n + ETH, 0);
            }
            final Process p = new ProcessBuilder("bash", "-c", "tshark -r " + pcap
                + " -E occurrence=f -T fields -e icmpv6.type -e icmpv6.code -e icmpv6.checksum.status -e ipv6.src -e ipv6.dst 2>/dev/null").start();
            final String[] f = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim().split("\t");
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            assertEquals("3", f[0]);
            assertEquals("0", f[1]);
            assertEquals("1", f[2], "tshark: ICMPv6 checksum good");
            assertEquals("2001:db8::fe", f[3]);
            assertEquals("2001:db8::1", f[4], "back to the offending packet's source");

            Memory.putByte(offending + ETH + 8 + 16, (byte)0xFF);
            assertEquals(0, sender.ipv6Error(out, 2048, offending + ETH, captured.length - ETH, IcmpFlyweight.V6_TIME_EXCEEDED, 0, 0, 0, 1),
                "no error about a packet to a multicast group");
            assertTrue(sender.ipv6Error(out, 2048, offending + ETH, captured.length - ETH, IcmpFlyweight.V6_PACKET_TOO_BIG, 0, 1280, 0, 1) > 0,
                "but packet too big is sent even then (path MTU discovery for multicast)");
        }
    }

    @Test
    void shouldLimitToTheBurstThenToTheRate()
    {
        final IcmpRateLimiter limiter = new IcmpRateLimiter(1000, 50, 0);
        int sent = 0;
        for (int i = 0; i < 100; i++)
        {
            sent += limiter.tryAcquire(0) ? 1 : 0;
        }
        assertEquals(50, sent, "the burst");
        assertFalse(limiter.tryAcquire(999_999));
        assertTrue(limiter.tryAcquire(1_000_000), "one token per millisecond at 1000/s");
        assertFalse(limiter.tryAcquire(1_000_001));
        sent = 0;
        for (int i = 0; i < 100; i++)
        {
            sent += limiter.tryAcquire(TimeUnit.SECONDS.toNanos(10)) ? 1 : 0;
        }
        assertEquals(50, sent, "never more than the burst after idling");
        assertEquals(50 + 1 + 50, limiter.allowed());
    }

    /** Writes the IPv4 packet at {@code ip} (preceded by room for Ethernet) as a frame and returns tshark's fields. */
    private static String tshark(final Path dir, final long ipMinusEth, final int ipLength, final String... fields)
        throws IOException, InterruptedException
    {
        EthernetFlyweight.putDstMac(ipMinusEth, 0x020000000001L);
        EthernetFlyweight.putSrcMac(ipMinusEth, 0x020000000002L);
        Memory.putShortBE(ipMinusEth + EthernetFlyweight.ETHER_TYPE_OFFSET, EthernetFlyweight.ETHER_TYPE_IPV4);
        final Path pcap = dir.resolve("icmp.pcap");
        try (PcapWriter writer = new PcapWriter(pcap))
        {
            writer.write(ipMinusEth, ipLength + ETH, 0);
        }
        final StringBuilder command = new StringBuilder("tshark -r " + pcap + " -o ip.check_checksum:TRUE -T fields");
        for (final String f : fields)
        {
            command.append(" -e ").append(f);
        }
        final Process p = new ProcessBuilder("bash", "-c", command + " 2>/dev/null").start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return out.split("\n")[0];
    }
}
