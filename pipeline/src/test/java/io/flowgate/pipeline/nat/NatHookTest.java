package io.flowgate.pipeline.nat;

import static io.flowgate.pipeline.conntrack.diff.PacketBuilder.ACK;
import static io.flowgate.pipeline.conntrack.diff.PacketBuilder.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flowgate.conntrack.CtRecord;
import io.flowgate.conntrack.CtStatus;
import io.flowgate.conntrack.nat.NatRange;
import io.flowgate.pipeline.conntrack.diff.PacketBuilder;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * NAT on one worker's hooks (NatBed): what Linux's nf_nat decides and rewrites, with every checksum checked
 * by recomputing it over the rewritten bytes.
 */
class NatHookTest
{
    private static final int POOL = 0xC6336405;       // 198.51.100.5
    private static final String POOL_S = "198.51.100.5";

    private static NatRule snat(final NatRange to)
    {
        return new NatRule(NatRule.Kind.SNAT, null, "outside", -1, 0x0A000000, 8, 0, 0, -1, -1, -1, -1, to, "test:1");
    }

    private static NatConfig config(final NatRule... rules)
    {
        return NatConfig.of(rules);
    }

    @Test
    void shouldTranslateUdpSourceAndKeepTheFreePort()
    {
        try (NatBed bed = new NatBed(config(snat(NatRange.address(POOL)))))
        {
            final byte[] out = bed.send(PacketBuilder.udp("10.0.0.2", "203.0.113.9", 5000, 53, 20), NatBed.INSIDE, NatBed.OUTSIDE);
            assertEquals(POOL_S, src(out));
            assertEquals(5000, sport(out));
            assertValid(out);
            final long record = bed.conntrack.table().record(bed.lastCt());
            assertTrue((CtRecord.status(record) & CtStatus.SRC_NAT) != 0);
            final byte[] back = bed.send(PacketBuilder.udp("203.0.113.9", POOL_S, 53, 5000, 20), NatBed.OUTSIDE, NatBed.INSIDE);
            assertEquals("10.0.0.2", dst(back));
            assertEquals(5000, dport(back));
            assertValid(back);
            assertEquals(1, bed.stats.translated);
        }
    }

    @Test
    void shouldMoveAClashingPortAndKeepTheMappingForOtherDestinations()
    {
        try (NatBed bed = new NatBed(config(snat(NatRange.address(POOL)))))
        {
            bed.send(PacketBuilder.udp("10.0.0.3", "203.0.113.9", 5000, 53, 8), NatBed.INSIDE, NatBed.OUTSIDE);
            final byte[] second = bed.send(PacketBuilder.udp("10.0.0.2", "203.0.113.9", 5000, 53, 8), NatBed.INSIDE, NatBed.OUTSIDE);
            final int moved = sport(second);
            assertNotEquals(5000, moved);
            assertTrue(moved >= 1024 && moved <= 65535, "Linux's default range for ports from 1024");
            assertValid(second);
            // Endpoint-independent mapping: the same source to another destination keeps its mapping (bysource).
            final byte[] third = bed.send(PacketBuilder.udp("10.0.0.2", "203.0.113.77", 5000, 53, 8), NatBed.INSIDE, NatBed.OUTSIDE);
            assertEquals(moved, sport(third));
            assertEquals(1, bed.stats.bysourceHits);
            assertEquals(2, bed.binder.mappings().size(), "10.0.0.3:5000 and 10.0.0.2:5000");
        }
    }

    @Test
    void shouldKeepAZeroUdpChecksumZero()
    {
        try (NatBed bed = new NatBed(config(snat(NatRange.address(POOL)))))
        {
            final byte[] packet = PacketBuilder.udp("10.0.0.2", "203.0.113.9", 5000, 53, 8);
            packet[26] = 0;
            packet[27] = 0;
            final byte[] out = bed.send(packet, NatBed.INSIDE, NatBed.OUTSIDE);
            assertEquals(POOL_S, src(out));
            assertEquals(0, u16(out, 26));
            assertTrue(ipHeaderValid(out));
        }
    }

