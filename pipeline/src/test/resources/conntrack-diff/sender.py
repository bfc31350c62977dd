#!/usr/bin/python3
"""Packet sender of the conntrack differential harness (LinuxConntrackSubject).

Runs inside the host namespace that holds the outer ends of both veths. Reads one command a line on stdin:

    A <hex>   send the IP packet <hex> (IPv4 or IPv6, by its version) from the client side (veth A) to the router
    B <hex>   send it from the server side (veth B)
    q         quit

and answers one line per packet: "ok <dscp>" with the DSCP of the copy the router forwarded out of the other
veth (the router's nft ruleset encodes the packet's ct state and direction there; for IPv6 the DSCP bits of the
traffic class), or "ok -" when no copy came
out within the wait. Packets go strictly one at a time, in corpus order.
"""
import os
import select
import socket
import sys
import time

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
PACKET_OUTGOING = 4
WAIT_S = float(os.environ.get("CTD_WAIT_S", "0.25"))


def mac(text):
    return bytes(int(part, 16) for part in text.split(":"))


def same_packet(sent, seen):
    """The forwarded copy differs from what was sent only in TOS, TTL and the header checksum (IPv6: traffic class
    and hop limit)."""
    if sent[0] >> 4 == 6:
        return (len(seen) >= len(sent) and seen[0] >> 4 == 6 and (seen[1] & 0x0F) == (sent[1] & 0x0F) and seen[2:7] == sent[2:7]
                and seen[8:len(sent)] == sent[8:])
    return (len(seen) >= len(sent) and seen[0] == sent[0] and seen[2:8] == sent[2:8] and seen[9] == sent[9]
            and seen[12:len(sent)] == sent[12:])


def main():
    if_a, if_b, router_a, router_b, host_a, host_b = sys.argv[1:7]
    socks = {}
    frame_head = {}
    for side, ifname, dst, src in (("A", if_a, router_a, host_a), ("B", if_b, router_b, host_b)):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind((ifname, 0))
        s.setblocking(False)
        socks[side] = s
        frame_head[side] = mac(dst) + mac(src)
    other = {"A": "B", "B": "A"}
    out = sys.stdout
    out.write("ready\n")
    out.flush()
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        if line == "q":
            break
        side, hexdata = line.split(" ", 1)
        packet = bytes.fromhex(hexdata)
        rx = socks[other[side]]
        drain(rx)
        drain(socks[side])
        ethertype = ETH_P_IPV6 if packet[0] >> 4 == 6 else ETH_P_IP
        socks[side].send(frame_head[side] + ethertype.to_bytes(2, "big") + packet)
        out.write("ok " + wait_for(rx, packet) + "\n")
        out.flush()


def drain(sock):
    while True:
        try:
            sock.recvfrom(65536)
        except BlockingIOError:
            return


def wait_for(rx, packet):
    deadline = time.monotonic() + WAIT_S
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return "-"
        ready, _, _ = select.select([rx], [], [], left)
        if not ready:
            continue
        while True:
            try:
                frame, addr = rx.recvfrom(65536)
            except BlockingIOError:
                break
            if addr[2] == PACKET_OUTGOING or len(frame) < 14 + 20 or frame[12:14] not in (b"\x08\x00", b"\x86\xdd"):
                continue
            ip = frame[14:]
            if same_packet(packet, ip):
                if ip[0] >> 4 == 6:
                    return str(((ip[0] & 0x0F) << 4 | ip[1] >> 4) >> 2)
                return str(ip[1] >> 2)


if __name__ == "__main__":
    main()
