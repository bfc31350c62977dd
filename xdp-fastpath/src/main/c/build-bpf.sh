#!/usr/bin/env bash
# Builds flowgate_xdp.o, the XDP programs, with clang for the BPF target. Called by Maven (xdp-fastpath,
# generate-resources) with the output folder; the object is a class-path resource loaded from memory.
set -euo pipefail
out=${1:?usage: build-bpf.sh OUTPUT_DIR}
dir=$(cd "$(dirname "$0")" && pwd)
obj=$out/flowgate_xdp.o
CLANG=${CLANG:-clang}
if ! command -v "$CLANG" >/dev/null; then
    echo "error: no clang for the BPF target; install it: apt-get install -y clang llvm libbpf-dev" >&2
    exit 1
fi
if [ ! -f /usr/include/bpf/bpf_helpers.h ]; then
    echo "error: libbpf headers not found (/usr/include/bpf); apt-get install -y libbpf-dev" >&2
    exit 1
fi
mkdir -p "$out"
if [ -f "$obj" ] && [ "$obj" -nt "$dir/flowgate_xdp.c" ] && [ "$obj" -nt "$dir/flowgate_xdp.h" ] && [ "$obj" -nt "$0" ]; then
    exit 0
fi
"$CLANG" -O2 -g -target bpf -Wall -Werror -I/usr/include/x86_64-linux-gnu -I"$dir" \
    -c "$dir/flowgate_xdp.c" -o "$obj.tmp"
mv "$obj.tmp" "$obj"
echo "built $obj"