    @Test
    void shouldForwardAPortWithDnatBothWays()
    {
        final NatRule dnat = new NatRule(NatRule.Kind.DNAT, "outside", null, 6, 0, 0, 0xC6336401, 32, -1, -1, 8080, 8080,
            new NatRange(NatRange.MAP_IPS | NatRange.PROTO_SPECIFIED, 0x0A000005, 0x0A000005, 80, 80), "test:1");
        try (NatBed bed = new NatBed(config(dnat)))
        {
            final byte[] syn = bed.send(PacketBuilder.tcp("203.0.113.9", "198.51.100.1", 40000, 8080).flags(SYN).seq(1).build(),
                NatBed.OUTSIDE, NatBed.INSIDE);
            assertEquals("10.0.0.5", dst(syn));
            assertEquals(80, dport(syn));
            assertValid(syn);
            final byte[] synAck = bed.send(PacketBuilder.tcp("10.0.0.5", "203.0.113.9", 80, 40000).flags(SYN | ACK).seq(100).ack(2).build(),
                NatBed.INSIDE, NatBed.OUTSIDE);
            assertEquals("198.51.100.1", src(synAck));
            assertEquals(8080, sport(synAck));
            assertValid(synAck);
            final long record = bed.conntrack.table().record(bed.lastCt());
            assertTrue((CtRecord.status(record) & CtStatus.DST_NAT) != 0);
            assertEquals(0, CtRecord.status(record) & CtStatus.SRC_NAT);
        }
    }

    @Test
    void shouldTranslateEchoIdentifiersAndTheirReplies()
    {
        try (NatBed bed = new NatBed(config(snat(NatRange.address(POOL)))))
        {
            final byte[] a = bed.send(PacketBuilder.icmpEcho("10.0.0.2", "203.0.113.9", 7, 1, 16), NatBed.INSIDE, NatBed.OUTSIDE);
            assertEquals(7, u16(a, 24));
            final byte[] b = bed.send(PacketBuilder.icmpEcho("10.0.0.3", "203.0.113.9", 7, 1, 16), NatBed.INSIDE, NatBed.OUTSIDE);
            final int id = u16(b, 24);
            assertNotEquals(7, id, "the second host's identifier clashes: it moves");
            assertValid(b);
            final byte[] reply = bed.send(PacketBuilder.icmpEchoReply("203.0.113.9", POOL_S, id, 1, 16), NatBed.OUTSIDE, NatBed.INSIDE);
            assertEquals("10.0.0.3", dst(reply));
            assertEquals(7, u16(reply, 24));
            assertValid(reply);
        }
    }

    @Test
    void shouldTranslateAnIcmpErrorAndThePacketItQuotes()
    {
        try (NatBed bed = new NatBed(config(snat(NatRange.address(POOL)))))
        {
            bed.send(PacketBuilder.udp("10.0.0.3", "203.0.113.9", 5000, 53, 8), NatBed.INSIDE, NatBed.OUTSIDE);
            final byte[] sent = bed.send(PacketBuilder.udp("10.0.0.2", "203.0.113.9", 5000, 53, 8), NatBed.INSIDE, NatBed.OUTSIDE);
            final int port = sport(sent);
            final byte[] error = PacketBuilder.icmpError("203.0.113.1", POOL_S, 3, 3, sent, 28);
            final byte[] in = bed.send(error, NatBed.OUTSIDE, NatBed.INSIDE);
            assertNotNull(in);
            assertEquals("10.0.0.2", dst(in), "outer destination");
            assertEquals("203.0.113.1", src(in), "the router that sent it stays");
            final int inner = 28;
            assertEquals("10.0.0.2", ip(in, inner + 12), "quoted source");
            assertEquals(5000, u16(in, inner + 20), "quoted source port");
            assertNotEquals(5000, port);
            assertTrue(ipHeaderValid(in));
            assertTrue(icmpValid(in));
            assertEquals(0, sum(in, inner, 20), "quoted IPv4 header checksum");
            assertEquals(1, bed.stats.icmpErrorsTranslated);
        }
    }

