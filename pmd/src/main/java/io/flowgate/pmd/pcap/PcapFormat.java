package io.flowgate.pmd.pcap;

/**
 * The classic libpcap file format (pcap-savefile(5); draft-ietf-opsawg-pcap): a file header, then one
 * record header and the captured bytes per packet. Every field is written in the byte order of the host
 * that wrote the file; the magic number, read in either order, tells which.
 * <pre>
 *  File header (24 bytes)
 *       0                   1                   2                   3
 *       0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    0 |          Magic Number (0xA1B2C3D4 us, 0xA1B23C4D ns)          |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    4 |       Major Version (2)       |       Minor Version (4)       |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    8 |                     Reserved1 (thiszone)                      |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   12 |                     Reserved2 (sigfigs)                       |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   16 |                            SnapLen                            |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   20 |FCS len|R|P|     Reserved3     |           LinkType            |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 *  Record header (16 bytes), followed by Captured Length bytes of packet
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    0 |                   Timestamp (seconds, unsigned)               |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    4 |              Timestamp (microseconds or nanoseconds)          |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *    8 |                  Captured Packet Length                       |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   12 |                  Original Packet Length                       |
 *      +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * This is the format {@code net_pcap} reads and writes; pcapng (magic 0x0A0D0D0A) is a different format.
 */
public final class PcapFormat
{
    public static final int MAGIC_MICROSECONDS = 0xA1B2C3D4;
    public static final int MAGIC_NANOSECONDS = 0xA1B23C4D;
    public static final int PCAPNG_MAGIC = 0x0A0D0D0A;
    public static final int VERSION_MAJOR = 2;
    public static final int VERSION_MINOR = 4;

    public static final int MAGIC_OFFSET = 0;
    public static final int VERSION_MAJOR_OFFSET = 4;
    public static final int VERSION_MINOR_OFFSET = 6;
    public static final int THISZONE_OFFSET = 8;
    public static final int SIGFIGS_OFFSET = 12;
    public static final int SNAP_LENGTH_OFFSET = 16;
    public static final int LINK_TYPE_OFFSET = 20;
    public static final int FILE_HEADER_LENGTH = 24;

    public static final int TIMESTAMP_SECONDS_OFFSET = 0;
    public static final int TIMESTAMP_FRACTION_OFFSET = 4;
    public static final int CAPTURED_LENGTH_OFFSET = 8;
    public static final int ORIGINAL_LENGTH_OFFSET = 12;
    public static final int RECORD_HEADER_LENGTH = 16;

    /** The LinkType part of the link type field; P set says FCS len holds the FCS length in 16-bit units. */
    public static final int LINK_TYPE_MASK = 0xFFFF;
    /** LINKTYPE_ETHERNET: IEEE 802.3 Ethernet frames without FCS. */
    public static final int LINKTYPE_ETHERNET = 1;

    /** Snap length written by default: the classic 65535, enough for any non-jumbo frame. */
    public static final int DEFAULT_SNAP_LENGTH = 65_535;

    private PcapFormat()
    {
    }
}
