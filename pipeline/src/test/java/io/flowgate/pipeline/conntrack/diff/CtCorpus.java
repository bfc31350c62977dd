package io.flowgate.pipeline.conntrack.diff;

import static io.flowgate.pipeline.conntrack.diff.PacketBuilder.ACK;
import static io.flowgate.pipeline.conntrack.diff.PacketBuilder.FIN;
import static io.flowgate.pipeline.conntrack.diff.PacketBuilder.PSH;
import static io.flowgate.pipeline.conntrack.diff.PacketBuilder.RST;
import static io.flowgate.pipeline.conntrack.diff.PacketBuilder.SYN;
import static io.flowgate.pipeline.conntrack.diff.PacketBuilder.URG;

import io.flowgate.pipeline.conntrack.diff.CorpusPacket.Side;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The differential corpus: named cases, each a short sequence of IPv4 packets between the client 10.77.1.2
 * (side A, original direction) and the server 10.77.2.2 (side B). Each case uses its own client port (and ICMP
 * id), so a leftover of one case can never be mistaken for another's. ICMP errors from the path come from
 * 10.77.2.9 (a hop on the server side).
 */
public final class CtCorpus
{
    public static final String CLIENT = "10.77.1.2";
    public static final String SERVER = "10.77.2.2";
    public static final String HOP = "10.77.2.9";
    public static final String CLIENT6 = "fd77:1::2";
    public static final String SERVER6 = "fd77:2::2";
    public static final String HOP6 = "fd77:2::9";

    /**
     * One case: a name (test display name), what it exercises, and its packets in order; {@code knownDifference}
     * (null almost always) says why flowgate is known to disagree with Linux on it, and
     * {@link ConntrackDifferentialTest} skips it until the tracker is fixed (Linux still runs it).
     */
    public record Case(String name, String description, List<CorpusPacket> packets, String knownDifference)
    {
        public Case(final String name, final String description, final List<CorpusPacket> packets)
        {
            this(name, description, packets, null);
        }

        /** The same case, marked as a known disagreement of flowgate with Linux. */
        Case knownDifference(final String reason)
        {
            return new Case(name, description, packets, reason);
        }

        @Override
        public String toString()
        {
            return name;
        }
    }

    private static final Map<String, Case> CASES = build();

    private CtCorpus()
    {
    }

    public static List<Case> all()
    {
        return List.copyOf(CASES.values());
    }

    public static Case get(final String name)
    {
        final Case c = CASES.get(name);
        if (c == null)
        {
            throw new IllegalArgumentException("no corpus case " + name);
        }
        return c;
    }

    /**
     * A TCP conversation between client and server that keeps each side's next sequence number, so cases read as
     * the segments on the wire: {@code c(SYN); s(SYN | ACK); c(ACK); c(PSH | ACK, 100)}. Segments with ACK
     * acknowledge everything the peer sent so far unless a builder is passed explicitly.
     */
    static final class Tcp
    {
        final List<CorpusPacket> packets = new ArrayList<>();
        final int clientPort;
        final int serverPort;
        long clientNext;
        long serverNext;
        int clientWscale = 7;
        int serverWscale = 7;
        int synWindow = 64240;
        int clientWindow = 502;
        int serverWindow = 509;
        boolean sackPerm = true;
        long pendingPause;
        String clientAddress = CLIENT;
        String serverAddress = SERVER;

        Tcp(final int clientPort, final int serverPort, final long clientIsn, final long serverIsn)
        {
            this.clientPort = clientPort;
            this.serverPort = serverPort;
            this.clientNext = clientIsn & 0xFFFF_FFFFL;
            this.serverNext = serverIsn & 0xFFFF_FFFFL;
        }

        /** The same conversation between {@link #CLIENT6} and {@link #SERVER6}. */
        Tcp v6()
        {
            clientAddress = CLIENT6;
            serverAddress = SERVER6;
            return this;
        }

        Tcp noScale()
        {
            clientWscale = -1;
            serverWscale = -1;
            clientWindow = 64240;
            serverWindow = 65160;
            return this;
        }

        /** A client segment's builder at the current sequence numbers (not yet sent, nothing advanced). */
        PacketBuilder.Tcp fromClient(final int flags)
        {
            return segment(true, flags);
        }

        PacketBuilder.Tcp fromServer(final int flags)
        {
            return segment(false, flags);
        }

        private PacketBuilder.Tcp segment(final boolean client, final int flags)
        {
            final PacketBuilder.Tcp t = client ? PacketBuilder.tcp(clientAddress, serverAddress, clientPort, serverPort) :
                PacketBuilder.tcp(serverAddress, clientAddress, serverPort, clientPort);
            t.flags(flags).seq(client ? clientNext : serverNext).ack((flags & ACK) != 0 ? (client ? serverNext : clientNext) : 0);
            if ((flags & SYN) != 0)
            {
                t.window(synWindow).mss(1460).sackPerm(sackPerm).wscale(client ? clientWscale : serverWscale);
            }
            else
            {
                t.window(client ? clientWindow : serverWindow);
            }
            return t;
        }

