package io.flowgate.pmd.testing;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.HexFormat;

import io.flowgate.nativebindings.Memory;

/**
 * Real frames, captured with tshark 4.0.17 on a veth pair between two network namespaces (Linux 6.18,
 * 2026-11-23): host A 192.0.2.1 / 2001:db8::1 at 76:b5:60:de:61:46, host B 192.0.2.2 / 2001:db8::2 at
 * 32:fa:09:2a:c6:28. Transmit checksum offload was switched off on both ends ({@code ethtool -K tx off}),
 * so every checksum in them was computed by the kernel and tshark reports each one "Good".
 * Frames are as captured: without FCS and without padding to 60 bytes.
 */
public final class CapturedPackets
{
    /** A to broadcast: ARP request "Who has 192.0.2.2? Tell 192.0.2.1". */
    public static final String ARP_REQUEST =
        "ff ff ff ff ff ff 76 b5 60 de 61 46 08 06 00 01 " +
        "08 00 06 04 00 01 76 b5 60 de 61 46 c0 00 02 01 " +
        "00 00 00 00 00 00 c0 00 02 02";

    /** B to A: the kernel's ARP reply "192.0.2.2 is at 32:fa:09:2a:c6:28". */
    public static final String ARP_REPLY =
        "76 b5 60 de 61 46 32 fa 09 2a c6 28 08 06 00 01 " +
        "08 00 06 04 00 02 32 fa 09 2a c6 28 c0 00 02 02 " +
        "76 b5 60 de 61 46 c0 00 02 01";

    /**
     * A to B: ICMP echo request from a Linux ping socket, id 0xfc65, seq 1, IP checksum 0xe4e3, ICMP
     * checksum 0x19c2, 16 bytes of data "flowgate-echo-01".
     */
    public static final String ICMP_ECHO_REQUEST =
        "32 fa 09 2a c6 28 76 b5 60 de 61 46 08 00 45 00 " +
        "00 2c d1 e9 40 00 40 01 e4 e3 c0 00 02 01 c0 00 " +
        "02 02 08 00 19 c2 fc 65 00 01 66 6c 6f 77 67 61 " +
        "74 65 2d 65 63 68 6f 2d 30 31";

    /** B to A: the kernel's echo reply, IP id 0xe272 without DF, IP checksum 0x145b, ICMP checksum 0x21c2. */
    public static final String ICMP_ECHO_REPLY =
        "76 b5 60 de 61 46 32 fa 09 2a c6 28 08 00 45 00 " +
        "00 2c e2 72 00 00 40 01 14 5b c0 00 02 02 c0 00 " +
        "02 01 00 00 21 c2 fc 65 00 01 66 6c 6f 77 67 61 " +
        "74 65 2d 65 63 68 6f 2d 30 31";

    /**
     * A to B: TCP SYN 45990 to 8080, seq 441899166, window 64240, checksum 0x1203, options MSS 1460,
     * SACK permitted, timestamps (TSval 4061396677, TSecr 0), NOP, window scale 10. IP id 0x0de4, DF,
     * checksum 0xa8d4.
     */
    public static final String TCP_SYN =
        "32 fa 09 2a c6 28 76 b5 60 de 61 46 08 00 45 00 " +
        "00 3c 0d e4 40 00 40 06 a8 d4 c0 00 02 01 c0 00 " +
        "02 02 b3 a6 1f 90 1a 56 d8 9e 00 00 00 00 a0 02 " +
        "fa f0 12 03 00 00 02 04 05 b4 04 02 08 0a f2 13 " +
        "fe c5 00 00 00 00 01 03 03 0a";

    /**
     * The third packet of that handshake, A to B (TCP ACK, seq 441899167, ack 1220857820, window 63,
     * checksum 0x476c, NOP NOP timestamps) with an 802.1Q tag inserted after the source MAC as a trunk
     * port would: PCP 5, DEI 0, VID 100. The capturing kernel lacked the 8021q module, so the tag is the
     * only part not captured; no checksum covers it and tshark still reports IP and TCP checksums "Good".
     */
    public static final String TCP_ACK_VLAN_100 =
        "32 fa 09 2a c6 28 76 b5 60 de 61 46 81 00 a0 64 " +
        "08 00 45 00 00 34 0d e5 40 00 40 06 a8 db c0 00 " +
        "02 01 c0 00 02 02 b3 a6 1f 90 1a 56 d8 9f 48 c4 " +
        "cf dc 80 10 00 3f 47 6c 00 00 01 01 08 0a f2 13 " +
        "fe c5 80 17 5b 4f";