    @Test
    void shouldMasqueradeToTheOutPortsAddress()
    {
        final NatRule masq = new NatRule(NatRule.Kind.MASQUERADE, null, "outside", -1, 0, 0, 0, 0, -1, -1, -1, -1,
            new NatRange(0, 0, 0, 0, 0), "test:1");
        try (NatBed bed = new NatBed(config(masq)))
        {
            final byte[] out = bed.send(PacketBuilder.tcp("10.0.0.2", "203.0.113.9", 33000, 443).flags(SYN).build(), NatBed.INSIDE,
                NatBed.OUTSIDE);
            assertEquals("198.51.100.1", src(out));
            assertValid(out);
            final byte[] notOut = bed.send(PacketBuilder.udp("203.0.113.9", "10.0.0.2", 53, 999, 8), NatBed.OUTSIDE, NatBed.INSIDE);
            assertEquals("203.0.113.9", src(notOut), "leaving by the inside port: not masqueraded");
        }
    }

    @Test
    void shouldDropAndCountWhenThePortRangeIsExhausted()
    {
        final NatRange two = new NatRange(NatRange.MAP_IPS | NatRange.PROTO_SPECIFIED, POOL, POOL, 2000, 2001);
        try (NatBed bed = new NatBed(config(snat(two))))
        {
            final Set<Integer> ports = new HashSet<>();
            ports.add(sport(bed.send(PacketBuilder.udp("10.0.0.2", "203.0.113.9", 5000, 53, 8), NatBed.INSIDE, NatBed.OUTSIDE)));
            ports.add(sport(bed.send(PacketBuilder.udp("10.0.0.3", "203.0.113.9", 5000, 53, 8), NatBed.INSIDE, NatBed.OUTSIDE)));
            assertEquals(Set.of(2000, 2001), ports);
            assertNull(bed.send(PacketBuilder.udp("10.0.0.4", "203.0.113.9", 5000, 53, 8), NatBed.INSIDE, NatBed.OUTSIDE));
            assertEquals(1, bed.stats.portExhausted);
            assertEquals(2, bed.conntrack.table().size(), "the dropped packet left no entry");
            // Another destination has its own tuples: the same ports are free for it.
            assertNotNull(bed.send(PacketBuilder.udp("10.0.0.4", "203.0.113.10", 5000, 53, 8), NatBed.INSIDE, NatBed.OUTSIDE));
        }
    }

    @Test
    void shouldGiveAWorkerOnlyPortsItOwns()
    {
        try (NatBed bed = new NatBed(config(snat(NatRange.address(POOL))), 1, 2))
        {
            for (int host = 2; host < 40; host++)
            {
                final byte[] out = bed.send(PacketBuilder.udp("10.0.0." + host, "203.0.113.9", 5000, 53, 8), NatBed.INSIDE, NatBed.OUTSIDE);
                assertEquals(1, sport(out) % 2, "worker 1 of 2 owns the odd ports");
                assertValid(out);
            }
            final byte[] odd = bed.send(PacketBuilder.udp("10.0.0.99", "203.0.113.9", 5001, 53, 8), NatBed.INSIDE, NatBed.OUTSIDE);
            assertEquals(5001, sport(odd), "an owned free port is kept");
        }
    }

    @Test
    void shouldNeverKeepThePortWhenFullyRandom()
    {
        final NatRange random = new NatRange(NatRange.MAP_IPS | NatRange.RANDOM_FULLY, POOL, POOL, 0, 0);
        try (NatBed bed = new NatBed(config(snat(random))))
        {
            int kept = 0;
            for (int host = 2; host < 22; host++)
            {
                final byte[] out = bed.send(PacketBuilder.udp("10.0.0." + host, "203.0.113.9", 5000 + host, 53, 8), NatBed.INSIDE, NatBed.OUTSIDE);
                kept += sport(out) == 5000 + host ? 1 : 0;
            }
            assertTrue(kept <= 1, "fully-random picks ports at random (" + kept + " kept)");
            assertEquals(0, bed.binder.mappings().size(), "fully-random keeps no source mapping");
        }
    }

    @Test
    void shouldReleaseAMappingWithItsLastConnection()
    {
        try (NatBed bed = new NatBed(config(snat(NatRange.address(POOL)))))
        {
            bed.send(PacketBuilder.udp("10.0.0.2", "203.0.113.9", 5000, 53, 8), NatBed.INSIDE, NatBed.OUTSIDE);
            final int first = bed.lastCt();
            bed.send(PacketBuilder.udp("10.0.0.2", "203.0.113.10", 5000, 53, 8), NatBed.INSIDE, NatBed.OUTSIDE);
            assertEquals(1, bed.binder.mappings().size());
            bed.conntrack.kill(bed.lastCt());
            assertEquals(1, bed.binder.mappings().size(), "one connection still uses it");
            bed.conntrack.kill(first);
            assertEquals(0, bed.binder.mappings().size());
        }
    }

