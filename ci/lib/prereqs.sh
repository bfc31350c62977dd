# shellcheck shell=bash
# Installs what flowgate needs on a Debian 12 machine and finds JDK 25. Sourced by ./flowgate, ci/test
# and perf/bench; defines ensure_prereqs, which exports JAVA_HOME.

FLOWGATE_DEBIAN_PACKAGES=(dpdk dpdk-dev libdpdk-dev pkg-config gcc make clang llvm libbpf-dev libxdp-dev tshark iproute2 iputils-ping ethtool netcat-openbsd iperf3 traceroute procps conntrack nftables python3 curl lftp vsftpd tftp-hpa tftpd-hpa hping3 socat)

flowgate_missing_packages() {
    local pkg missing=()
    for pkg in "${FLOWGATE_DEBIAN_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    echo "${missing[@]:-}"
}

flowgate_java_major() {
    "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -1
}

flowgate_find_jdk25() {
    local candidate major
    for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-* /usr/lib/jvm/java-25-* /usr/lib/jvm/*25*; do
        [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
        major=$(flowgate_java_major "$candidate")
        if [ -n "$major" ] && [ "$major" -ge 25 ] 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

ensure_prereqs() {
    local missing
    missing=$(flowgate_missing_packages)
    if [ -n "$missing" ]; then
        if [ "$(id -u)" -ne 0 ]; then
            echo "flowgate: error: missing Debian packages: $missing (run: sudo apt-get install -y $missing)" >&2
            return 1
        fi
        echo "flowgate: installing Debian packages: $missing" >&2
        export DEBIAN_FRONTEND=noninteractive
        # tshark asks whether non-root users may capture; answer no without a prompt.
        echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
        # shellcheck disable=SC2086
        if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing; } >/tmp/flowgate-apt.log 2>&1; then
            echo "flowgate: error: apt-get install $missing failed (see /tmp/flowgate-apt.log)" >&2
            return 1
        fi
    fi
    local jdk
    if ! jdk=$(flowgate_find_jdk25); then
        echo "flowgate: error: JDK 25 not found (JAVA_HOME=${JAVA_HOME:-unset}); install Temurin or OpenJDK 25 and set JAVA_HOME to it" >&2
        return 1
    fi
    export JAVA_HOME=$jdk
}

# Builds the project (jars and the DPDK shim) unless the jar is newer than every source (resources included:
# the embedded router configuration is one).
ensure_built() {
    local root=$1 jar=$1/app/target/flowgate.jar
    if [ -f "$jar" ] && [ -z "$(find "$root" -name target -prune -o -name .git -prune -o -type f \
            \( -name '*.java' -o -name pom.xml -o -name '*.c' -o -name build-shim.sh -o -path '*/src/main/resources/*' \) \
            -newer "$jar" -print -quit)" ]; then
        return 0
    fi
    echo "flowgate: building (first use or sources changed) ..." >&2
    if ! (cd "$root" && ./mvnw -q -B install -DskipTests >/tmp/flowgate-build.log 2>&1); then
        tail -40 /tmp/flowgate-build.log >&2
        echo "flowgate: error: build failed (full log: /tmp/flowgate-build.log)" >&2
        return 1
    fi
}
