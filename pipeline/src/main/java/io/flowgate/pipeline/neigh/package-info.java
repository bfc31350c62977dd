/**
 * Neighbours: the cache that gives a routed packet its destination MAC address, and the slow-path machinery
 * that fills it, ARP (RFC 826) for IPv4 and neighbour discovery (RFC 4861) for IPv6, both driving Linux's NUD
 * state machine ({@code net/core/neighbour.c}).
 * <p>
 * Usage:
 * <pre>
 *   // At start: one table shared by every worker; its writer lives on the slow-path thread.
 *   final NeighbourTable table = new NeighbourTable(4096, seed);
 *   final NeighbourResolver resolver =
 *       new NeighbourResolver(table, NeighbourParams.linuxDefaults(), new SplittableRandom(seed), handler);
 *   final ArpProcessor arp = new ArpProcessor(resolver);
 *   final NdProcessor nd = new NdProcessor(resolver, true);
 *
 *   // Worker, per burst, after routing: a NO_MAC packet goes to the slow path with its next hop.
 *   table.lookupBurst(burst, nextHopIpv4, dstMac);
 *
 *   // Slow path, per loop:
 *   resolver.resolve(port, nextHop, mbuf, nowNs);                 // each packet a worker could not address
 *   final int reply = arp.process(addresses, frame, length, nowNs); // each ARP frame; reply &gt; 0: send it back
 *   resolver.doWork(nowNs);                                       // timers, probes, workers' "used" marks
 *   resolver.expire(nowNs, budget);                               // on a ratio: collect idle entries
 * </pre>
 * The {@link io.flowgate.pipeline.neigh.NeighbourHandler} the slow path supplies writes and sends the probes
 * ({@code ArpProcessor.writeRequest}, {@code NdProcessor.writeSolicitation}) and transmits or frees the
 * packets that waited.
 * <p>
 * Thread-safety: one writer, the slow-path thread, owns every class here except the lookups of
 * {@link io.flowgate.pipeline.neigh.NeighbourTable}, which any number of workers call lock-free (per-slot
 * seqlocks; a worker's only write is the "used" mark of an entry it read).
 * <p>
 * Shutdown: stop the workers, then {@code resolver.removeAll()} (queued packets go to the handler to be
 * freed), then {@code table.close()}.
 */
package io.flowgate.pipeline.neigh;