        Tcp c(final int flags)
        {
            return c(flags, 0);
        }

        Tcp s(final int flags)
        {
            return s(flags, 0);
        }

        /** Client sends {@code flags} with {@code length} bytes of data and advances its sequence number. */
        Tcp c(final int flags, final int length)
        {
            send(Side.CLIENT, fromClient(flags).payload(length));
            clientNext = clientNext + length + ((flags & SYN) != 0 ? 1 : 0) + ((flags & FIN) != 0 ? 1 : 0) & 0xFFFF_FFFFL;
            return this;
        }

        Tcp s(final int flags, final int length)
        {
            send(Side.SERVER, fromServer(flags).payload(length));
            serverNext = serverNext + length + ((flags & SYN) != 0 ? 1 : 0) + ((flags & FIN) != 0 ? 1 : 0) & 0xFFFF_FFFFL;
            return this;
        }

        /** Sends a hand-made segment without advancing anything. */
        Tcp send(final Side side, final PacketBuilder.Tcp segment)
        {
            return raw(side, segment.build());
        }

        Tcp raw(final Side side, final byte[] packet)
        {
            packets.add(new CorpusPacket(side, packet, pendingPause));
            pendingPause = 0;
            return this;
        }

        Tcp pause(final long millis)
        {
            pendingPause += millis;
            return this;
        }

        Tcp handshake()
        {
            return c(SYN).s(SYN | ACK).c(ACK);
        }

        /** The last packet sent (for ICMP errors quoting it). */
        byte[] last()
        {
            return packets.get(packets.size() - 1).bytes();
        }
    }

    private static final class Builder
    {
        final Map<String, Case> cases = new LinkedHashMap<>();
        int nextPort = 40000;

        /** Marks the case just added as a known disagreement of flowgate with Linux (see {@link Case#knownDifference}). */
        void knownDifference(final String name, final String reason)
        {
            cases.put(name, get(name).knownDifference(reason));
        }

        private Case get(final String name)
        {
            final Case c = cases.get(name);
            if (c == null)
            {
                throw new IllegalArgumentException("no corpus case " + name);
            }
            return c;
        }

        int port()
        {
            return nextPort++;
        }

        Tcp tcp()
        {
            return new Tcp(port(), 80, 1_000_000, 3_000_000);
        }

        void add(final String name, final String description, final Tcp conversation)
        {
            add(name, description, conversation.packets);
        }

        void add(final String name, final String description, final List<CorpusPacket> packets)
        {
            if (cases.put(name, new Case(name, description, Collections.unmodifiableList(new ArrayList<>(packets)))) != null)
            {
                throw new IllegalStateException("duplicate case " + name);
            }
        }
    }

    private static CorpusPacket client(final byte[] packet)
    {
        return new CorpusPacket(Side.CLIENT, packet);
    }

    private static CorpusPacket server(final byte[] packet)
    {
        return new CorpusPacket(Side.SERVER, packet);
    }

    private static Map<String, Case> build()
    {
        final Builder b = new Builder();
        tcpOpenAndClose(b);
        tcpResets(b);
        tcpRetransmissionsAndWindows(b);
        tcpReopen(b);
        tcpBadInput(b);
        udp(b);
        icmp(b);
        generic(b);
        ipv6(b);
        return Collections.unmodifiableMap(b.cases);
    }