    @Test
    void shouldMapStaticallyBothWays()
    {
        final NatConfig cfg = new NatConfig(List.of(), List.of(new NatConfig.StaticMapping(0x0A000000, 0xC6336400, 24, "outside", "t:1")),
            NatConfig.Filtering.ADDRESS_AND_PORT_DEPENDENT);
        try (NatBed bed = new NatBed(cfg))
        {
            final byte[] out = bed.send(PacketBuilder.udp("10.0.0.7", "203.0.113.9", 5000, 53, 8), NatBed.INSIDE, NatBed.OUTSIDE);
            assertEquals("198.51.100.7", src(out));
            assertEquals(5000, sport(out));
            final byte[] in = bed.send(PacketBuilder.tcp("203.0.113.9", "198.51.100.8", 41000, 22).flags(SYN).build(), NatBed.OUTSIDE,
                NatBed.INSIDE);
            assertEquals("10.0.0.8", dst(in));
            assertEquals(22, dport(in));
            assertValid(in);
        }
    }

    @Test
    void shouldLetAnyHostReachALiveMappingWithEndpointIndependentFiltering()
    {
        final NatConfig cfg = new NatConfig(List.of(snat(NatRange.address(POOL))), List.of(), NatConfig.Filtering.ENDPOINT_INDEPENDENT);
        try (NatBed bed = new NatBed(cfg))
        {
            final byte[] out = bed.send(PacketBuilder.udp("10.0.0.2", "203.0.113.9", 5000, 3478, 8), NatBed.INSIDE, NatBed.OUTSIDE);
            final int port = sport(out);
            final byte[] in = bed.send(PacketBuilder.udp("192.0.2.44", POOL_S, 9999, port, 8), NatBed.OUTSIDE, NatBed.INSIDE);
            assertEquals("10.0.0.2", dst(in));
            assertEquals(5000, dport(in));
            assertValid(in);
            assertEquals(1, bed.stats.filterAdmitted);
        }
        try (NatBed bed = new NatBed(config(snat(NatRange.address(POOL)))))
        {
            bed.send(PacketBuilder.udp("10.0.0.2", "203.0.113.9", 5000, 3478, 8), NatBed.INSIDE, NatBed.OUTSIDE);
            final byte[] in = bed.send(PacketBuilder.udp("192.0.2.44", POOL_S, 9999, 5000, 8), NatBed.OUTSIDE, NatBed.INSIDE);
            assertEquals(POOL_S, dst(in), "address-and-port-dependent (Linux): not translated");
        }
    }

    @Test
    void shouldRedirectToTheInPortsAddress()
    {
        final NatRule redirect = new NatRule(NatRule.Kind.REDIRECT, "inside", null, 6, 0, 0, 0, 0, -1, -1, 80, 80,
            new NatRange(NatRange.PROTO_SPECIFIED, 0, 0, 3128, 3128), "test:1");
        try (NatBed bed = new NatBed(config(redirect)))
        {
            final byte[] syn = bed.send(PacketBuilder.tcp("10.0.0.2", "203.0.113.9", 40000, 80).flags(SYN).build(), NatBed.INSIDE, -1);
            assertEquals("10.0.0.1", dst(syn), "the inside port's address");
            assertEquals(3128, dport(syn));
            assertValid(syn);
        }
    }

