#!/usr/bin/env bash
# A Linux router doing NAT with the FTP and TFTP helpers between an inside and an outside namespace; real
# lftp against vsftpd (active PORT, passive PASV, passive EPSV) and tftp against in.tftpd, with both sides
# of the router captured (classic pcap, offloads off, so segments and checksums are as on a wire).
#   linux-ftp-nat.sh run PREFIX OUTDIR snat   the client inside (masquerade), the servers outside
#   linux-ftp-nat.sh run PREFIX OUTDIR dnat   the servers inside behind DNAT of 198.51.100.1, the client outside
#   -> OUTDIR/inside.pcap, OUTDIR/outside.pcap, OUTDIR/conntrack.txt, the transfers' outputs
#   linux-ftp-nat.sh down PREFIX              removes what run made (run removes it too)
# Addresses: inside host 10.77.5.2, router 10.77.5.1 / 198.51.100.1, outside host 198.51.100.5. Needs root,
# ip, nft, ethtool, dumpcap, conntrack, lftp, vsftpd, tftp (tftp-hpa), in.tftpd (tftpd-hpa).
set -u
cmd=$1
P=$2

down() {
    for f in /tmp/"$P"-*.pid; do
        [ -f "$f" ] || continue
        kill "$(cat "$f")" 2>/dev/null || true
        rm -f "$f"
    done
    for ns in "${P}c" "${P}r" "${P}s"; do
        ip netns del "$ns" 2>/dev/null || true
    done
    rm -rf "/tmp/$P-root"
}

if [ "$cmd" = down ]; then
    down
    exit 0
fi

OUT=$3
MODE=${4:-snat}
if [ "$MODE" = dnat ]; then
    server_ns="${P}c"; server=10.77.5.2; client_ns="${P}s"; target=198.51.100.1
    nat="chain prenat { type nat hook prerouting priority -100; iifname \"${P}ro\" tcp dport 21 dnat to 10.77.5.2; iifname \"${P}ro\" udp dport 69 dnat to 10.77.5.2; }"
else
    server_ns="${P}s"; server=198.51.100.5; client_ns="${P}c"; target=198.51.100.5
    nat="chain post { type nat hook postrouting priority 100; oifname \"${P}ro\" masquerade; }"
fi
trap down EXIT
set -e
down
ip netns add "${P}c"
ip netns add "${P}r"
ip netns add "${P}s"
ip link add "${P}ci" type veth peer name "${P}ri"
ip link add "${P}ro" type veth peer name "${P}so"
ip link set "${P}ci" netns "${P}c"
ip link set "${P}ri" netns "${P}r"
ip link set "${P}ro" netns "${P}r"
ip link set "${P}so" netns "${P}s"
ip -n "${P}c" addr add 10.77.5.2/24 dev "${P}ci"
ip -n "${P}r" addr add 10.77.5.1/24 dev "${P}ri"
ip -n "${P}r" addr add 198.51.100.1/24 dev "${P}ro"
ip -n "${P}s" addr add 198.51.100.5/24 dev "${P}so"
for ns in c r s; do ip -n "${P}$ns" link set lo up; done
ip -n "${P}c" link set "${P}ci" up
ip -n "${P}r" link set "${P}ri" up
ip -n "${P}r" link set "${P}ro" up
ip -n "${P}s" link set "${P}so" up
ip -n "${P}c" route add default via 10.77.5.1
ip netns exec "${P}r" sysctl -qw net.ipv4.ip_forward=1
for pair in "c ${P}ci" "r ${P}ri" "r ${P}ro" "s ${P}so"; do
    set -- $pair
    ip netns exec "${P}$1" ethtool -K "$2" tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
done
ip netns exec "${P}r" nft -f - <<NFT
table ip $P {
  ct helper ftp-std { type "ftp" protocol tcp; }
  ct helper tftp-std { type "tftp" protocol udp; }
  chain pre { type filter hook prerouting priority 0; tcp dport 21 ct helper set "ftp-std"; udp dport 69 ct helper set "tftp-std"; }
  $nat
}
NFT

root="/tmp/$P-root"
mkdir -p "$root/ftp/pub" "$root/tftp" "$root/empty"
chmod 555 "$root/ftp"
echo "hello through the helper" > "$root/ftp/pub/file.txt"
echo "hello over tftp" > "$root/tftp/boot.txt"
cat > "$root/vsftpd.conf" <<CONF
listen=YES
listen_address=$server
background=NO
anonymous_enable=YES
local_enable=NO
write_enable=NO
anon_root=$root/ftp
no_anon_password=YES
pasv_enable=YES
pasv_min_port=51000
pasv_max_port=51010
port_enable=YES
connect_from_port_20=YES
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
secure_chroot_dir=$root/empty
xferlog_enable=NO
CONF
ip netns exec "$server_ns" vsftpd "$root/vsftpd.conf" >"$OUT/vsftpd.log" 2>&1 &
echo $! >"/tmp/$P-vsftpd.pid"
ip netns exec "$server_ns" in.tftpd --foreground --address "$server:69" --secure "$root/tftp" >"$OUT/tftpd.log" 2>&1 &
echo $! >"/tmp/$P-tftpd.pid"
ip netns exec "${P}r" dumpcap -q -P -i "${P}ri" -f "tcp or udp" -w "$OUT/inside.pcap" >"$OUT/dumpcap-in.log" 2>&1 &
echo $! >"/tmp/$P-capin.pid"
ip netns exec "${P}r" dumpcap -q -P -i "${P}ro" -f "tcp or udp" -w "$OUT/outside.pcap" >"$OUT/dumpcap-out.log" 2>&1 &
echo $! >"/tmp/$P-capout.pid"
for _ in $(seq 50); do
    [ -s "$OUT/inside.pcap" ] && [ -s "$OUT/outside.pcap" ] && break
    sleep 0.1
done
sleep 0.5

ftp() {
    ip netns exec "$client_ns" timeout 20 lftp -e "set net:max-retries 1; set net:timeout 5; set cmd:fail-exit yes; $1; cat pub/file.txt; quit" \
        "ftp://$target"
}
ftp "set ftp:passive-mode off" >"$OUT/active.txt" 2>&1
ftp "set ftp:passive-mode on; set ftp:prefer-epsv no" >"$OUT/passive.txt" 2>&1
ftp "set ftp:passive-mode on; set ftp:prefer-epsv yes" >"$OUT/epsv.txt" 2>&1
(cd "$OUT" && ip netns exec "$client_ns" timeout 10 tftp "$target" -c get boot.txt) >"$OUT/tftp.txt" 2>&1 || true
sleep 0.5
ip netns exec "${P}r" conntrack -L >"$OUT/conntrack.txt" 2>/dev/null || true
kill "$(cat "/tmp/$P-capin.pid")" "$(cat "/tmp/$P-capout.pid")"
sleep 0.5
