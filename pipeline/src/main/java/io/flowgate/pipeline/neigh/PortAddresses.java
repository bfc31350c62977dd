package io.flowgate.pipeline.neigh;

/**
 * One port's own addresses, which {@link ArpProcessor} and {@link NdProcessor} answer for: its MAC address and
 * up to {@code maxAddresses} IPv4 and IPv6 addresses. Answering only for the receiving port's addresses is
 * Linux's {@code arp_ignore=1}.
 * <p>
 * Thread-safety: the slow-path thread only. Configuration changes build a new instance or add to this one
 * between packets.
 */
public final class PortAddresses
{
    private final int port;
    private final long mac;
    private final int[] ipv4;
    private final long[] ipv6Hi;
    private final long[] ipv6Lo;
    private int ipv4Count;
    private int ipv6Count;

    public PortAddresses(final int port, final long mac, final int maxAddresses)
    {
        this.port = port;
        this.mac = mac;
        this.ipv4 = new int[maxAddresses];
        this.ipv6Hi = new long[maxAddresses];
        this.ipv6Lo = new long[maxAddresses];
    }

    public int port()
    {
        return port;
    }

    public long mac()
    {
        return mac;
    }

    public PortAddresses addIpv4(final int address)
    {
        if (ipv4Count == ipv4.length)
        {
            throw new IllegalStateException("port " + port + " has " + ipv4Count + " IPv4 addresses already");
        }
        ipv4[ipv4Count++] = address;
        return this;
    }

    public PortAddresses addIpv6(final long hi, final long lo)
    {
        if (ipv6Count == ipv6Hi.length)
        {
            throw new IllegalStateException("port " + port + " has " + ipv6Count + " IPv6 addresses already");
        }
        ipv6Hi[ipv6Count] = hi;
        ipv6Lo[ipv6Count] = lo;
        ipv6Count++;
        return this;
    }

    /** fe80::/64, the link-local prefix, as the high half of an address. */
    public static final long LINK_LOCAL_HI = 0xFE80_0000_0000_0000L;

    /**
     * Adds the port's link-local address, fe80:: with the modified EUI-64 interface identifier of its MAC
     * (RFC 4291 2.5.1 and appendix A, RFC 2464 5: the universal/local bit inverted, ff:fe in the middle), as
     * Linux's {@code addrconf_addr_gen} with {@code addr_gen_mode} eui64.
     */
    public PortAddresses addLinkLocal()
    {
        return addIpv6(LINK_LOCAL_HI, eui64(mac));
    }

    /** The modified EUI-64 interface identifier of {@code mac} (low 48 bits), the low half of an address. */
    public static long eui64(final long mac)
    {
        return (((mac >>> 24) & 0xFF_FFFFL) ^ 0x02_0000L) << 40 | 0xFFFEL << 24 | (mac & 0xFF_FFFFL);
    }

    /** Whether {@code hi} is the high half of a link-local unicast address, fe80::/10. */
    public static boolean isLinkLocal(final long hi)
    {
        return (hi >>> 54) == (0xFE80L >>> 6);
    }

    public boolean hasIpv4(final int address)
    {
        for (int i = 0; i < ipv4Count; i++)
        {
            if (ipv4[i] == address)
            {
                return true;
            }
        }
        return false;
    }

    public boolean hasIpv6(final long hi, final long lo)
    {
        for (int i = 0; i < ipv6Count; i++)
        {
            if (ipv6Hi[i] == hi && ipv6Lo[i] == lo)
            {
                return true;
            }
        }
        return false;
    }

    public int ipv4Count()
    {
        return ipv4Count;
    }

    public int ipv4(final int index)
    {
        return ipv4[index];
    }

    public int ipv6Count()
    {
        return ipv6Count;
    }

    public long ipv6Hi(final int index)
    {
        return ipv6Hi[index];
    }

    public long ipv6Lo(final int index)
    {
        return ipv6Lo[index];
    }
}
