#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Fetch what the project builds and tests against, idempotently:
#  - host packages (QEMU, busybox, kmod, libraries the tools link), via apt-get when missing;
#  - the Debian 12 kernel that linux-image-amd64 points to: image, headers, linux-kbuild-6.1
#    and linux-source-6.1 (samples, checkpatch.pl), unpacked with dpkg -x into $CACHE;
#  - for the ppc64le cross build (selftests/ppc64_build): gcc-powerpc64le-linux-gnu and the
#    ppc64el headers of the same kernel ABI, from package indexes kept in $CACHE (the host's
#    architectures and apt lists are left alone), unpacked into $CACHE/kernel-ppc64le.
# Nothing is installed into the host's /boot or /lib/modules and no initramfs is generated.
# A second run checks a stamp and returns in about a second.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${CACHE:-$top/.cache}
HOST_PKGS=(qemu-system-x86 ipxe-qemu busybox-static kmod cpio xz-utils zstd
	   libdrm-dev libpng-dev uuid-dev pkg-config mdevctl shellcheck bc
	   python3-matplotlib)
# the ppc64le cross build's compiler (its headers are fetched by fetch_ppc64le_headers)
HOST_PKGS+=(gcc-powerpc64le-linux-gnu)
PPC_ROOT=$CACHE/kernel-ppc64le

log() { printf 'deps: %s\n' "$*" >&2; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=
apt_update_once() {
	[ -n "$apt_updated" ] && return
	as_root apt-get update -qq || log "apt-get update reported errors; going on with the lists it has"
	apt_updated=1
}

install_host_packages() {
	local missing=() p
	for p in "${HOST_PKGS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return
	log "installing ${missing[*]}"
	apt_update_once
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# The ABI name linux-image-amd64 depends on, e.g. 6.1.0-56-amd64.
kernel_flavour() {
	local dep
	dep=$(apt-cache depends linux-image-amd64 2>/dev/null |
	      sed -n 's/^ *Depends: linux-image-\(6\.1\.[0-9a-z.-]*-amd64\)$/\1/p' | head -n1)
	if [ -z "$dep" ]; then
		apt_update_once
		dep=$(apt-cache depends linux-image-amd64 |
		      sed -n 's/^ *Depends: linux-image-\(6\.1\.[0-9a-z.-]*-amd64\)$/\1/p' | head -n1)
	fi
	[ -n "$dep" ] || { log "cannot resolve linux-image-amd64"; exit 1; }
	echo "$dep"
}

fetch_kernel() {
	local kver=$1 abi=${1%-amd64} dl=$CACHE/debs root=$CACHE/kernel
	local pkgs=("linux-image-$kver" "linux-headers-$kver" "linux-headers-$abi-common"
		    linux-kbuild-6.1 linux-source-6.1)
	mkdir -p "$dl" "$root"
	log "fetching Debian kernel $kver"
	(cd "$dl" && apt-get download -q "${pkgs[@]}" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2) ||
		{ apt_update_once; (cd "$dl" && apt-get download -q "${pkgs[@]}" >/dev/null 2>&1); }
	rm -rf "$root" && mkdir -p "$root"
	local deb
	for deb in "$dl"/*.deb; do
		dpkg -x "$deb" "$root"
	done
	tar -C "$root/usr/src" -xaf "$root"/usr/src/linux-source-6.1.tar.xz \
		--wildcards 'linux-source-6.1/samples/vfio-mdev/*' 'linux-source-6.1/scripts/checkpatch.pl' \
		'linux-source-6.1/scripts/spelling.txt' 'linux-source-6.1/scripts/const_structs.checkpatch' \
		'linux-source-6.1/Documentation/*' 'linux-source-6.1/drivers/vfio/*' \
		'linux-source-6.1/include/*' 'linux-source-6.1/drivers/iommu/amd/*' \
		'linux-source-6.1/tools/testing/selftests/kselftest*' 'linux-source-6.1/virt/kvm/vfio.c'
	rm -f "$root"/usr/src/linux-source-6.1.tar.xz
	depmod -b "$root" "$kver"
	ln -sfn "usr/src/linux-headers-$kver" "$root/build"
	ln -sfn "boot/vmlinuz-$kver" "$root/vmlinuz"
	ln -sfn "usr/src/linux-source-6.1" "$root/source"
	echo "$kver" > "$root/release"
}

# Debian's headers include the common tree by absolute path; point it into the cache (again
# whenever the checkout moved).
relocate_headers() {
	local mk=$CACHE/kernel/build/Makefile
	sed -i "s|^include .*/usr/src/\(linux-headers-[^/]*-common/Makefile\)$|include $CACHE/kernel/usr/src/\1|" "$mk"
}

# apt-get over ppc64el package indexes of the host's own sources, kept in $CACHE/apt-ppc64el
apt_get_ppc64el() {
	local d=$CACHE/apt-ppc64el
	mkdir -p "$d/lists/partial" "$d/archives/partial"
	apt-get -q -o APT::Architecture=ppc64el -o APT::Architectures::=ppc64el \
		-o Dir::State::Lists="$d/lists" -o Dir::Cache="$d" -o APT::Sandbox::User=root "$@"
}

# Debian's ppc64el headers for the ABI of the fetched amd64 kernel, with the common headers
# (arch all) and the host's linux-kbuild-6.1 (host tools) from $CACHE/debs beside them.
fetch_ppc64le_headers() {
	local abi pkg dl=$CACHE/debs-ppc64el deb
	abi=$(cat "$CACHE/kernel/release") || return 1
	abi=${abi%-amd64}
	pkg=linux-headers-$abi-powerpc64le
	[ "$(cat "$PPC_ROOT/release" 2>/dev/null)" = "$abi-powerpc64le" ] && return 0
	log "fetching $pkg (ppc64el) for the cross build"
	mkdir -p "$dl"
	apt_get_ppc64el update -qq >/dev/null || return 1
	(cd "$dl" && apt_get_ppc64el download "$pkg" >/dev/null) || return 1
	rm -rf "$PPC_ROOT" && mkdir -p "$PPC_ROOT"
	for deb in "$dl/${pkg}"_*.deb "$CACHE/debs/linux-headers-$abi-common"_*.deb \
		   "$CACHE"/debs/linux-kbuild-6.1_*.deb; do
		dpkg -x "$deb" "$PPC_ROOT" || return 1
	done
	ln -sfn "usr/src/$pkg" "$PPC_ROOT/build"
	echo "$abi-powerpc64le" > "$PPC_ROOT/release"
}

# As relocate_headers, for the ppc64el headers
relocate_ppc64le_headers() {
	sed -i "s|^include .*/usr/src/\(linux-headers-[^/]*-common/Makefile\)$|include $PPC_ROOT/usr/src/\1|" \
		"$PPC_ROOT/build/Makefile"
}

main() {
	local stamp=$CACHE/kernel/release kver
	install_host_packages
	if [ ! -f "$stamp" ] || [ -n "${DEPS_REFRESH:-}" ]; then
		kver=$(kernel_flavour)
		fetch_kernel "$kver"
		log "kernel $kver ready in $CACHE/kernel"
	fi
	relocate_headers
	if fetch_ppc64le_headers; then
		relocate_ppc64le_headers
	else
		log "no ppc64el headers: the ppc64_build suite will fail"
	fi
}

main "$@"
