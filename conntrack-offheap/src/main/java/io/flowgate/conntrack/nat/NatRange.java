package io.flowgate.conntrack.nat;

/**
 * What a NAT rule maps to: Linux's {@code struct nf_nat_range2}, IPv4. An address range (or none: keep the
 * address), a port range (or none: keep the port when it is free), and flags. Immutable; built on the
 * control plane, read by the workers.
 */
public final class NatRange
{
    /** {@code NF_NAT_RANGE_MAP_IPS}: the address is mapped into [minAddress, maxAddress]. */
    public static final int MAP_IPS = 1;
    /** {@code NF_NAT_RANGE_PROTO_SPECIFIED}: the port (ICMP id) is mapped into [minPort, maxPort]. */
    public static final int PROTO_SPECIFIED = 2;
    /** {@code NF_NAT_RANGE_PROTO_RANDOM}: the port search starts at a random offset (nft {@code random}). */
    public static final int RANDOM = 4;
    /** {@code NF_NAT_RANGE_PERSISTENT}: the address choice ignores the destination (nft {@code persistent}). */
    public static final int PERSISTENT = 8;
    /** {@code NF_NAT_RANGE_PROTO_RANDOM_FULLY}: never keep a port, never reuse a source mapping (nft {@code fully-random}). */
    public static final int RANDOM_FULLY = 16;
    /** {@code NF_NAT_RANGE_NETMAP}: 1:1 prefix mapping; host bits kept, ports kept (a static mapping). */
    public static final int NETMAP = 64;
    /** RANDOM or RANDOM_FULLY ({@code NF_NAT_RANGE_PROTO_RANDOM_ALL}). */
    public static final int RANDOM_ALL = RANDOM | RANDOM_FULLY;

    public final int flags;
    /** IPv4 addresses as unsigned numbers in an int (192.0.2.1 is 0xC0000201); with NETMAP, min is the prefix and max its last address. */
    public final int minAddress;
    public final int maxAddress;
    public final int minPort;
    public final int maxPort;

    public NatRange(final int flags, final int minAddress, final int maxAddress, final int minPort, final int maxPort)
    {
        if ((flags & MAP_IPS) != 0 && Integer.compareUnsigned(minAddress, maxAddress) > 0)
        {
            throw new IllegalArgumentException("address range is empty");
        }
        if ((flags & PROTO_SPECIFIED) != 0 && (minPort < 0 || maxPort > 65535 || minPort > maxPort))
        {
            throw new IllegalArgumentException("port range is empty or out of 0..65535");
        }
        this.flags = flags;
        this.minAddress = minAddress;
        this.maxAddress = maxAddress;
        this.minPort = minPort;
        this.maxPort = maxPort;
    }

    /** Maps to the single address {@code address}, ports as Linux chooses them. */
    public static NatRange address(final int address)
    {
        return new NatRange(MAP_IPS, address, address, 0, 0);
    }

    public boolean mapsAddress()
    {
        return (flags & MAP_IPS) != 0;
    }

    public boolean mapsPort()
    {
        return (flags & PROTO_SPECIFIED) != 0;
    }

    public boolean has(final int flag)
    {
        return (flags & flag) == flag;
    }

    /** Whether {@code address} is one this range maps to. */
    public boolean containsAddress(final int address)
    {
        return !mapsAddress() || (Integer.compareUnsigned(address, minAddress) >= 0 && Integer.compareUnsigned(address, maxAddress) <= 0);
    }

    @Override
    public String toString()
    {
        final StringBuilder s = new StringBuilder();
        if (mapsAddress())
        {
            s.append(ipv4(minAddress));
            if (maxAddress != minAddress)
            {
                s.append('-').append(ipv4(maxAddress));
            }
        }
        if (mapsPort())
        {
            s.append(':').append(minPort);
            if (maxPort != minPort)
            {
                s.append('-').append(maxPort);
            }
        }
        if (has(RANDOM_FULLY))
        {
            s.append(" fully-random");
        }
        else if (has(RANDOM))
        {
            s.append(" random");
        }
        if (has(PERSISTENT))
        {
            s.append(" persistent");
        }
        if (has(NETMAP))
        {
            s.append(" netmap");
        }
        return s.toString();
    }

    public static String ipv4(final int address)
    {
        return (address >>> 24) + "." + ((address >>> 16) & 0xFF) + "." + ((address >>> 8) & 0xFF) + "." + (address & 0xFF);
    }
}
