package io.flowgate.pipeline.rules.model;

/** The nft table families flowgate runs: {@code ip} sees IPv4, {@code ip6} IPv6, {@code inet} both. */
public enum Family
{
    IP("ip"), IP6("ip6"), INET("inet");

    public final String keyword;

    Family(final String keyword)
    {
        this.keyword = keyword;
    }

    public boolean seesIpv4()
    {
        return this != IP6;
    }

    public boolean seesIpv6()
    {
        return this != IP;
    }
}
