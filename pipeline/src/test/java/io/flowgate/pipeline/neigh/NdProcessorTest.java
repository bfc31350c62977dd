package io.flowgate.pipeline.neigh;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.LongConsumer;

import io.flowgate.nativebindings.Memory;
import io.flowgate.pmd.checksum.Checksum;
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.header.IcmpFlyweight;
import io.flowgate.pmd.header.Ipv6Flyweight;
import io.flowgate.pmd.testing.CapturedPackets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static io.flowgate.pipeline.neigh.NdProcessor.CONSUMED;
import static io.flowgate.pipeline.neigh.NeighbourTable.NO_SLOT;
import static io.flowgate.pmd.testing.CapturedPackets.IPV6_DOCUMENTATION_HI;
import static io.flowgate.pmd.testing.CapturedPackets.MAC_A;
import static io.flowgate.pmd.testing.CapturedPackets.MAC_B;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NdProcessorTest
{
    private static final long MS = 1_000_000L;
    private static final int PORT = 0;
    private static final long HI = IPV6_DOCUMENTATION_HI;
    private static final long MAC_C = 0x02c0_ffee_0003L;
    private static final int NS_LENGTH = 86;
    private static final int CAPACITY = 256;
    private static final int ETH = EthernetFlyweight.HEADER_LENGTH;
    private static final int ICMP = ETH + Ipv6Flyweight.HEADER_LENGTH;

    private final Arena arena = Arena.ofConfined();
    private final RecordingHandler handler = new RecordingHandler();
    private final NeighbourTable table = new NeighbourTable(64, 5);
    private final NeighbourResolver resolver =
        new NeighbourResolver(table, NeighbourParams.linuxDefaults(), new SplittableRandom(1), handler);
    private final NdProcessor nd = new NdProcessor(resolver, true);
    /** We are host B of the capture, 2001:db8::2. */
    private final PortAddresses hostB = new PortAddresses(PORT, MAC_B, 2).addIpv6(HI, 2);
    /** We are host A of the capture, 2001:db8::1. */
    private final PortAddresses hostA = new PortAddresses(PORT, MAC_A, 2).addIpv6(HI, 1);

    @AfterEach
    void close()
    {
        table.close();
        arena.close();
    }

    // ------------------------------------------------------------------------------------------------------
    // Answering
    // ------------------------------------------------------------------------------------------------------

    @Test
    void shouldAnswerTheCapturedSolicitationWithASolicitedAdvertisement()
    {
        final long frame = load(CapturedPackets.ICMPV6_NEIGHBOR_SOLICITATION);

        assertEquals(NdProcessor.FRAME_LENGTH, nd.process(hostB, frame, NS_LENGTH, CAPACITY, 0));

        final long ip = frame + ETH;
        final long icmp = frame + ICMP;
        assertEquals(MAC_A, EthernetFlyweight.getDstMac(frame), "to the solicitation's source link-layer address");
        assertEquals(MAC_B, EthernetFlyweight.getSrcMac(frame));
        assertEquals(HI, Ipv6Flyweight.getSrcAddressHi(ip));
        assertEquals(2L, Ipv6Flyweight.getSrcAddressLo(ip), "from the target address");
        assertEquals(1L, Ipv6Flyweight.getDstAddressLo(ip), "to the solicitation's source");
        assertEquals(255, Ipv6Flyweight.getHopLimit(ip));
        assertEquals(32, Ipv6Flyweight.getPayloadLength(ip));
        assertEquals(IcmpFlyweight.V6_NEIGHBOR_ADVERTISEMENT, IcmpFlyweight.getType(icmp));
        assertEquals(NdFlyweight.FLAG_ROUTER | NdFlyweight.FLAG_SOLICITED | NdFlyweight.FLAG_OVERRIDE, NdFlyweight.getFlags(icmp));
        assertEquals(2L, NdFlyweight.getTargetLo(icmp));
        assertEquals(NdFlyweight.OPTION_TARGET_LINK_LAYER, Memory.getUnsignedByte(icmp + 24));
        assertEquals(1, Memory.getUnsignedByte(icmp + 25));
        assertEquals(MAC_B, EthernetFlyweight.getMac(icmp + 26));
        assertTrue(Checksum.isIcmpv6Valid(ip, icmp));
        assertEquals(1, nd.advertisementsSent());
    }

    @Test
    void shouldDecodeTheAdvertisementInTsharkWithAGoodChecksum(@TempDir final Path dir) throws Exception
    {
        final long frame = load(CapturedPackets.ICMPV6_NEIGHBOR_SOLICITATION);
        final int length = nd.process(hostB, frame, NS_LENGTH, CAPACITY, 0);

        final String[] f = Tshark.fields(dir, frame, length, "eth.dst", "ipv6.src", "ipv6.dst", "ipv6.hlim", "icmpv6.type",
            "icmpv6.code", "icmpv6.checksum.status", "icmpv6.nd.na.flag.r", "icmpv6.nd.na.flag.s", "icmpv6.nd.na.flag.o",
            "icmpv6.nd.na.target_address", "icmpv6.opt.target_linkaddr", "_ws.malformed");

        assertEquals(List.of("76:b5:60:de:61:46", "2001:db8::2", "2001:db8::1", "255", "136", "0", "1", "1", "1", "1",
            "2001:db8::2", "32:fa:09:2a:c6:28", ""), Arrays.asList(f), "checksum status 1 is Good");
    }

    @Test
    void shouldLearnTheSourceOfASolicitationAsStale()
    {
        nd.process(hostB, load(CapturedPackets.ICMPV6_NEIGHBOR_SOLICITATION), NS_LENGTH, CAPACITY, 0);

        final int slot = table.find6(PORT, HI, 1);
        assertEquals(NeighbourState.STALE, table.state(slot));
        assertEquals(MAC_A, table.lookupMac6(PORT, HI, 1));
    }

    @Test
    void shouldDefendOurAddressAgainstDuplicateAddressDetectionToAllNodes()
    {
        final long frame = buffer();
        NdProcessor.writeSolicitation(frame, NeighbourHandler.MULTICAST, MAC_C, 0L, 0L, HI, 2);
        // RFC 4861 7.1.1: a DAD solicitation comes from :: and carries no source link-layer option.
        Memory.putShortBE(frame + ETH + Ipv6Flyweight.PAYLOAD_LENGTH_OFFSET, NdFlyweight.MESSAGE_LENGTH);
        fixChecksum(frame);

        assertEquals(NdProcessor.FRAME_LENGTH, nd.process(hostB, frame, ICMP + NdFlyweight.MESSAGE_LENGTH, CAPACITY, 0));

        final long ip = frame + ETH;
        assertEquals(0x3333_0000_0001L, EthernetFlyweight.getDstMac(frame));
        assertEquals(NdFlyweight.ALL_NODES_HI, Ipv6Flyweight.getDstAddressHi(ip));
        assertEquals(NdFlyweight.ALL_NODES_LO, Ipv6Flyweight.getDstAddressLo(ip));
        assertEquals(NdFlyweight.FLAG_ROUTER | NdFlyweight.FLAG_OVERRIDE, NdFlyweight.getFlags(frame + ICMP), "not solicited");
        assertTrue(Checksum.isIcmpv6Valid(ip, frame + ICMP));
        assertEquals(0, table.size(), "nothing to learn from ::");
    }

    @Test
    void shouldAnswerAUnicastSolicitationWithoutSourceOptionToTheFrameSender()
    {
        final long frame = buffer();
        NdProcessor.writeSolicitation(frame, MAC_B, MAC_A, HI, 1, HI, 2);
        Memory.putShortBE(frame + ETH + Ipv6Flyweight.PAYLOAD_LENGTH_OFFSET, NdFlyweight.MESSAGE_LENGTH);
        fixChecksum(frame);

        assertEquals(NdProcessor.FRAME_LENGTH, nd.process(hostB, frame, ICMP + NdFlyweight.MESSAGE_LENGTH, CAPACITY, 0));

        assertEquals(MAC_A, EthernetFlyweight.getDstMac(frame));
        assertEquals(0, table.size(), "no address offered, none learned");
    }

    // ------------------------------------------------------------------------------------------------------
    // Learning from advertisements
    // ------------------------------------------------------------------------------------------------------

    @Test
    void shouldResolveAnIncompleteEntryWithTheSolicitedAdvertisementHostBSent()
    {
        resolver.resolve6(PORT, HI, 2, 1001, 0);
        handler.take();
        final long frame = load(CapturedPackets.ICMPV6_NEIGHBOR_SOLICITATION);
        try (NeighbourTable tableOfB = new NeighbourTable(8, 1))
        {
            final NeighbourResolver resolverOfB =
                new NeighbourResolver(tableOfB, NeighbourParams.linuxDefaults(), new SplittableRandom(2), new RecordingHandler());
            final int length = new NdProcessor(resolverOfB, false).process(hostB, frame, NS_LENGTH, CAPACITY, 0);

            assertEquals(CONSUMED, nd.process(hostA, frame, length, CAPACITY, 5 * MS));
        }

        assertEquals(NeighbourState.REACHABLE, table.state(table.find6(PORT, HI, 2)));
        assertEquals(List.of("transmit 1001 port 0 to 32fa092ac628"), handler.take());
    }

    @Test
    void shouldUpdateButNeverCreateFromAnUnsolicitedAdvertisement()
    {
        final long newMac = 0x02bb_0000_0002L;
        nd.process(hostA, unsolicited(newMac, 2), NdProcessor.FRAME_LENGTH, CAPACITY, 0);
        assertEquals(NO_SLOT, table.find6(PORT, HI, 2), "accept_untracked_na=0");

        reachable(2, MAC_B);
        nd.process(hostA, unsolicited(newMac, 2), NdProcessor.FRAME_LENGTH, CAPACITY, 10 * MS);

        final int slot = table.find6(PORT, HI, 2);
        assertEquals(newMac, table.mac(slot), "override set: the new address wins at once");
        assertEquals(NeighbourState.STALE, table.state(slot), "unsolicited: not a confirmation");
    }

    @Test
    void shouldOnlyMakeAReachableEntryStaleOnAnAdvertisementWithoutOverride()
    {
        reachable(2, MAC_B);
        final long frame = unsolicited(0x02bb_0000_0002L, 2);
        NdFlyweight.putFlags(frame + ICMP, 0);
        fixChecksum(frame);

        nd.process(hostA, frame, NdProcessor.FRAME_LENGTH, CAPACITY, 10 * MS);

        final int slot = table.find6(PORT, HI, 2);
        assertEquals(NeighbourState.STALE, table.state(slot), "RFC 4861 7.2.5");
        assertEquals(MAC_B, table.mac(slot));
    }

    @Test
    void shouldNotReviveAFailedEntry()
    {
        resolver.resolve6(PORT, HI, 2, PendingQueue.NO_PACKET, 0);
        for (long t = 1_000 * MS; t <= 3_000 * MS; t += 1_000 * MS)
        {
            resolver.doWork(t);
        }
        assertEquals(NeighbourState.FAILED, table.state(table.find6(PORT, HI, 2)));

        nd.process(hostA, unsolicited(MAC_B, 2), NdProcessor.FRAME_LENGTH, CAPACITY, 4_000 * MS);

        assertEquals(NeighbourState.FAILED, table.state(table.find6(PORT, HI, 2)), "as ndisc_recv_na");
    }

    // ------------------------------------------------------------------------------------------------------
    // Validation (RFC 4861 7.1.1, 7.1.2)
    // ------------------------------------------------------------------------------------------------------

    @Test
    void shouldDropAndCountWhatRfc4861SaysToDiscard()
    {
        final long targetAt = ICMP + NdFlyweight.TARGET_OFFSET;
        assertDropped(NdProcessor.DROP_TRUNCATED, f -> { }, ICMP + 23);
        assertDropped(NdProcessor.DROP_NOT_IPV6, f -> Memory.putShortBE(f + 12, EthernetFlyweight.ETHER_TYPE_IPV4), NS_LENGTH);
        assertDropped(NdProcessor.DROP_TRUNCATED, f -> Memory.putShortBE(f + ETH + 4, 200), NS_LENGTH);
        assertDropped(NdProcessor.DROP_NOT_ICMPV6, f -> Memory.putByte(f + ETH + 6, (byte)0), NS_LENGTH);
        assertDropped(NdProcessor.DROP_NOT_NS_OR_NA, f -> Memory.putByte(f + ICMP, (byte)IcmpFlyweight.V6_ECHO_REQUEST), NS_LENGTH);
        assertDropped(NdProcessor.DROP_BAD_HOP_LIMIT, f -> Memory.putByte(f + ETH + 7, (byte)254), NS_LENGTH);
        assertDropped(NdProcessor.DROP_BAD_CODE, f -> { Memory.putByte(f + ICMP + 1, (byte)1); fixChecksum(f); }, NS_LENGTH);
        assertDropped(NdProcessor.DROP_BAD_CHECKSUM, f -> Memory.putByte(f + ICMP + 3, (byte)0), NS_LENGTH);
        assertDropped(NdProcessor.DROP_MULTICAST_TARGET, f -> { Memory.putByte(f + targetAt, (byte)0xFF); fixChecksum(f); }, NS_LENGTH);
        assertDropped(NdProcessor.DROP_BAD_OPTION, f -> { Memory.putByte(f + ICMP + 25, (byte)0); fixChecksum(f); }, NS_LENGTH);
        assertDropped(NdProcessor.DROP_BAD_OPTION, f -> { Memory.putByte(f + ICMP + 25, (byte)2); fixChecksum(f); }, NS_LENGTH);
        assertDropped(NdProcessor.DROP_OTHER_HOST, f -> EthernetFlyweight.putDstMac(f, MAC_C), NS_LENGTH);
        assertDropped(NdProcessor.DROP_BAD_DAD, f -> { Memory.putLong(f + ETH + 8, 0L); Memory.putLong(f + ETH + 16, 0L); fixChecksum(f); },
            NS_LENGTH);
        assertDropped(NdProcessor.DROP_NOT_OUR_TARGET, f -> { Memory.putByte(f + targetAt + 15, (byte)3); fixChecksum(f); }, NS_LENGTH);
        assertDropped(NdProcessor.DROP_NO_ROOM, f -> { }, NS_LENGTH, NS_LENGTH - 1);

        assertEquals(0, table.size(), "nothing learned from any of them");
        assertEquals(0, nd.advertisementsSent());
    }

    @Test
    void shouldDropASolicitedAdvertisementToAMulticastAddressAndOneForOurAddress()
    {
        reachable(2, MAC_B);
        final long multicastSolicited = unsolicited(MAC_C, 2);
        NdFlyweight.putFlags(multicastSolicited + ICMP, NdFlyweight.FLAG_SOLICITED | NdFlyweight.FLAG_OVERRIDE);
        fixChecksum(multicastSolicited);
        nd.process(hostA, multicastSolicited, NdProcessor.FRAME_LENGTH, CAPACITY, 10 * MS);
        assertEquals(1, nd.drops(NdProcessor.DROP_SOLICITED_MULTICAST));

        nd.process(hostA, unsolicited(MAC_C, 1), NdProcessor.FRAME_LENGTH, CAPACITY, 10 * MS);
        assertEquals(1, nd.drops(NdProcessor.DROP_ADDRESS_CONFLICT), "someone advertises 2001:db8::1, our address");
        assertEquals(MAC_B, table.lookupMac6(PORT, HI, 2));
    }

    // ------------------------------------------------------------------------------------------------------
    // Writing
    // ------------------------------------------------------------------------------------------------------

    @Test
    void shouldWriteTheSolicitationLinuxSends()
    {
        final long buffer = buffer();

        final int length = NdProcessor.writeSolicitation(buffer, NeighbourHandler.MULTICAST, MAC_A, HI, 1, HI, 2);

        assertEquals(NS_LENGTH, length);
        assertArrayEquals(CapturedPackets.bytes(CapturedPackets.ICMPV6_NEIGHBOR_SOLICITATION), CapturedPackets.read(buffer, length),
            "same addresses, same checksum 0xe54d");
    }

    @Test
    void shouldWriteUnicastProbesAndUnsolicitedAdvertisementsTsharkDecodes(@TempDir final Path dir) throws Exception
    {
        final long buffer = buffer();
        int length = NdProcessor.writeSolicitation(buffer, MAC_B, MAC_A, HI, 1, HI, 2);
        assertEquals(List.of("32:fa:09:2a:c6:28", "2001:db8::2", "135", "1", "2001:db8::2", "76:b5:60:de:61:46", ""),
            Arrays.asList(Tshark.fields(dir, buffer, length, "eth.dst", "ipv6.dst", "icmpv6.type", "icmpv6.checksum.status",
                "icmpv6.nd.ns.target_address", "icmpv6.opt.src_linkaddr", "_ws.malformed")), "unicast probe");

        length = NdProcessor.writeUnsolicitedAdvertisement(buffer, MAC_B, HI, 2, false);
        assertEquals(List.of("33:33:00:00:00:01", "ff02::1", "136", "1", "0", "0", "1", "32:fa:09:2a:c6:28", ""),
            Arrays.asList(Tshark.fields(dir, buffer, length, "eth.dst", "ipv6.dst", "icmpv6.type", "icmpv6.checksum.status",
                "icmpv6.nd.na.flag.r", "icmpv6.nd.na.flag.s", "icmpv6.nd.na.flag.o", "icmpv6.opt.target_linkaddr", "_ws.malformed")),
            "unsolicited advertisement");
    }

    // ------------------------------------------------------------------------------------------------------

    private void assertDropped(final int reason, final LongConsumer mutation, final int length)
    {
        assertDropped(reason, mutation, length, CAPACITY);
    }

    private void assertDropped(final int reason, final LongConsumer mutation, final int length, final int capacity)
    {
        final long before = nd.drops(reason);
        final long frame = load(CapturedPackets.ICMPV6_NEIGHBOR_SOLICITATION);
        mutation.accept(frame);
        assertEquals(CONSUMED, nd.process(hostB, frame, length, capacity, 0), "reason " + reason);
        assertEquals(before + 1, nd.drops(reason), "reason " + reason);
    }

    private void reachable(final long lo, final long mac)
    {
        final int slot = resolver.lookup6(PORT, HI, lo, true, 0);
        resolver.update(slot, mac, NeighbourState.REACHABLE, NeighbourResolver.F_OVERRIDE, 0);
    }

    private long unsolicited(final long mac, final long lo)
    {
        final long frame = buffer();
        NdProcessor.writeUnsolicitedAdvertisement(frame, mac, HI, lo, false);
        return frame;
    }

    private static void fixChecksum(final long frame)
    {
        final long ip = frame + ETH;
        Memory.putShortBE(frame + ICMP + IcmpFlyweight.CHECKSUM_OFFSET, Checksum.icmpv6(ip, frame + ICMP));
    }

    private long load(final String hex)
    {
        final long frame = buffer();
        final byte[] bytes = CapturedPackets.bytes(hex);
        MemorySegment.copy(bytes, 0, Memory.ALL, ValueLayout.JAVA_BYTE, frame, bytes.length);
        return frame;
    }

    private long buffer()
    {
        return arena.allocate(CAPACITY, 64).address();
    }
}
