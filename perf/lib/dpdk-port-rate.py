#!/usr/bin/env python3
# dpdk-port-rate.py: the transmit rate of one port of a running DPDK process, read
# from the outside through the DPDK telemetry socket (perf/bench helper).
#
#   dpdk-port-rate.py --prefix P --port 1 [--audit-port 0 ...] --warmup 2 --window 8
#
# Why: DPDK applications such as l3fwd print no rates. Every DPDK >= 20.05 process
# (telemetry is on unless --no-telemetry) serves /var/run/dpdk/<prefix>/dpdk_telemetry.v2,
# a unix SOCK_SEQPACKET socket: on connect it sends one JSON object
# {"version":..., "pid":..., "max_output_len":N}; each command written (e.g.
# "/ethdev/stats,1") is answered by one JSON message, here
# {"/ethdev/stats": {"ipackets":..., "opackets":..., "oerrors":..., ...}} — the
# rte_eth_stats_get() counters. The telemetry thread is an EAL control thread, so it
# never runs on the forwarding lcore. (dpdk-telemetry.py, shipped with the dpdk
# package, speaks the same protocol but is interactive; these few lines avoid it.)
#
# Method: wait until the port's opackets counter moves (forwarding has started),
# sleep WARMUP s, read the counters, sleep WINDOW s, read them again. The rate is the
# opackets delta divided by the CLOCK_MONOTONIC time between the two reads (each read
# is timestamped at the middle of its query, which takes well under a millisecond),
# so the figure does not depend on sleep accuracy.
#
# Output (stdout), key=value:
#   rate port=1 window_s=8.000 opackets_delta=N tx_pps=N oerrors_delta=N
#   audit port=0 ipackets_delta=N opackets_delta=N imissed_delta=N rx_nombuf_delta=N rx_pps=N tx_pps=N
# Exit status 0 on success, 1 on any failure (message on stderr).
import argparse
import json
import os
import socket
import sys
import time


def fail(msg):
    print(f"dpdk-port-rate: {msg}", file=sys.stderr)
    sys.exit(1)


def pid_alive(pid):
    if not pid:
        return True
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def connect(path, deadline, pid):
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            s.connect(path)
            info = json.loads(s.recv(4096).decode())
            return s, int(info.get("max_output_len", 16384))
        except (FileNotFoundError, ConnectionRefusedError, json.JSONDecodeError):
            s.close()
        if not pid_alive(pid):
            fail(f"process {pid} exited before {path} answered")
        if time.monotonic() > deadline:
            fail(f"no telemetry socket at {path}")
        time.sleep(0.1)


class Telemetry:
    def __init__(self, sock, maxlen):
        self.sock, self.maxlen = sock, maxlen

    def stats(self, port):
        """(monotonic time at the middle of the query, the port's counters)."""
        t0 = time.monotonic()
        self.sock.send(f"/ethdev/stats,{port}".encode())
        raw = self.sock.recv(self.maxlen)
        t1 = time.monotonic()
        if not raw:
            fail("telemetry socket closed (process exited?)")
        reply = json.loads(raw.decode()).get("/ethdev/stats")
        if not isinstance(reply, dict) or "opackets" not in reply:
            fail(f"port {port}: unexpected telemetry reply {raw[:200]!r}")
        return (t0 + t1) / 2, reply


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prefix", required=True, help="the process's EAL --file-prefix")
    ap.add_argument("--runtime-dir", default="/var/run/dpdk")
    ap.add_argument("--port", type=int, required=True, help="port whose tx rate is measured")
    ap.add_argument("--audit-port", type=int, action="append", default=[],
                    help="also report this port's rx/tx deltas over the window")
    ap.add_argument("--warmup", type=float, required=True)
    ap.add_argument("--window", type=float, required=True)
    ap.add_argument("--start-timeout", type=float, default=30.0,
                    help="seconds to wait for the socket and for the first transmitted packet")
    ap.add_argument("--pid", type=int, default=0, help="give up early if this process exits")
    a = ap.parse_args()

    path = os.path.join(a.runtime_dir, a.prefix, "dpdk_telemetry.v2")
    deadline = time.monotonic() + a.start_timeout
    sock, maxlen = connect(path, deadline, a.pid)
    tel = Telemetry(sock, maxlen)

    # forwarding has started once the measured port has transmitted something
    t_start = time.monotonic()
    while True:
        _, s = tel.stats(a.port)
        if s["opackets"] > 0:
            break
        if not pid_alive(a.pid):
            fail(f"process {a.pid} exited before port {a.port} transmitted anything")
        if time.monotonic() > deadline:
            others = {p: tel.stats(p)[1] for p in a.audit_port}
            fail(f"port {a.port} transmitted nothing within {a.start_timeout:.0f} s "
                 f"(traffic not routed to it?); port {a.port}: {s}; others: {others}")
        time.sleep(0.02)
    print(f"# port {a.port} started transmitting {time.monotonic() - t_start:.2f} s after connect")

    time.sleep(a.warmup)
    ports = [a.port] + [p for p in a.audit_port if p != a.port]
    first = {p: tel.stats(p) for p in ports}
    time.sleep(a.window)
    last = {p: tel.stats(p) for p in ports}
    sock.close()

    def delta(p, key):
        return last[p][1].get(key, 0) - first[p][1].get(key, 0)

    secs = last[a.port][0] - first[a.port][0]
    tx = delta(a.port, "opackets")
    if tx <= 0:
        fail(f"port {a.port} transmitted nothing during the window")
    for p in ports:
        print(f"sample port={p} first={json.dumps(first[p][1], separators=(',', ':'))}")
        print(f"sample port={p} last={json.dumps(last[p][1], separators=(',', ':'))}")
    for p in ports[1:]:
        s = last[p][0] - first[p][0]
        print(f"audit port={p} window_s={s:.6f} ipackets_delta={delta(p, 'ipackets')} "
              f"opackets_delta={delta(p, 'opackets')} imissed_delta={delta(p, 'imissed')} "
              f"rx_nombuf_delta={delta(p, 'rx_nombuf')} oerrors_delta={delta(p, 'oerrors')} "
              f"rx_pps={delta(p, 'ipackets') / s:.0f} tx_pps={delta(p, 'opackets') / s:.0f}")
    print(f"rate port={a.port} window_s={secs:.6f} opackets_delta={tx} "
          f"oerrors_delta={delta(a.port, 'oerrors')} tx_pps={tx / secs:.0f}")


if __name__ == "__main__":
    main()