    private static void tcpOpenAndClose(final Builder b)
    {
        b.add("tcp-syn-only", "a SYN nobody answers", b.tcp().c(SYN));
        b.add("tcp-syn-synack", "SYN and SYN/ACK, no final ACK", b.tcp().c(SYN).s(SYN | ACK));
        b.add("tcp-handshake", "three-way handshake", b.tcp().handshake());
        b.add("tcp-handshake-data", "handshake and data both ways with ACKs",
            b.tcp().handshake().c(PSH | ACK, 100).s(ACK).s(PSH | ACK, 1000).c(ACK));
        b.add("tcp-handshake-noscale", "handshake without window scaling, data both ways",
            b.tcp().noScale().handshake().c(PSH | ACK, 200).s(PSH | ACK, 300).c(ACK));
        b.add("tcp-close-client-first", "client closes first, four-way",
            b.tcp().handshake().c(FIN | ACK).s(ACK).s(FIN | ACK).c(ACK));
        b.add("tcp-close-server-first", "server closes first, four-way",
            b.tcp().handshake().s(FIN | ACK).c(ACK).c(FIN | ACK).s(ACK));
        b.add("tcp-close-three-way", "FIN, FIN/ACK, ACK", b.tcp().handshake().c(FIN | ACK).s(FIN | ACK).c(ACK));
        {
            final Tcp t = b.tcp().handshake();
            final long clientFinSeq = t.clientNext;
            final long serverFinSeq = t.serverNext;
            // FINs cross: each side's FIN acknowledges only the data, not the other FIN.
            t.send(Side.CLIENT, t.fromClient(FIN | ACK).seq(clientFinSeq).ack(serverFinSeq));
            t.send(Side.SERVER, t.fromServer(FIN | ACK).seq(serverFinSeq).ack(clientFinSeq));
            t.clientNext = clientFinSeq + 1;
            t.serverNext = serverFinSeq + 1;
            t.c(ACK).s(ACK);
            b.add("tcp-close-simultaneous", "both FINs cross, then both ACKs", t);
        }
        b.add("tcp-half-close", "client FIN acknowledged, server keeps sending",
            b.tcp().handshake().c(FIN | ACK).s(ACK).s(PSH | ACK, 500).c(ACK));
        b.add("tcp-fin-wait", "client FIN not yet acknowledged", b.tcp().handshake().c(FIN | ACK));
        b.add("tcp-last-ack", "server's FIN after the client's, last ACK missing", b.tcp().handshake().c(FIN | ACK).s(ACK).s(FIN | ACK));
        {
            final Tcp t = b.tcp();
            t.c(SYN);
            final long clientIsnNext = t.clientNext;
            // Server's own SYN (no ACK) crosses the client's: SYN_SENT2, then both SYN/ACKs and ACKs.
            t.send(Side.SERVER, t.fromServer(SYN));
            t.serverNext++;
            t.send(Side.CLIENT, t.fromClient(SYN | ACK).seq(clientIsnNext - 1));
            t.send(Side.SERVER, t.fromServer(SYN | ACK).seq(t.serverNext - 1));
            t.c(ACK).s(ACK);
            b.add("tcp-simultaneous-open", "both sides send SYN, then SYN/ACKs both ways, then ACKs", t);
        }
        b.add("tcp-midstream-pickup", "an ACK with data and no entry (nf_conntrack_tcp_loose picks it up), then the reply",
            b.tcp().c(PSH | ACK, 100).s(ACK).c(PSH | ACK, 50));
        b.add("tcp-midstream-pickup-oneway", "mid-stream data in one direction only", b.tcp().c(PSH | ACK, 100).c(PSH | ACK, 100));
    }

    private static void tcpResets(final Builder b)
    {
        b.add("tcp-refused", "SYN answered by RST/ACK", b.tcp().c(SYN).s(RST | ACK));
        {
            final Tcp t = b.tcp().c(SYN);
            t.send(Side.SERVER, t.fromServer(RST | ACK).ack(t.clientNext + 5000));
            b.add("tcp-refused-bad-ack", "RST/ACK to a SYN acknowledging the wrong sequence", t);
        }
        b.add("tcp-rst-client-in-window", "client resets an established connection at its next sequence",
            b.tcp().handshake().c(PSH | ACK, 100).s(ACK).c(RST));
        b.add("tcp-rst-server-in-window", "server resets an established connection with RST/ACK",
            b.tcp().handshake().c(PSH | ACK, 100).s(RST | ACK));
        {
            final Tcp t = b.tcp().handshake().c(PSH | ACK, 100).s(ACK);
            t.send(Side.CLIENT, t.fromClient(RST).seq(t.clientNext + 20_000_000));
            t.c(PSH | ACK, 10);
            b.add("tcp-rst-out-of-window", "RST 20 MB outside the window, then normal data", t);
        }
        {
            final Tcp t = b.tcp().handshake().c(PSH | ACK, 100).s(ACK);
            t.send(Side.CLIENT, t.fromClient(RST).seq(t.clientNext + 1000));
            t.c(PSH | ACK, 10);
            b.add("tcp-rst-in-window-inexact", "RST inside the window but not at the next sequence, then normal data", t);
        }
        {
            final Tcp t = b.tcp().handshake();
            t.send(Side.SERVER, t.fromServer(RST | ACK).seq(t.serverNext - 100_000));
            b.add("tcp-rst-bad-seq", "server RST with a sequence behind its window", t);
        }
        b.add("tcp-data-after-rst", "data after the connection was reset", b.tcp().handshake().c(RST).c(PSH | ACK, 100));
    }

