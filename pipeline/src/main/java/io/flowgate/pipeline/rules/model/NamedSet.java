package io.flowgate.pipeline.rules.model;

import java.util.List;

/**
 * {@code set NAME { type T; flags interval; elements = { ... } }}: its elements as intervals of the field's
 * values ({@code type ipv4_addr} is {@link Field#IP_SADDR}'s domain, {@code inet_service} a port's, ...).
 * {@code type} is the field whose domain and presentation the elements use.
 */
public record NamedSet(String name, Field type, boolean interval, List<Interval> elements, Origin origin)
{
    public NamedSet
    {
        elements = List.copyOf(elements);
    }
}
