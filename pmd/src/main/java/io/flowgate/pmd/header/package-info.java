/**
 * Header flyweights: views that read and write packet headers in place at a native address, through
 * {@link io.flowgate.nativebindings.Memory}.
 * <p>
 * Usage: a worker keeps one instance of each flyweight and re-wraps it per packet; getters and fluent
 * setters work on the wrapped address, in network byte order on the wire and plain {@code int}/{@code long}
 * values in Java (unsigned fields come back non-negative; 32-bit fields such as addresses and sequence
 * numbers come back as {@code int} bit patterns). Fields that burst stages read without a flyweight also
 * have static {@code getX(address)}/{@code putX(address, value)} accessors.
 * <pre>
 *   ethernet.wrap(frame);
 *   if (ethernet.etherType() == EthernetFlyweight.ETHER_TYPE_IPV4)
 *   {
 *       ipv4.wrap(frame + EthernetFlyweight.HEADER_LENGTH);
 *       final int protocol = ipv4.protocol();
 *       udp.wrap(ipv4.payloadAddress());
 *   }
 * </pre>
 * A flyweight never checks that its header lies inside the packet: the parser checks lengths first (the
 * {@code isWellFormed} methods of the variable-length headers do that against the bytes available).
 * <p>
 * Thread-safety: a flyweight is a mutable cursor owned by one thread. The static accessors are stateless.
 * Nothing here allocates.
 */
package io.flowgate.pmd.header;