    private static void tcpRetransmissionsAndWindows(final Builder b)
    {
        {
            final Tcp t = b.tcp().c(SYN);
            t.clientNext--;
            t.pause(0).c(SYN);
            b.add("tcp-retrans-syn", "the same SYN twice", t);
        }
        {
            final Tcp t = b.tcp().c(SYN).s(SYN | ACK);
            t.serverNext--;
            t.s(SYN | ACK).c(ACK);
            b.add("tcp-retrans-synack", "SYN/ACK retransmitted before the final ACK", t);
        }
        {
            final Tcp t = b.tcp().handshake();
            for (int i = 0; i < 2; i++)
            {
                t.send(Side.CLIENT, t.fromClient(PSH | ACK).payload(300));
            }
            t.c(PSH | ACK, 300).s(ACK);
            b.add("tcp-retrans-data", "data retransmitted twice, then acknowledged", t);
        }
        {
            final Tcp t = b.tcp().handshake();
            for (int i = 0; i < 5; i++)
            {
                t.send(Side.CLIENT, t.fromClient(PSH | ACK).payload(300));
            }
            b.add("tcp-retrans-unacked", "the same unacknowledged data five times (beyond nf_conntrack_tcp_max_retrans)", t);
        }
        {
            final Tcp t = b.tcp().handshake();
            t.send(Side.CLIENT, t.fromClient(PSH | ACK).seq(t.clientNext + 100_000).payload(100));
            b.add("tcp-wscale-in-window", "window scale 7 both ways: data 100000 bytes ahead of the next sequence", t);
        }
        {
            final Tcp t = b.tcp().noScale().handshake();
            t.send(Side.CLIENT, t.fromClient(PSH | ACK).seq(t.clientNext + 100_000).payload(100));
            t.c(PSH | ACK, 10);
            b.add("tcp-noscale-data-ahead", "no window scaling: data 100000 bytes ahead, then normal data", t);
        }
        {
            final Tcp t = b.tcp().handshake().c(PSH | ACK, 100).s(ACK);
            t.send(Side.CLIENT, t.fromClient(PSH | ACK).seq(t.clientNext + 1_500_000_000L).payload(100));
            t.send(Side.SERVER, t.fromServer(ACK).ack(t.clientNext + 1_500_000_000L));
            t.c(PSH | ACK, 10);
            b.add("tcp-data-far-outside-window", "data 1.5 GB ahead and an ACK for it, then normal data", t);
        }
        {
            final Tcp t = b.tcp().noScale().handshake();
            t.send(Side.CLIENT, t.fromClient(PSH | ACK).seq(t.clientNext + 300_000).payload(100));
            t.c(PSH | ACK, 10);
            b.add("tcp-noscale-data-300k-ahead", "no window scaling: data 300000 bytes ahead (beyond any 16-bit window), then normal data", t);
        }
        {
            final Tcp t = b.tcp().handshake().c(PSH | ACK, 1000).s(ACK);
            t.send(Side.CLIENT, t.fromClient(PSH | ACK).seq(t.clientNext - 500_000).payload(100));
            b.add("tcp-old-data", "data from far behind the left window edge", t);
        }
        {
            final Tcp t = b.tcp();
            t.clientWscale = 14;
            t.serverWscale = 14;
            t.synWindow = 65535;
            t.clientWindow = 65535;
            t.serverWindow = 65535;
            t.handshake().s(ACK);
            t.send(Side.CLIENT, t.fromClient(PSH | ACK).seq(t.clientNext + 500_000_000L).payload(100));
            t.send(Side.SERVER, t.fromServer(ACK).ack(t.clientNext + 500_000_100L));
            b.add("tcp-wscale14-huge-window", "window scale 14 and 64 KiB windows (1 GiB once scaled): data 500 MB ahead and its ACK", t);
        }
        {
            final Tcp t = b.tcp();
            t.serverWscale = -1;
            t.handshake();
            t.send(Side.CLIENT, t.fromClient(PSH | ACK).seq(t.clientNext + 100_000).payload(100));
            b.add("tcp-wscale-one-side", "only the client offers window scaling, so neither side scales", t);
        }
        {
            final Tcp t = b.tcp().handshake().c(PSH | ACK, 1000);
            t.send(Side.SERVER, t.fromServer(ACK).ack(t.clientNext - 1000).sack(t.clientNext - 500, t.clientNext));
            t.c(PSH | ACK, 100).s(ACK);
            b.add("tcp-sack", "a SACK block acknowledging the tail of a segment", t);
        }
        {
            final Tcp t = new Tcp(b.port(), 80, 0xFFFF_FF00L, 0xFFFF_FFF0L).handshake();
            t.c(PSH | ACK, 1000).s(PSH | ACK, 1000).c(ACK);
            b.add("tcp-seq-wrap", "sequence numbers wrap past 2^32 on both sides", t);
        }
        {
            final Tcp t = b.tcp().handshake().c(PSH | ACK, 100);
            t.send(Side.SERVER, t.fromServer(ACK).ack(t.clientNext + 100_000));
            b.add("tcp-ack-unsent-data", "server acknowledges data the client never sent", t);
        }
    }

    private static void tcpReopen(final Builder b)
    {
        {
            final Tcp t = b.tcp().handshake().c(FIN | ACK).s(FIN | ACK).c(ACK);
            t.clientNext += 100_000;
            t.serverNext += 50_000;
            t.c(SYN).s(SYN | ACK).c(ACK);
            b.add("tcp-reopen-time-wait", "a SYN with a higher ISN on a TIME_WAIT connection, and a new handshake", t);
        }
        {
            final Tcp t = b.tcp().handshake().c(FIN | ACK).s(FIN | ACK).c(ACK);
            t.clientNext -= 100_000;
            t.c(SYN);
            b.add("tcp-syn-time-wait-lower-isn", "SYN with a lower ISN on a TIME_WAIT connection", t);
        }
        {
            final Tcp t = b.tcp().handshake().c(FIN | ACK).s(FIN | ACK).c(ACK);
            t.serverNext += 100_000;
            t.s(SYN);
            b.add("tcp-syn-time-wait-from-server", "the server sends a SYN on a TIME_WAIT connection", t);
        }
        {
            final Tcp t = b.tcp().handshake().c(RST);
            t.clientNext += 100_000;
            t.serverNext += 70_000;
            t.c(SYN).s(SYN | ACK).c(ACK);
            b.add("tcp-syn-after-own-rst", "the client resets, then sends a new SYN and a new handshake follows", t);
        }
        {
            final Tcp t = b.tcp().handshake().s(RST);
            t.clientNext += 100_000;
            t.serverNext += 70_000;
            t.c(SYN).s(SYN | ACK).c(ACK);
            b.add("tcp-syn-after-rst", "the server resets, then the client sends a new SYN and a new handshake follows", t);
        }
        {
            final Tcp t = b.tcp().handshake();
            t.clientNext += 100_000;
            t.c(SYN);
            b.add("tcp-syn-on-established", "a SYN on an established connection", t);
        }
    }

