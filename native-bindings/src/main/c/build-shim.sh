#!/usr/bin/env bash
# Builds libflowgate_dpdk.so, the thin C shim over DPDK's static-inline helpers, against the DPDK that
# pkg-config finds. Called by Maven (native-bindings, generate-resources) with the output folder.
set -euo pipefail
out=${1:?usage: build-shim.sh OUTPUT_DIR}
src=$(cd "$(dirname "$0")" && pwd)/flowgate_dpdk_shim.c
lib=$out/libflowgate_dpdk.so

if ! command -v pkg-config >/dev/null || ! pkg-config --exists libdpdk; then
    echo "error: DPDK development files not found (pkg-config libdpdk). Install them: apt-get install -y libdpdk-dev dpdk-dev pkg-config" >&2
    exit 1
fi
if ! command -v "${CC:-gcc}" >/dev/null; then
    echo "error: no C compiler (${CC:-gcc}); install gcc" >&2
    exit 1
fi
mkdir -p "$out"
if [ -f "$lib" ] && [ "$lib" -nt "$src" ] && [ "$lib" -nt "$0" ]; then
    exit 0
fi
# --no-as-needed: the shim must carry every DPDK library as a dependency, because Java looks up the exported
# rte_* functions through the shim's handle (dlsym searches a handle's dependencies).
# shellcheck disable=SC2046
"${CC:-gcc}" -O3 -fPIC -shared -Wall -Wextra -Werror -o "$lib.tmp" "$src" \
    $(pkg-config --cflags libdpdk) -Wl,--no-as-needed $(pkg-config --libs libdpdk | sed 's/-Wl,--as-needed//g')
mv "$lib.tmp" "$lib"
echo "built $lib against DPDK $(pkg-config --modversion libdpdk)"