    /**
     * A to B: UDP over IPv6, 2001:db8::1 port 40000 to 2001:db8::2 port 40002, flow label 0x0edd7, hop
     * limit 64, UDP length 25 (odd), checksum 0x0db5, data "flowgate ipv6 udp".
     */
    public static final String IPV6_UDP =
        "32 fa 09 2a c6 28 76 b5 60 de 61 46 86 dd 60 00 " +
        "ed d7 00 19 11 40 20 01 0d b8 00 00 00 00 00 00 " +
        "00 00 00 00 00 01 20 01 0d b8 00 00 00 00 00 00 " +
        "00 00 00 00 00 02 9c 40 9c 42 00 19 0d b5 66 6c " +
        "6f 77 67 61 74 65 20 69 70 76 36 20 75 64 70";

    /** A to B: UDP over IPv4, port 44871 to 9999, one byte "x" (UDP length 9, odd), checksum 0x2d81. */
    public static final String IPV4_UDP_ODD =
        "32 fa 09 2a c6 28 76 b5 60 de 61 46 08 00 45 00 " +
        "00 1d db 1c 40 00 40 11 db af c0 00 02 01 c0 00 " +
        "02 02 af 47 27 0f 00 09 2d 81 78";

    /**
     * B to A: the kernel's ICMP port unreachable for {@link #IPV4_UDP_ODD}, which it quotes whole. IP TOS
     * 0xc0 (DSCP 48, CS6), checksum 0x138d; ICMP checksum 0x811b.
     */
    public static final String ICMP_PORT_UNREACHABLE =
        "76 b5 60 de 61 46 32 fa 09 2a c6 28 08 00 45 c0 " +
        "00 39 e2 73 00 00 40 01 13 8d c0 00 02 02 c0 00 " +
        "02 01 03 03 81 1b 00 00 00 00 45 00 00 1d db 1c " +
        "40 00 40 11 db af c0 00 02 01 c0 00 02 02 af 47 " +
        "27 0f 00 09 2d 81 78";

    /**
     * A to the solicited-node multicast group of 2001:db8::2: ICMPv6 neighbour solicitation, hop limit 255,
     * checksum 0xe54d, with a source link-layer address option.
     */
    public static final String ICMPV6_NEIGHBOR_SOLICITATION =
        "33 33 ff 00 00 02 76 b5 60 de 61 46 86 dd 60 00 " +
        "00 00 00 20 3a ff 20 01 0d b8 00 00 00 00 00 00 " +
        "00 00 00 00 00 01 ff 02 00 00 00 00 00 00 00 00 " +
        "00 01 ff 00 00 02 87 00 e5 4d 00 00 00 00 20 01 " +
        "0d b8 00 00 00 00 00 00 00 00 00 00 00 02 01 01 " +
        "76 b5 60 de 61 46";

    public static final long MAC_A = 0x76b5_60de_6146L;
    public static final long MAC_B = 0x32fa_092a_c628L;
    /** 192.0.2.1 */
    public static final int IPV4_A = 0xC000_0201;
    /** 192.0.2.2 */
    public static final int IPV4_B = 0xC000_0202;
    /** 2001:db8:: as the high half of an IPv6 address. */
    public static final long IPV6_DOCUMENTATION_HI = 0x2001_0db8_0000_0000L;

    private CapturedPackets()
    {
    }

    /** Bytes of a hex string as written above, spaces allowed. */
    public static byte[] bytes(final String hex)
    {
        return HexFormat.of().parseHex(hex.replace(" ", ""));
    }

    /** {@code length} bytes of {@code bytes} from {@code from}. */
    public static byte[] slice(final byte[] bytes, final int from, final int length)
    {
        return Arrays.copyOfRange(bytes, from, from + length);
    }

    /** Copies the frame into native memory from {@code arena} and returns its address. */
    public static long load(final Arena arena, final String hex)
    {
        return load(arena, bytes(hex));
    }

    /** Copies the bytes into native memory from {@code arena} and returns their address. */
    public static long load(final Arena arena, final byte[] bytes)
    {
        final MemorySegment segment = arena.allocate(Math.max(1, bytes.length), 64);
        MemorySegment.copy(bytes, 0, segment, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return segment.address();
    }

    /** The {@code length} bytes of native memory at {@code address}. */
    public static byte[] read(final long address, final int length)
    {
        final byte[] bytes = new byte[length];
        MemorySegment.copy(Memory.ALL, ValueLayout.JAVA_BYTE, address, bytes, 0, length);
        return bytes;
    }
}