    private static void tcpBadInput(final Builder b)
    {
        b.add("tcp-synack-without-syn", "a SYN/ACK with no entry", b.tcp().s(SYN | ACK));
        b.add("tcp-syn-fin", "SYN+FIN: impossible flags", b.tcp().c(SYN | FIN));
        b.add("tcp-no-flags", "no flags at all", b.tcp().c(0));
        b.add("tcp-xmas", "FIN+PSH+URG without ACK", b.tcp().c(FIN | PSH | URG));
        b.add("tcp-syn-rst", "SYN+RST", b.tcp().c(SYN | RST));
        b.add("tcp-fin-without-ack", "FIN alone, no entry", b.tcp().c(FIN));
        b.add("tcp-rst-no-entry", "RST with no entry", b.tcp().c(RST));
        {
            final Tcp t = b.tcp();
            t.raw(Side.CLIENT, PacketBuilder.truncate(t.fromClient(SYN).build(), 20 + 10));
            b.add("tcp-truncated-header", "a TCP header cut to 10 bytes", t);
        }
        {
            final Tcp t = b.tcp();
            t.send(Side.CLIENT, t.fromClient(SYN).badChecksum());
            b.add("tcp-bad-checksum", "a SYN with a wrong TCP checksum", t);
        }
        {
            final Tcp t = b.tcp();
            t.send(Side.CLIENT, t.fromClient(SYN).mss(-1).sackPerm(false).wscale(-1).dataOffset(4));
            b.add("tcp-bad-data-offset", "a TCP data offset below 5 words", t);
        }
        {
            final Tcp t = b.tcp().handshake();
            t.send(Side.CLIENT, t.fromClient(SYN | FIN | ACK));
            t.c(PSH | ACK, 10);
            b.add("tcp-bad-flags-established", "SYN+FIN+ACK inside an established connection, then normal data", t);
        }
    }

    private static void udp(final Builder b)
    {
        final String c = CLIENT;
        final String s = SERVER;
        int p = b.port();
        b.add("udp-one-way", "one UDP packet", List.of(client(PacketBuilder.udp(c, s, p, 53, 30))));
        p = b.port();
        b.add("udp-one-way-many", "five UDP packets one way", List.of(client(PacketBuilder.udp(c, s, p, 53, 30)),
            client(PacketBuilder.udp(c, s, p, 53, 31)), client(PacketBuilder.udp(c, s, p, 53, 32)),
            client(PacketBuilder.udp(c, s, p, 53, 33)), client(PacketBuilder.udp(c, s, p, 53, 34))));
        p = b.port();
        b.add("udp-two-way", "request, reply and request within a second (not yet a stream)",
            List.of(client(PacketBuilder.udp(c, s, p, 53, 40)), server(PacketBuilder.udp(s, c, 53, p, 120)),
                client(PacketBuilder.udp(c, s, p, 53, 40))));
        p = b.port();
        b.add("udp-stream", "two-way traffic still active after two seconds (a stream)",
            List.of(client(PacketBuilder.udp(c, s, p, 5000, 100)), server(PacketBuilder.udp(s, c, 5000, p, 100)),
                new CorpusPacket(Side.CLIENT, PacketBuilder.udp(c, s, p, 5000, 100), 2100),
                server(PacketBuilder.udp(s, c, 5000, p, 100))));
        p = b.port();
        b.add("udp-server-first", "the first packet comes from the server side (so the server is the original direction)",
            List.of(server(PacketBuilder.udp(s, c, 53, p, 20)), client(PacketBuilder.udp(c, s, p, 53, 20))));
        p = b.port();
        final byte[] badSum = PacketBuilder.udp(c, s, p, 53, 30);
        badSum[26] ^= 0x11;
        b.add("udp-bad-checksum", "a UDP packet with a wrong checksum", List.of(client(badSum)));
        p = b.port();
        final byte[] noSum = PacketBuilder.udp(c, s, p, 53, 30);
        noSum[26] = 0;
        noSum[27] = 0;
        b.add("udp-zero-checksum", "checksum 0 (none, allowed over IPv4)", List.of(client(noSum)));
        p = b.port();
        b.add("udp-truncated-header", "a UDP header cut to 6 bytes",
            List.of(client(PacketBuilder.truncate(PacketBuilder.udp(c, s, p, 53, 30), 26))));
        p = b.port();
        final byte[] longer = PacketBuilder.udp(c, s, p, 53, 30);
        PacketBuilder.put16(longer, 24, 100);
        b.add("udp-length-beyond-packet", "UDP length field larger than the packet", List.of(client(longer)));
    }

