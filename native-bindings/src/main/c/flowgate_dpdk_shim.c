/*
 * flowgate DPDK shim: one exported wrapper per DPDK fast-path helper that is `static inline` or
 * thread-local and therefore has no symbol Java could bind through FFM. No logic lives here: each
 * function forwards its arguments unchanged. See docs/ffm-bindings.md for why a shim and not the
 * rte_eth_fp_ops function pointers.
 *
 * Java binds these in io.flowgate.nativebindings.gen.flowgate_shim_h; keep the two in step.
 */
#include <stdint.h>

#include <rte_version.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_cycles.h>
#include <rte_mempool.h>
#include <rte_mbuf.h>
#include <rte_ring.h>
#include <rte_ethdev.h>

/* The DPDK this shim was compiled against, as RTE_VERSION_NUM(year, month, minor, release). */
uint32_t fg_build_version(void)
{
    return RTE_VERSION;
}

uint16_t fg_eth_rx_burst(uint16_t port_id, uint16_t queue_id, struct rte_mbuf **rx_pkts, uint16_t nb_pkts)
{
    return rte_eth_rx_burst(port_id, queue_id, rx_pkts, nb_pkts);
}

uint16_t fg_eth_tx_burst(uint16_t port_id, uint16_t queue_id, struct rte_mbuf **tx_pkts, uint16_t nb_pkts)
{
    return rte_eth_tx_burst(port_id, queue_id, tx_pkts, nb_pkts);
}

int fg_eth_rx_queue_count(uint16_t port_id, uint16_t queue_id)
{
    return rte_eth_rx_queue_count(port_id, queue_id);
}

int fg_pktmbuf_alloc_bulk(struct rte_mempool *pool, struct rte_mbuf **mbufs, unsigned int count)
{
    return rte_pktmbuf_alloc_bulk(pool, mbufs, count);
}

struct rte_mbuf *fg_pktmbuf_alloc(struct rte_mempool *pool)
{
    return rte_pktmbuf_alloc(pool);
}

void fg_pktmbuf_free(struct rte_mbuf *m)
{
    rte_pktmbuf_free(m);
}

void fg_pktmbuf_reset(struct rte_mbuf *m)
{
    rte_pktmbuf_reset(m);
}

int fg_mempool_get_bulk(struct rte_mempool *mp, void **obj_table, unsigned int n)
{
    return rte_mempool_get_bulk(mp, obj_table, n);
}

void fg_mempool_put_bulk(struct rte_mempool *mp, void * const *obj_table, unsigned int n)
{
    rte_mempool_put_bulk(mp, obj_table, n);
}

unsigned int fg_ring_enqueue_burst(struct rte_ring *r, void * const *obj_table, unsigned int n,
                                   unsigned int *free_space)
{
    return rte_ring_enqueue_burst(r, obj_table, n, free_space);
}

unsigned int fg_ring_dequeue_burst(struct rte_ring *r, void **obj_table, unsigned int n, unsigned int *available)
{
    return rte_ring_dequeue_burst(r, obj_table, n, available);
}

unsigned int fg_lcore_id(void)
{
    return rte_lcore_id();
}

int fg_rte_errno(void)
{
    return rte_errno;
}

uint64_t fg_rdtsc(void)
{
    return rte_rdtsc();
}
