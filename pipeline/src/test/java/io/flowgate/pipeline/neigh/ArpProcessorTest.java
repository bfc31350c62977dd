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
import io.flowgate.pmd.header.ArpFlyweight;
import io.flowgate.pmd.header.EthernetFlyweight;
import io.flowgate.pmd.testing.CapturedPackets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static io.flowgate.pipeline.neigh.ArpProcessor.CONSUMED;
import static io.flowgate.pipeline.neigh.NeighbourTable.NO_SLOT;
import static io.flowgate.pmd.testing.CapturedPackets.IPV4_A;
import static io.flowgate.pmd.testing.CapturedPackets.IPV4_B;
import static io.flowgate.pmd.testing.CapturedPackets.MAC_A;
import static io.flowgate.pmd.testing.CapturedPackets.MAC_B;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class ArpProcessorTest
{
    private static final long S = 1_000_000_000L;
    private static final long MS = 1_000_000L;
    private static final int PORT = 0;
    private static final long MAC_C = 0x02c0_ffee_0003L;
    private static final int IPV4_C = 0xC000_0203;
    private static final int ARP_LENGTH = 42;
    private static final int ETH = EthernetFlyweight.HEADER_LENGTH;

    private final Arena arena = Arena.ofConfined();
    private final RecordingHandler handler = new RecordingHandler();
    private final NeighbourTable table = new NeighbourTable(64, 9);
    private final NeighbourResolver resolver =
        new NeighbourResolver(table, NeighbourParams.linuxDefaults(), new SplittableRandom(1), handler);
    private final ArpProcessor arp = new ArpProcessor(resolver);
    /** We are host B of the capture. */
    private final PortAddresses hostB = new PortAddresses(PORT, MAC_B, 2).addIpv4(IPV4_B);
    /** We are host A of the capture. */
    private final PortAddresses hostA = new PortAddresses(PORT, MAC_A, 2).addIpv4(IPV4_A);

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
    void shouldAnswerTheCapturedLinuxRequestWithTheBytesLinuxAnswered()
    {
        final long frame = load(CapturedPackets.ARP_REQUEST);

        assertEquals(ARP_LENGTH, arp.process(hostB, frame, ARP_LENGTH, 0));

        assertArrayEquals(CapturedPackets.bytes(CapturedPackets.ARP_REPLY), CapturedPackets.read(frame, ARP_LENGTH));
        assertEquals(1, arp.repliesSent());
    }

    @Test
    void shouldDecodeTheReplyAsAValidArpReplyInTshark(@TempDir final Path dir) throws Exception
    {
        final long frame = load(CapturedPackets.ARP_REQUEST);
        final int length = arp.process(hostB, frame, ARP_LENGTH, 0);

        final String[] f = Tshark.fields(dir, frame, length, "eth.dst", "eth.src", "arp.opcode", "arp.src.hw_mac",
            "arp.src.proto_ipv4", "arp.dst.hw_mac", "arp.dst.proto_ipv4", "_ws.malformed");

        assertEquals(List.of("76:b5:60:de:61:46", "32:fa:09:2a:c6:28", "2", "32:fa:09:2a:c6:28", "192.0.2.2",
            "76:b5:60:de:61:46", "192.0.2.1", ""), Arrays.asList(f));
    }

    @Test
    void shouldLearnTheSenderOfARequestToUsAsStale()
    {
        arp.process(hostB, load(CapturedPackets.ARP_REQUEST), ARP_LENGTH, 0);

        final int slot = table.find(PORT, IPV4_A);
        assertEquals(NeighbourState.STALE, table.state(slot), "neigh_event_ns: a request does not prove reachability");
        assertEquals(MAC_A, table.lookupMac(PORT, IPV4_A));
    }

    @Test
    void shouldAnswerAVlanTaggedRequestKeepingTheTag()
    {
        final byte[] untagged = CapturedPackets.bytes(CapturedPackets.ARP_REQUEST);
        final byte[] tagged = new byte[untagged.length + 4];
        System.arraycopy(untagged, 0, tagged, 0, 12);
        tagged[12] = (byte)0x81;
        tagged[13] = 0x00;
        tagged[14] = 0x00;
        tagged[15] = 0x64;
        System.arraycopy(untagged, 12, tagged, 16, untagged.length - 12);
        final long frame = CapturedPackets.load(arena, tagged);

        assertEquals(tagged.length, arp.process(hostB, frame, tagged.length, 0));

        final byte[] reply = CapturedPackets.bytes(CapturedPackets.ARP_REPLY);
        final byte[] read = CapturedPackets.read(frame, tagged.length);
        assertArrayEquals(Arrays.copyOfRange(reply, 0, 12), Arrays.copyOfRange(read, 0, 12));
        assertEquals(0x8100_0064, Memory.getIntBE(frame + 12), "the tag stays");
        assertArrayEquals(Arrays.copyOfRange(reply, 12, reply.length), Arrays.copyOfRange(read, 16, read.length));
    }

    @Test
    void shouldAnswerADuplicateAddressProbeWithoutLearning()
    {
        final long frame = arpFrame(EthernetFlyweight.BROADCAST_MAC, ArpFlyweight.OPERATION_REQUEST, MAC_A, 0, 0L, IPV4_B);

        assertEquals(ARP_LENGTH, arp.process(hostB, frame, ARP_LENGTH, 0));

        assertEquals(MAC_A, EthernetFlyweight.getDstMac(frame));
        final ArpFlyweight reply = new ArpFlyweight().wrap(frame + ETH);
        assertEquals(ArpFlyweight.OPERATION_REPLY, reply.operation());
        assertEquals(IPV4_B, reply.senderIp());
        assertEquals(0, reply.targetIp(), "RFC 5227: the answer to a probe goes back to 0.0.0.0");
        assertEquals(0, table.size());
    }

    @Test
    void shouldNotAnswerARequestForAnotherHostNorLearnFromIt()
    {
        final PortAddresses hostC = new PortAddresses(PORT, MAC_C, 1).addIpv4(IPV4_C);

        assertEquals(CONSUMED, arp.process(hostC, load(CapturedPackets.ARP_REQUEST), ARP_LENGTH, 0));

        assertEquals(NO_SLOT, table.find(PORT, IPV4_A), "arp_accept=0: only a request to us creates");
    }

    // ------------------------------------------------------------------------------------------------------
    // Learning
    // ------------------------------------------------------------------------------------------------------

    @Test
    void shouldNotCreateAnEntryFromAnUnsolicitedReply()
    {
        assertEquals(CONSUMED, arp.process(hostA, load(CapturedPackets.ARP_REPLY), ARP_LENGTH, 0));

        assertEquals(NO_SLOT, table.find(PORT, IPV4_B));
    }

    @Test
    void shouldResolveAnIncompleteEntryWithAReplyToUsAndReleaseItsPackets()
    {
        resolver.resolve(PORT, IPV4_B, 1001, 0);
        resolver.resolve(PORT, IPV4_B, 1002, 10 * MS);
        handler.take();

        assertEquals(CONSUMED, arp.process(hostA, load(CapturedPackets.ARP_REPLY), ARP_LENGTH, 20 * MS));

        assertEquals(NeighbourState.REACHABLE, table.state(table.find(PORT, IPV4_B)));
        assertEquals(List.of("transmit 1001 port 0 to 32fa092ac628", "transmit 1002 port 0 to 32fa092ac628"), handler.take());
    }

    @Test
    void shouldNotConfirmWithABroadcastReply()
    {
        resolver.resolve(PORT, IPV4_B, PendingQueue.NO_PACKET, 0);
        final long frame = arpFrame(EthernetFlyweight.BROADCAST_MAC, ArpFlyweight.OPERATION_REPLY, MAC_B, IPV4_B, MAC_A, IPV4_A);

        arp.process(hostA, frame, ARP_LENGTH, 20 * MS);

        assertEquals(NeighbourState.STALE, table.state(table.find(PORT, IPV4_B)), "only a reply to us asserts reachability");
        assertEquals(MAC_B, table.lookupMac(PORT, IPV4_B));
    }

    @Test
    void shouldUpdateButNeverCreateFromGratuitousArp()
    {
        final long newMac = 0x02bb_0000_0002L;
        arp.process(hostA, gratuitous(newMac, IPV4_B), ARP_LENGTH, 0);
        assertEquals(NO_SLOT, table.find(PORT, IPV4_B), "arp_accept=0");

        resolver.resolve(PORT, IPV4_B, PendingQueue.NO_PACKET, 0);
        arp.process(hostA, load(CapturedPackets.ARP_REPLY), ARP_LENGTH, 10 * MS);
        assertEquals(MAC_B, table.lookupMac(PORT, IPV4_B));

        arp.process(hostA, gratuitous(newMac, IPV4_B), ARP_LENGTH, 500 * MS);

        final int slot = table.find(PORT, IPV4_B);
        assertEquals(newMac, table.mac(slot), "a gratuitous ARP overrides even within the lock time");
        assertEquals(NeighbourState.STALE, table.state(slot));
    }

    @Test
    void shouldKeepTheFirstOfBackToBackRepliesWithinTheLockTime()
    {
        final long otherMac = 0x02bb_0000_0002L;
        resolver.resolve(PORT, IPV4_B, PendingQueue.NO_PACKET, 0);
        arp.process(hostA, load(CapturedPackets.ARP_REPLY), ARP_LENGTH, 100 * MS);

        arp.process(hostA, arpFrame(MAC_A, ArpFlyweight.OPERATION_REPLY, otherMac, IPV4_B, MAC_A, IPV4_A), ARP_LENGTH, 600 * MS);
        assertEquals(MAC_B, table.lookupMac(PORT, IPV4_B), "within a second of the last change: ignored");

        arp.process(hostA, arpFrame(MAC_A, ArpFlyweight.OPERATION_REPLY, otherMac, IPV4_B, MAC_A, IPV4_A), ARP_LENGTH, 1200 * MS);
        assertEquals(otherMac, table.lookupMac(PORT, IPV4_B), "after the lock time: the new address wins");
        assertEquals(NeighbourState.REACHABLE, table.state(table.find(PORT, IPV4_B)));
    }

    @Test
    void shouldRefreshAKnownSenderFromAnyArpItSends()
    {
        resolver.resolve(PORT, IPV4_A, PendingQueue.NO_PACKET, 0);
        final PortAddresses hostC = new PortAddresses(PORT, MAC_C, 1).addIpv4(IPV4_C);

        arp.process(hostC, load(CapturedPackets.ARP_REQUEST), ARP_LENGTH, S);

        final int slot = table.find(PORT, IPV4_A);
        assertEquals(NeighbourState.STALE, table.state(slot), "A asked for B: we learn A's address anyway");
        assertEquals(MAC_A, table.mac(slot));
    }

    // ------------------------------------------------------------------------------------------------------
    // Validation
    // ------------------------------------------------------------------------------------------------------

    @Test
    void shouldDropAndCountWhatArpProcessRefuses()
    {
        assertDropped(ArpProcessor.DROP_TRUNCATED, f -> { }, ARP_LENGTH - 1);
        assertDropped(ArpProcessor.DROP_NOT_ARP, f -> Memory.putShortBE(f + 12, EthernetFlyweight.ETHER_TYPE_IPV4), ARP_LENGTH);
        assertDropped(ArpProcessor.DROP_BAD_HARDWARE_TYPE, f -> Memory.putShortBE(f + ETH, 6), ARP_LENGTH);
        assertDropped(ArpProcessor.DROP_BAD_PROTOCOL_TYPE, f -> Memory.putShortBE(f + ETH + 2, EthernetFlyweight.ETHER_TYPE_IPV6), ARP_LENGTH);
        assertDropped(ArpProcessor.DROP_BAD_ADDRESS_LENGTH, f -> Memory.putByte(f + ETH + 4, (byte)8), ARP_LENGTH);
        assertDropped(ArpProcessor.DROP_BAD_ADDRESS_LENGTH, f -> Memory.putByte(f + ETH + 5, (byte)16), ARP_LENGTH);
        assertDropped(ArpProcessor.DROP_BAD_OPERATION, f -> Memory.putShortBE(f + ETH + 6, 3), ARP_LENGTH);
        assertDropped(ArpProcessor.DROP_OTHER_HOST, f -> EthernetFlyweight.putDstMac(f, MAC_C), ARP_LENGTH);
        assertDropped(ArpProcessor.DROP_BAD_TARGET, f -> Memory.putIntBE(f + ETH + 24, 0xE000_0001), ARP_LENGTH);
        assertDropped(ArpProcessor.DROP_BAD_TARGET, f -> Memory.putIntBE(f + ETH + 24, 0x7F00_0001), ARP_LENGTH);
        assertDropped(ArpProcessor.DROP_BAD_SENDER, f -> EthernetFlyweight.putMac(f + ETH + 8, 0x0100_5E00_0001L), ARP_LENGTH);
        assertDropped(ArpProcessor.DROP_ADDRESS_CONFLICT, f -> Memory.putIntBE(f + ETH + 14, IPV4_B), ARP_LENGTH);

        assertEquals(0, table.size(), "nothing learned from any of them");
        assertEquals(0, arp.repliesSent());
    }

    @Test
    void shouldNotAnswerWhenTheTableHasNoRoomForTheSender()
    {
        try (NeighbourTable full = new NeighbourTable(1, 9))
        {
            final NeighbourResolver tight = new NeighbourResolver(full, NeighbourParams.linuxDefaults(), new SplittableRandom(1), handler);
            tight.resolve(PORT, IPV4_C, PendingQueue.NO_PACKET, 0);
            final ArpProcessor processor = new ArpProcessor(tight);

            assertEquals(CONSUMED, processor.process(hostB, load(CapturedPackets.ARP_REQUEST), ARP_LENGTH, 0));

            assertEquals(1, processor.drops(ArpProcessor.DROP_TABLE_FULL), "as arp_process when neigh_event_ns fails");
        }
    }

    // ------------------------------------------------------------------------------------------------------
    // Writing
    // ------------------------------------------------------------------------------------------------------

    @Test
    void shouldWriteTheRequestLinuxSendsPaddedToTheEthernetMinimum()
    {
        final long buffer = buffer();

        assertEquals(60, ArpProcessor.writeRequest(buffer, MAC_A, IPV4_A, IPV4_B));

        assertArrayEquals(CapturedPackets.bytes(CapturedPackets.ARP_REQUEST), CapturedPackets.read(buffer, ARP_LENGTH));
        assertArrayEquals(new byte[18], CapturedPackets.read(buffer + ARP_LENGTH, 18));
    }

    @Test
    void shouldWriteRequestsAndAnnouncementsTsharkDecodes(@TempDir final Path dir) throws Exception
    {
        final long buffer = buffer();
        final String[] fields = {"eth.dst", "arp.opcode", "arp.src.hw_mac", "arp.src.proto_ipv4", "arp.dst.hw_mac",
            "arp.dst.proto_ipv4", "arp.isgratuitous", "_ws.malformed"};

        int length = ArpProcessor.writeRequest(buffer, MAC_B, MAC_A, IPV4_A, IPV4_B);
        assertEquals(List.of("32:fa:09:2a:c6:28", "1", "76:b5:60:de:61:46", "192.0.2.1", "00:00:00:00:00:00", "192.0.2.2", "", ""),
            Arrays.asList(Tshark.fields(dir, buffer, length, fields)), "unicast probe");

        length = ArpProcessor.writeGratuitous(buffer, MAC_A, IPV4_A);
        assertEquals(List.of("ff:ff:ff:ff:ff:ff", "1", "76:b5:60:de:61:46", "192.0.2.1", "00:00:00:00:00:00", "192.0.2.1", "1", ""),
            Arrays.asList(Tshark.fields(dir, buffer, length, fields)), "gratuitous announcement");
    }

    @Test
    void shouldResolveThroughARequestItWroteAndTheReplyItGot()
    {
        final long[] sent = new long[1];
        final NeighbourHandler sender = new NeighbourHandler()
        {
            @Override
            public void solicit(final NeighbourTable t, final int slot, final long dstMac)
            {
                final long buffer = buffer();
                ArpProcessor.writeRequest(buffer, dstMac == MULTICAST ? EthernetFlyweight.BROADCAST_MAC : dstMac, MAC_A, IPV4_A, t.ipv4(slot));
                sent[0] = buffer;
            }

            @Override
            public void transmit(final long packet, final int port, final long dstMac)
            {
                handler.transmit(packet, port, dstMac);
            }

            @Override
            public void drop(final long packet, final int reason)
            {
                handler.drop(packet, reason);
            }
        };
        try (NeighbourTable own = new NeighbourTable(8, 1))
        {
            final NeighbourResolver a = new NeighbourResolver(own, NeighbourParams.linuxDefaults(), new SplittableRandom(1), sender);
            a.resolve(PORT, IPV4_B, 1001, 0);

            // Host B answers our request in place, as it would on the wire.
            assertEquals(60, arp.process(hostB, sent[0], 60, 0));
            new ArpProcessor(a).process(hostA, sent[0], 60, 5 * MS);

            assertEquals(List.of("transmit 1001 port 0 to 32fa092ac628"), handler.take());
            assertEquals(MAC_B, own.lookupMac(PORT, IPV4_B));
        }
    }

    // ------------------------------------------------------------------------------------------------------

    private void assertDropped(final int reason, final LongConsumer mutation, final int length)
    {
        final long before = arp.drops(reason);
        final long frame = load(CapturedPackets.ARP_REQUEST);
        mutation.accept(frame);
        assertEquals(CONSUMED, arp.process(hostB, frame, length, 0), "reason " + reason);
        assertEquals(before + 1, arp.drops(reason), "reason " + reason);
    }

    private long gratuitous(final long mac, final int ip)
    {
        final long frame = buffer();
        ArpProcessor.writeGratuitous(frame, mac, ip);
        return frame;
    }

    private long arpFrame(final long ethDst, final int operation, final long senderMac, final int senderIp, final long targetMac, final int targetIp)
    {
        final long frame = buffer();
        EthernetFlyweight.putDstMac(frame, ethDst);
        EthernetFlyweight.putSrcMac(frame, senderMac);
        Memory.putShortBE(frame + 12, EthernetFlyweight.ETHER_TYPE_ARP);
        new ArpFlyweight().wrap(frame + ETH).ethernetIpv4().operation(operation)
            .senderMac(senderMac).senderIp(senderIp).targetMac(targetMac).targetIp(targetIp);
        return frame;
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
        return arena.allocate(128, 64).address();
    }
}