    private static void icmp(final Builder b)
    {
        final String c = CLIENT;
        final String s = SERVER;
        int id = b.port();
        b.add("icmp-echo-request", "an echo request alone", List.of(client(PacketBuilder.icmpEcho(c, s, id, 1, 56))));
        id = b.port();
        b.add("icmp-echo", "echo request and reply, then a second request and reply with the same id",
            List.of(client(PacketBuilder.icmpEcho(c, s, id, 1, 56)), server(PacketBuilder.icmpEchoReply(s, c, id, 1, 56)),
                client(PacketBuilder.icmpEcho(c, s, id, 2, 56)), server(PacketBuilder.icmpEchoReply(s, c, id, 2, 56))));
        id = b.port();
        b.add("icmp-echo-reply-alone", "an echo reply without a request", List.of(server(PacketBuilder.icmpEchoReply(s, c, id, 1, 56))));
        id = b.port();
        b.add("icmp-timestamp", "timestamp request and reply",
            List.of(client(PacketBuilder.icmpQuery(c, s, 13, id, 1, 12)), server(PacketBuilder.icmpQuery(s, c, 14, id, 1, 12))));
        id = b.port();
        b.add("icmp-unknown-type", "an ICMP type that is neither a query nor an error (42)",
            List.of(client(PacketBuilder.icmpQuery(c, s, 42, id, 1, 8))));
        {
            final Tcp t = b.tcp().handshake().c(PSH | ACK, 1400);
            t.raw(Side.SERVER, PacketBuilder.icmpError(HOP, CLIENT, 3, 4, t.last(), 28 + 20));
            t.c(PSH | ACK, 500).s(ACK);
            b.add("icmp-error-tcp", "fragmentation needed for the client's data, from a hop on the server side, then more data", t);
        }
        {
            final Tcp t = b.tcp().c(SYN);
            t.raw(Side.SERVER, PacketBuilder.icmpError(SERVER, CLIENT, 3, 3, t.last(), 576));
            b.add("icmp-error-tcp-syn", "the server answers a SYN with port unreachable", t);
        }
        {
            final Tcp t = b.tcp().handshake().s(PSH | ACK, 100);
            t.raw(Side.CLIENT, PacketBuilder.icmpError(CLIENT, SERVER, 3, 1, t.last(), 576));
            b.add("icmp-error-tcp-reply-dir", "the client side sends an ICMP error about the server's packet", t);
        }
        int p = b.port();
        final byte[] query = PacketBuilder.udp(c, s, p, 53, 30);
        b.add("icmp-error-udp", "port unreachable for a UDP request",
            List.of(client(query), server(PacketBuilder.icmpError(s, c, 3, 3, query, 576))));
        p = b.port();
        final byte[] query2 = PacketBuilder.udp(c, s, p, 53, 30);
        b.add("icmp-error-ttl-udp", "time exceeded from a hop for a UDP flow, quoting header and 8 bytes",
            List.of(client(query2), server(PacketBuilder.icmpError(HOP, c, 11, 0, query2, 28))));
        p = b.port();
        final byte[] query3 = PacketBuilder.udp(c, s, p, 53, 30);
        b.add("icmp-error-truncated-inner", "an ICMP error quoting only the inner IP header and 4 bytes",
            List.of(client(query3), server(PacketBuilder.icmpError(s, c, 3, 3, query3, 24))));
        p = b.port();
        final byte[] query4 = PacketBuilder.udp(c, s, p, 53, 30);
        b.add("icmp-error-inner-ip-only", "an ICMP error quoting a truncated inner IP header (12 bytes)",
            List.of(client(query4), server(PacketBuilder.icmpError(s, c, 3, 3, query4, 12))));
        p = b.port();
        final byte[] stranger = PacketBuilder.udp(c, s, p, 53, 30);
        b.add("icmp-error-no-flow", "an ICMP error about a flow conntrack never saw",
            List.of(server(PacketBuilder.icmpError(s, c, 3, 3, stranger, 576))));
        id = b.port();
        final byte[] echo = PacketBuilder.icmpEcho(c, s, id, 1, 56);
        b.add("icmp-error-for-echo", "host unreachable from a hop quoting an echo request",
            List.of(client(echo), server(PacketBuilder.icmpError(HOP, c, 3, 1, echo, 576))));
        p = b.port();
        final byte[] query5 = PacketBuilder.udp(c, s, p, 53, 30);
        final byte[] badError = PacketBuilder.icmpError(s, c, 3, 3, query5, 576);
        badError[22] ^= 0x21;
        b.add("icmp-error-bad-checksum", "an ICMP error for a known flow with a wrong ICMP checksum",
            List.of(client(query5), server(badError)));
        p = b.port();
        final byte[] query6 = PacketBuilder.udp(c, s, p, 53, 30);
        final byte[] wrongWay = PacketBuilder.icmpError(c, s, 3, 3, query6, 576);
        b.add("icmp-error-wrong-direction", "an ICMP error quoting the client's own packet sent by the client itself",
            List.of(client(query6), client(wrongWay)));
    }

