#!/usr/bin/env bash
# A network test guest for the lab (tests only): the lab's tiny guest initramfs plus virtio_net,
# with an /init that takes an address by DHCP (or vireo.ip=ADDRESS/PREFIX on the kernel command
# line: a static one, for bridged networks where Vireo runs no DHCP), prints it on the serial
# line, and, given vireo.ping=ADDRESS, pings it once a second printing OK or FAIL.
#   net-guest.sh OUT_INITRD   (reads the lab's initrd.img and the cached kernel .deb)
# Used until the bootable guest image (issue 6) has a NIC and DHCP of its own.
set -euo pipefail
out=$1
images=${VIREO_LAB_IMAGES:-/var/lib/vireo-lab/images}
deb=$(ls -1 "${VIREO_CACHE_DIR:-/var/cache/vireo-lab/debs}"/linux-image-*-cloud-amd64_*.deb | sort -V | tail -n1)
work=$(mktemp -d /tmp/vireo-netguest.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root" "$work/pkg"
(cd "$work/root" && zcat "$images/initrd.img" | cpio -i --quiet -d)
dpkg -x "$deb" "$work/pkg"
kver=$(ls -1 "$work/pkg/lib/modules" | head -n1)
for m in failover net_failover virtio_net; do
  cp "$(find "$work/pkg/lib/modules/$kver/kernel" -name "$m.ko" -print -quit)" "$work/root/lib/modules/$m.ko"
  echo "$m" >>"$work/root/lib/modules/load-order"
done
cat >"$work/root/udhcpc.sh" <<'SCRIPT'
#!/bin/busybox sh
# busybox udhcpc hook: $ip, $mask (prefix length), $router from the DHCP answer.
case "$1" in
  bound | renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/$mask" dev "$interface"
    ;;
esac
SCRIPT
cat >"$work/root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || true
for m in $(cat /lib/modules/load-order); do insmod "/lib/modules/$m.ko" 2>/dev/null || true; done
S=/dev/ttyS0
say() { printf '\n%s\n' "$*" >$S 2>/dev/null || true; }
TARGET=
STATIC=
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    vireo.ping=?*) TARGET="${arg#vireo.ping=}" ;;
    vireo.ip=?*) STATIC="${arg#vireo.ip=}" ;;
  esac
done
ip link set lo up
ip link set eth0 up
if [ -n "$STATIC" ]; then
  ip addr add "$STATIC" dev eth0
else
  until udhcpc -i eth0 -s /udhcpc.sh -q -n -t 5 -T 2 >/dev/null 2>&1; do say "NETGUEST NO LEASE YET"; done
fi
say "NETGUEST IP $(ip -4 -o addr show eth0 | awk '{print $4}')"
while true; do
  if [ -n "$TARGET" ]; then
    if ping -c 1 -W 1 "$TARGET" >/dev/null 2>&1; then say "NETGUEST PING OK"; else say "NETGUEST PING FAIL"; fi
  fi
  sleep 1
done
INIT
chmod +x "$work/root/init" "$work/root/udhcpc.sh"
(cd "$work/root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out.tmp"
mv "$out.tmp" "$out"