    @Test
    void shouldHairpinAnInsideHostThroughAStaticMapping()
    {
        final NatConfig cfg = new NatConfig(List.of(snat(NatRange.address(POOL))),
            List.of(new NatConfig.StaticMapping(0x0A000005, 0xC6336407, 32, "outside", "t:1")), NatConfig.Filtering.ADDRESS_AND_PORT_DEPENDENT);
        try (NatBed bed = new NatBed(cfg))
        {
            // 10.0.0.2 reaches the server 10.0.0.5 by its outside address 198.51.100.7; the packet goes back out the inside port.
            final byte[] syn = bed.send(PacketBuilder.tcp("10.0.0.2", "198.51.100.7", 40000, 443).flags(SYN).build(), NatBed.INSIDE,
                NatBed.INSIDE);
            assertEquals("10.0.0.5", dst(syn));
            assertEquals(POOL_S, src(syn), "the server sees the client's outside address (RFC 4787 REQ-9)");
            assertValid(syn);
            final byte[] synAck = bed.send(PacketBuilder.tcp("10.0.0.5", POOL_S, 443, sport(syn)).flags(SYN | ACK).build(), NatBed.INSIDE,
                NatBed.INSIDE);
            assertEquals("198.51.100.7", src(synAck));
            assertEquals("10.0.0.2", dst(synAck));
            assertEquals(40000, dport(synAck));
            assertValid(synAck);
        }
    }

    @Test
    void shouldLeaveUntranslatedConnectionsAlone()
    {
        try (NatBed bed = new NatBed(config(snat(NatRange.address(POOL)))))
        {
            final byte[] packet = PacketBuilder.udp("192.0.2.1", "203.0.113.9", 5000, 53, 8);
            final byte[] out = bed.send(packet, NatBed.INSIDE, NatBed.OUTSIDE);
            assertEquals("192.0.2.1", src(out), "no rule matches 192.0.2.1");
            assertEquals(java.util.Arrays.toString(packet), java.util.Arrays.toString(out));
            assertEquals(1, bed.stats.nullBindings);
            assertFalse((CtRecord.status(bed.conntrack.table().record(bed.lastCt())) & CtStatus.NAT_MASK) != 0);
        }
    }

    // ---- packet reading ----

    static int u16(final byte[] p, final int at)
    {
        return (p[at] & 0xFF) << 8 | (p[at + 1] & 0xFF);
    }

    static String ip(final byte[] p, final int at)
    {
        return (p[at] & 0xFF) + "." + (p[at + 1] & 0xFF) + "." + (p[at + 2] & 0xFF) + "." + (p[at + 3] & 0xFF);
    }

    static String src(final byte[] p)
    {
        return ip(p, 12);
    }

    static String dst(final byte[] p)
    {
        return ip(p, 16);
    }

    static int sport(final byte[] p)
    {
        return u16(p, (p[0] & 0x0F) * 4);
    }

    static int dport(final byte[] p)
    {
        return u16(p, (p[0] & 0x0F) * 4 + 2);
    }

    static int sum(final byte[] p, final int from, final int length)
    {
        long s = 0;
        for (int i = 0; i < length; i += 2)
        {
            s += (p[from + i] & 0xFF) << 8 | (i + 1 < length ? p[from + i + 1] & 0xFF : 0);
        }
        while ((s >>> 16) != 0)
        {
            s = (s & 0xFFFF) + (s >>> 16);
        }
        return (int)(~s & 0xFFFF);
    }

    static boolean ipHeaderValid(final byte[] p)
    {
        return sum(p, 0, (p[0] & 0x0F) * 4) == 0;
    }

    static boolean icmpValid(final byte[] p)
    {
        final int ihl = (p[0] & 0x0F) * 4;
        return sum(p, ihl, u16(p, 2) - ihl) == 0;
    }

    /** The IPv4 header checksum and the transport checksum (with its pseudo-header) are both right. */
    static void assertValid(final byte[] p)
    {
        assertTrue(ipHeaderValid(p), "IPv4 header checksum");
        final int ihl = (p[0] & 0x0F) * 4;
        final int protocol = p[9] & 0xFF;
        final int l4 = u16(p, 2) - ihl;
        if (protocol == 1)
        {
            assertTrue(icmpValid(p), "ICMP checksum");
            return;
        }
        final byte[] pseudo = new byte[12 + l4];
        System.arraycopy(p, 12, pseudo, 0, 8);
        pseudo[9] = (byte)protocol;
        pseudo[10] = (byte)(l4 >>> 8);
        pseudo[11] = (byte)l4;
        System.arraycopy(p, ihl, pseudo, 12, l4);
        assertEquals(0, sum(pseudo, 0, pseudo.length), (protocol == 6 ? "TCP" : "UDP") + " checksum");
    }
}
