#!/usr/bin/env bash
# Installs the Debian packages weir builds, tests and demos with, when
# missing (non-interactive, idempotent), and mounts bpffs.
set -eu
packages=(
	make gcc clang llvm clang-format pkg-config
	libbpf-dev libxdp-dev libelf-dev zlib1g-dev bpftool # BPF build, load, attach
	libyaml-dev libjson-c-dev                           # config file, control socket
	libcmocka-dev                                       # unit and BPF tests
	libncurses-dev tmux                                 # weir top, its test
	libclang-rt-14-dev                                  # libFuzzer, ASan (make fuzz)
	libmicrohttpd-dev                                   # /metrics over HTTP
	prometheus curl                                     # the metrics test: promtool, a scrape
	iproute2 ethtool iperf3 jq socat python3-scapy      # namespace tests and demo
	gnuplot-nox                                         # the overload demo's picture
	nftables                                            # the bench's DNAT baseline
	groff-base man-db                                   # the package test renders weir(8)
)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps: missing ${missing[*]}; run as root to install them" >&2
		exit 1
	fi
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "$(id -u)" = 0 ] && ! mountpoint -q /sys/fs/bpf; then
	mount -t bpf bpf /sys/fs/bpf
	echo "deps: mounted bpffs on /sys/fs/bpf"
fi
exit 0