    private static void generic(final Builder b)
    {
        final String c = CLIENT;
        final String s = SERVER;
        b.add("unknown-proto-one-way", "IP protocol 253 one way",
            List.of(client(PacketBuilder.rawIp(c, s, 253, 40)), client(PacketBuilder.rawIp(c, s, 253, 60))));
        b.add("unknown-proto-two-way", "IP protocol 254 both ways",
            List.of(client(PacketBuilder.rawIp(c, s, 254, 40)), server(PacketBuilder.rawIp(s, c, 254, 80)),
                client(PacketBuilder.rawIp(c, s, 254, 40))));
    }

    /** IPv6 counterparts of the main cases, between {@link #CLIENT6} and {@link #SERVER6} (after the IPv4 ones: their ports stay). */
    private static void ipv6(final Builder b)
    {
        final String c = CLIENT6;
        final String s = SERVER6;
        b.add("tcp6-handshake-data-close", "IPv6: handshake, data both ways, client closes first",
            b.tcp().v6().handshake().c(PSH | ACK, 100).s(ACK).s(PSH | ACK, 1000).c(ACK).c(FIN | ACK).s(ACK).s(FIN | ACK).c(ACK));
        b.add("tcp6-syn-only", "IPv6: a SYN nobody answers", b.tcp().v6().c(SYN));
        b.add("tcp6-rst", "IPv6: handshake, data, the server resets", b.tcp().v6().handshake().c(PSH | ACK, 100).s(RST | ACK));
        int p = b.port();
        b.add("udp6-one-way", "IPv6: two UDP packets one way",
            List.of(client(PacketBuilder.udp(c, s, p, 53, 30)), client(PacketBuilder.udp(c, s, p, 53, 31))));
        p = b.port();
        b.add("udp6-two-way", "IPv6: UDP request, reply and request",
            List.of(client(PacketBuilder.udp(c, s, p, 53, 40)), server(PacketBuilder.udp(s, c, 53, p, 120)),
                client(PacketBuilder.udp(c, s, p, 53, 40))));
        int id = b.port();
        b.add("icmp6-echo", "IPv6: echo request and reply, twice with the same id",
            List.of(client(PacketBuilder.icmp6Echo(c, s, id, 1, 56)), server(PacketBuilder.icmp6EchoReply(s, c, id, 1, 56)),
                client(PacketBuilder.icmp6Echo(c, s, id, 2, 56)), server(PacketBuilder.icmp6EchoReply(s, c, id, 2, 56))));
        id = b.port();
        b.add("icmp6-echo-from-server", "IPv6: the server side pings the client",
            List.of(server(PacketBuilder.icmp6Echo(s, c, id, 1, 32)), client(PacketBuilder.icmp6EchoReply(c, s, id, 1, 32))));
        p = b.port();
        final byte[] query = PacketBuilder.udp(c, s, p, 53, 30);
        b.add("icmp6-error-udp", "IPv6: port unreachable (1/4) for a UDP request",
            List.of(client(query), server(PacketBuilder.icmp6Error(s, c, 1, 4, query, 1232))));
        {
            final Tcp t = b.tcp().v6().handshake().c(PSH | ACK, 1400);
            t.raw(Side.SERVER, PacketBuilder.icmp6Error(HOP6, c, 2, 0, t.last(), 1232));
            t.c(PSH | ACK, 500).s(ACK);
            b.add("icmp6-error-tcp", "IPv6: packet too big (MTU 1280) from a hop for the client's data, then more data", t);
        }
        b.add("icmp6-nd-solicitation", "IPv6: a unicast neighbour solicitation (hop limit 255) crossing the router",
            List.of(client(PacketBuilder.neighbourSolicitation(c, s, s, new byte[] {2, 0x77, 1, 0, 0, 2}))));
        b.add("unknown-nexthdr6", "IPv6: next header 253 one way, then 253 back",
            List.of(client(PacketBuilder.rawIp(c, s, 253, 40)), client(PacketBuilder.rawIp(c, s, 253, 60)),
                server(PacketBuilder.rawIp(s, c, 253, 20))));
        ipv6Edges(b);
    }

