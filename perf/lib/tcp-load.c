/*
 * tcp-load: the one TCP client (and the Linux reference server) of perf/bench tcp-bulk.
 * Built by the bench at run time: cc -O2 -o tcp-load tcp-load.c
 *
 *   tcp-load bulk HOST PORT WARMUP WINDOW
 *       One connection; writes 64 KiB chunks for WARMUP + WINDOW seconds, then shutdown(SHUT_WR) and waits
 *       until the peer has acknowledged every byte and the FIN (SIOCOUTQ == 0: write_seq - snd_una). Rate =
 *       bytes acknowledged after the warm-up / time from the warm-up's end to the last acknowledgement. Bytes
 *       acknowledged at the warm-up's end = written - SIOCOUTQ at that moment, so bytes still queued in the
 *       send buffer are never counted as transferred.
 *       Prints: bulk bytes=N seconds=S gbit_per_s=R
 *   tcp-load accept HOST PORT SECONDS
 *       Opens a connection (blocking connect: handshake done), closes it, opens the next, for SECONDS.
 *       Prints: accept conns=N failed=N seconds=S per_s=R
 *   tcp-load discard PORT
 *       The Linux reference server: accepts every connection (epoll, one thread), reads and drops all data,
 *       closes on end of stream (what flowgate's discard service does). Runs until killed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int open_connected(const char *host, int port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) { fprintf(stderr, "bad address %s\n", host); exit(2); }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) { perror("socket"); exit(1); }
    struct timeval tv = {.tv_sec = 2};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv); /* bounds connect() */
    if (connect(fd, (struct sockaddr *) &sa, sizeof sa) != 0) { close(fd); return -1; }
    return fd;
}

static int bulk(const char *host, int port, double warmup, double window)
{
    static char chunk[65536];
    memset(chunk, 'x', sizeof chunk);
    int fd = open_connected(host, port);
    if (fd < 0) { perror("connect"); return 1; }
    struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv); /* a stalled peer cannot hold write() past the end */
    double start = now_s(), t0 = 0, end_write = start + warmup + window;
    uint64_t written = 0, acked0 = 0;
    int warm = 0;
    for (;;) {
        double t = now_s();
        if (!warm && t >= start + warmup) {
            int outq = 0;
            ioctl(fd, SIOCOUTQ, &outq);
            acked0 = written - (uint64_t) outq;
            t0 = t;
            warm = 1;
        }
        if (t >= end_write) break;
        ssize_t n = write(fd, chunk, sizeof chunk);
        if (n > 0) written += (uint64_t) n;
        else if (n < 0 && errno != EAGAIN && errno != EINTR) { perror("write"); return 1; }
    }
    shutdown(fd, SHUT_WR);
    double deadline = now_s() + 10, t_end;
    for (;;) {
        int outq = 0;
        ioctl(fd, SIOCOUTQ, &outq);
        t_end = now_s();
        if (outq == 0) break;
        if (t_end > deadline) { fprintf(stderr, "peer did not acknowledge %d bytes within 10 s\n", outq); return 1; }
        usleep(200);
    }
    close(fd);
    double secs = t_end - t0;
    uint64_t bytes = written - acked0;
    printf("bulk bytes=%llu seconds=%.4f gbit_per_s=%.4f\n", (unsigned long long) bytes, secs, bytes * 8 / secs / 1e9);
    return 0;
}

static int accept_rate(const char *host, int port, double seconds)
{
    uint64_t ok = 0, failed = 0;
    double start = now_s(), t;
    while ((t = now_s()) < start + seconds) {
        int fd = open_connected(host, port);
        if (fd < 0) { failed++; if (failed > 1000) break; continue; }
        close(fd);
        ok++;
    }
    t = now_s() - start;
    printf("accept conns=%llu failed=%llu seconds=%.4f per_s=%.1f\n", (unsigned long long) ok,
           (unsigned long long) failed, t, ok / t);
    return failed > ok / 100 ? 1 : 0; /* more than 1% failed connects: not a rate of accepts */
}

static int discard(int port)
{
    static char buf[262144];
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    if (bind(ls, (struct sockaddr *) &sa, sizeof sa) || listen(ls, 4096)) { perror("bind/listen"); return 1; }
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls}, evs[64];
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    printf("listening %d\n", port);
    fflush(stdout);
    for (;;) {
        int n = epoll_wait(ep, evs, 64, -1);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == ls) {
                int c;
                while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    struct epoll_event ce = {.events = EPOLLIN, .data.fd = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ce);
                }
                continue;
            }
            for (;;) {
                ssize_t r = read(fd, buf, sizeof buf);
                if (r > 0) continue;
                if (r < 0 && errno == EAGAIN) break;
                close(fd); /* end of stream or error */
                break;
            }
        }
    }
}

int main(int argc, char **argv)
{
    if (argc == 6 && !strcmp(argv[1], "bulk")) return bulk(argv[2], atoi(argv[3]), atof(argv[4]), atof(argv[5]));
    if (argc == 5 && !strcmp(argv[1], "accept")) return accept_rate(argv[2], atoi(argv[3]), atof(argv[4]));
    if (argc == 3 && !strcmp(argv[1], "discard")) return discard(atoi(argv[2]));
    fprintf(stderr, "usage: tcp-load bulk HOST PORT WARMUP WINDOW | accept HOST PORT SECONDS | discard PORT\n");
    return 2;
}
