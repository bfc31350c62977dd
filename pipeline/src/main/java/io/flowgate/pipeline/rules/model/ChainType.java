package io.flowgate.pipeline.rules.model;

/** A base chain's {@code type}: filter, nat (evaluated only for a connection's first packet) or route. */
public enum ChainType
{
    FILTER("filter"), NAT("nat"), ROUTE("route");

    public final String keyword;

    ChainType(final String keyword)
    {
        this.keyword = keyword;
    }
}
