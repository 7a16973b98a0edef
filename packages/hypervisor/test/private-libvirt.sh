#!/usr/bin/env bash
# Starts a private libvirt stack (dbus-daemon, virtlogd, libvirtd, libvirt-dbus) in its own mount
# namespace, for developing the hypervisor package without the lab. On our machines /dev/kvm
# exists but is unusable, so it is masked. Not with /dev/null: libvirt finds /dev/null
# "accessible", probes QEMU with KVM, the probe fails ("Unable to create KVM VM for TSC
# probing"), and as KVM looks usable but the cached capabilities lack it, libvirt re-probes QEMU
# on EVERY define (measured 23.5 s per define). A mode-000 regular file over /dev/kvm makes libvirt
# see KVM as unusable once, and defines take ~20 ms.
# Prints the libvirtd PID; enter with `nsenter -t PID -m CMD`.
# Stop: kill the PIDs in $ROOT/pids (they are the only processes this script starts).
set -euo pipefail
ROOT=${1:-/tmp/vireo-hv}
mkdir -p "$ROOT"/{run,lib,cache,log,etc} "$ROOT/storage"
: >"$ROOT/nokvm"; chmod 000 "$ROOT/nokvm"
rm -rf "$ROOT/etc/libvirt"; cp -a /etc/libvirt "$ROOT/etc/libvirt"
cat >>"$ROOT/etc/libvirt/libvirtd.conf" <<CONF
unix_sock_group = "libvirt"
unix_sock_rw_perms = "0770"
auth_unix_rw = "none"
CONF
# libvirt gives each QEMU a private /dev and moves /dev/* mounts into it; moving our masking file
# fails ("Unable to move ….kvm mount to /dev/kvm: Invalid argument"), so no private /dev.
echo 'namespaces = []' >>"$ROOT/etc/libvirt/qemu.conf"
# libvirt-dbus runs as libvirtdbus and needs the libvirt group; change a private copy of /etc/group.
sed -E 's/^(libvirt:x:[0-9]+:)(.*)$/\1\2,libvirtdbus/; s/^(libvirt:x:[0-9]+:),/\1/' /etc/group >"$ROOT/etc/group"
cp /var/lib/libvirt -aT "$ROOT/lib" 2>/dev/null || true
unshare -m --propagation private bash -euc '
  R='"$ROOT"'
  mount --bind $R/run /run; mount --bind $R/lib /var/lib/libvirt; mount --bind $R/cache /var/cache/libvirt
  mount --bind $R/log /var/log/libvirt; mount --bind $R/etc/libvirt /etc/libvirt
  mount --bind $R/etc/group /etc/group; mount --bind $R/nokvm /dev/kvm
  mkdir -p /run/dbus /run/libvirt; chown messagebus: /run/dbus 2>/dev/null || true
  dbus-daemon --system --fork --print-pid >$R/pids
  virtlogd -d; libvirtd -d
  for i in $(seq 50); do [ -S /run/libvirt/libvirt-sock ] && break; sleep 0.1; done
  for f in /run/virtlogd.pid /run/libvirtd.pid; do echo "$(cat $f)" >>$R/pids; done
  runuser -u libvirtdbus -- setsid libvirt-dbus --system </dev/null >$R/libvirt-dbus.log 2>&1 &
  echo $! >>$R/pids
  cat /run/libvirtd.pid
'
