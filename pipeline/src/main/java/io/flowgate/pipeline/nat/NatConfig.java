package io.flowgate.pipeline.nat;

import java.util.List;

/**
 * The router's NAT: rules in evaluation order, static 1:1 mappings, and the filtering behaviour towards the
 * outside (RFC 4787 section 5). Mapping is always endpoint-independent (Linux's bysource: a source address and port
 * keep their mapping for every destination while any of its connections lives).
 *
 * @param rules     DNAT/REDIRECT rules are evaluated at PREROUTING, SNAT/MASQUERADE at POSTROUTING, each in list order
 * @param mappings  1:1 static mappings; each acts as an SNAT rule (inside to outside, leaving by {@code port}) and a
 *                  DNAT rule (outside to inside, arriving on {@code port}), before the other rules, ports kept
 * @param filtering how packets from the outside to a mapped address and port are let in
 * @param portNames the router's port names in the order of the ports given to {@code Router.start} (rules name
 *                  ports; the router resolves them by position): set with {@link #withPortNames}
 * @param ftpPorts  server ports whose TCP connections get the FTP helper (Linux's {@code ct helper "ftp"}); empty: none
 * @param tftpPorts server ports whose UDP flows get the TFTP helper; empty: none. Helpers are opt-in, as in Linux
 *                  since 4.7 ({@code nf_conntrack_helper=0})
 */
public record NatConfig(List<NatRule> rules, List<StaticMapping> mappings, Filtering filtering, List<String> portNames,
                        List<Integer> ftpPorts, List<Integer> tftpPorts)
{
    public NatConfig(final List<NatRule> rules, final List<StaticMapping> mappings, final Filtering filtering)
    {
        this(rules, mappings, filtering, List.of(), List.of(), List.of());
    }

    public NatConfig(final List<NatRule> rules, final List<StaticMapping> mappings, final Filtering filtering, final List<String> portNames)
    {
        this(rules, mappings, filtering, portNames, List.of(), List.of());
    }

    /** This configuration for a router whose ports, in order, are named {@code names}. */
    public NatConfig withPortNames(final List<String> names)
    {
        return new NatConfig(rules, mappings, filtering, names, ftpPorts, tftpPorts);
    }

    /** This configuration with the FTP and TFTP helpers on these server ports. */
    public NatConfig withHelpers(final List<Integer> ftp, final List<Integer> tftp)
    {
        return new NatConfig(rules, mappings, filtering, portNames, ftp, tftp);
    }

    public boolean hasHelpers()
    {
        return !ftpPorts.isEmpty() || !tftpPorts.isEmpty();
    }

    /** Position of port {@code name} among {@link #portNames}; an exception when the router has no such port. */
    public int portIndex(final String name)
    {
        final int index = portNames.indexOf(name);
        if (index < 0)
        {
            throw new IllegalArgumentException("NAT names port '" + name + "', which the router does not have " + portNames);
        }
        return index;
    }

    public enum Filtering
    {
        /** Only replies of an existing connection pass (Linux's behaviour: the conntrack tuple is the whole 5-tuple). */
        ADDRESS_AND_PORT_DEPENDENT,
        /** Any outside host may reach a live mapping: a new connection to it is translated to the mapped inside host (full cone). */
        ENDPOINT_INDEPENDENT
    }

    /**
     * A static 1:1 mapping of {@code inside}/{@code length} to {@code outside}/{@code length} (Linux's NETMAP):
     * host bits kept, ports kept.
     */
    public record StaticMapping(int inside, int outside, int length, String port, String origin)
    {
        public StaticMapping
        {
            if (length < 1 || length > 32)
            {
                throw new IllegalArgumentException("mapping prefix length out of 1..32");
            }
            final int hostMask = length == 32 ? 0 : -1 >>> length;
            if ((inside & hostMask) != 0 || (outside & hostMask) != 0)
            {
                throw new IllegalArgumentException("mapping prefixes must have their host bits zero");
            }
        }
    }

    public NatConfig
    {
        rules = List.copyOf(rules);
        mappings = List.copyOf(mappings);
        portNames = List.copyOf(portNames);
        ftpPorts = List.copyOf(ftpPorts);
        tftpPorts = List.copyOf(tftpPorts);
    }

    public static NatConfig of(final NatRule... rules)
    {
        return new NatConfig(List.of(rules), List.of(), Filtering.ADDRESS_AND_PORT_DEPENDENT);
    }
}