    /** IPv6 cases without an IPv4 twin, or with IPv6's own rules (zero UDP checksum, ND/MLD, node information). */
    private static void ipv6Edges(final Builder b)
    {
        final String c = CLIENT6;
        final String s = SERVER6;
        {
            final Tcp t = b.tcp().v6().c(SYN);
            t.raw(Side.SERVER, PacketBuilder.icmp6Error(s, c, 1, 4, t.last(), 1232));
            b.add("icmp6-error-tcp-syn", "IPv6: the server answers a SYN with port unreachable", t);
        }
        int p = b.port();
        final byte[] stranger = PacketBuilder.udp(c, s, p, 53, 30);
        b.add("icmp6-error-no-flow", "IPv6: port unreachable about a flow conntrack never saw",
            List.of(server(PacketBuilder.icmp6Error(s, c, 1, 4, stranger, 1232))));
        int id = b.port();
        final byte[] echo = PacketBuilder.icmp6Echo(c, s, id, 1, 56);
        b.add("icmp6-error-for-echo", "IPv6: time exceeded from a hop quoting an echo request",
            List.of(client(echo), server(PacketBuilder.icmp6Error(HOP6, c, 3, 0, echo, 1232))));
        id = b.port();
        b.add("icmp6-echo-reply-alone", "IPv6: an echo reply without a request",
            List.of(server(PacketBuilder.icmp6EchoReply(s, c, id, 1, 56))));
        id = b.port();
        b.add("icmp6-node-info", "IPv6: node information query (139) and reply (140)",
            List.of(client(PacketBuilder.icmp6Query(c, s, 139, id, 1, 16)), server(PacketBuilder.icmp6Query(s, c, 140, id, 1, 16))));
        id = b.port();
        b.add("icmp6-unknown-type", "IPv6: an informational type without a tracker (200)",
            List.of(client(PacketBuilder.icmp6Query(c, s, 200, id, 1, 8))));
        b.add("icmp6-nd-advertisement", "IPv6: a unicast neighbour advertisement (136) crossing the router",
            List.of(server(ndAdvertisement(s, c))));
        b.add("icmp6-mld-report", "IPv6: an MLDv2 report (143) crossing the router",
            List.of(client(PacketBuilder.icmp6Query(c, s, 143, 0, 1, 20))));
        b.add("icmp6-router-solicitation", "IPv6: a router solicitation (133) crossing the router",
            List.of(client(PacketBuilder.icmp6Query(c, s, 133, 0, 0, 0))));
        p = b.port();
        final byte[] query = PacketBuilder.udp(c, s, p, 53, 30);
        b.add("icmp6-error-truncated-inner", "IPv6: port unreachable quoting only the inner IPv6 header and 4 bytes",
            List.of(client(query), server(PacketBuilder.icmp6Error(s, c, 1, 4, query, 44))));
        p = b.port();
        final byte[] query2 = PacketBuilder.udp(c, s, p, 53, 30);
        b.add("icmp6-error-inner-ip-only", "IPv6: port unreachable quoting a truncated inner IPv6 header (20 bytes)",
            List.of(client(query2), server(PacketBuilder.icmp6Error(s, c, 1, 4, query2, 20))));
        p = b.port();
        final byte[] query3 = PacketBuilder.udp(c, s, p, 53, 30);
        final byte[] badError = PacketBuilder.icmp6Error(s, c, 1, 4, query3, 1232);
        badError[42] ^= 0x21;
        b.add("icmp6-error-bad-checksum", "IPv6: port unreachable for a known flow with a wrong ICMPv6 checksum",
            List.of(client(query3), server(badError)));
        p = b.port();
        final byte[] zero = PacketBuilder.udp(c, s, p, 53, 30);
        zero[46] = 0;
        zero[47] = 0;
        b.add("udp6-zero-checksum", "IPv6: UDP checksum 0 (not allowed over IPv6, yet Linux's conntrack tracks it)",
            List.of(client(zero)));
        p = b.port();
        final byte[] bad = PacketBuilder.udp(c, s, p, 53, 30);
        bad[46] ^= 0x11;
        b.add("udp6-bad-checksum", "IPv6: a UDP packet with a wrong checksum", List.of(client(bad)));
        {
            final Tcp t = b.tcp().v6();
            t.send(Side.CLIENT, t.fromClient(SYN).badChecksum());
            b.add("tcp6-syn-bad-checksum", "IPv6: a SYN with a wrong checksum", t);
        }
        p = b.port();
        b.add("udp6-destination-options", "IPv6: UDP behind a destination options header, both ways",
            List.of(client(PacketBuilder.withDestinationOptions(PacketBuilder.udp(c, s, p, 53, 30))),
                server(PacketBuilder.withDestinationOptions(PacketBuilder.udp(s, c, 53, p, 60)))));
    }

    /** A neighbour advertisement (136, solicited + override) for {@code src}, hop limit 255. */
    private static byte[] ndAdvertisement(final String src, final String dst)
    {
        final byte[] ns = PacketBuilder.neighbourSolicitation(src, dst, src, new byte[] {2, 0x77, 2, 0, 0, 2});
        final byte[] l4 = java.util.Arrays.copyOfRange(ns, 40, ns.length);
        l4[0] = (byte)136;
        l4[2] = 0;
        l4[3] = 0;
        l4[4] = 0x60;
        l4[24] = 2;
        PacketBuilder.put16(l4, 2, PacketBuilder.l4Checksum(src, dst, PacketBuilder.PROTO_ICMPV6, l4));
        return PacketBuilder.ipv6(src, dst, PacketBuilder.PROTO_ICMPV6, l4, 255);
    }

    /** All packets of all cases, for tests of the corpus itself. */
    static List<byte[]> allPackets()
    {
        final List<byte[]> out = new ArrayList<>();
        for (final Case c : CASES.values())
        {
            for (final CorpusPacket p : c.packets())
            {
                out.add(Arrays.copyOf(p.bytes(), p.bytes().length));
            }
        }
        return out;
    }
}
