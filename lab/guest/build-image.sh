#!/usr/bin/env bash
# Build the tiny Vireo test guest, offline and idempotently:
#   OUTDIR/vmlinuz     Debian linux-image-*-cloud-amd64 kernel (direct kernel boot)
#   OUTDIR/initrd.img  busybox-static initramfs whose /init prints the READY banner
#   OUTDIR/base.qcow2  64 MiB data disk with a marker in sector 0 (use it as a backing file)
#   OUTDIR/image.json  {"kernel","initrd","disk","cmdline"} with absolute paths
#
# Usage: lab/guest/build-image.sh OUTDIR      (e.g. /var/lib/vireo-lab/images)
# Env:   VIREO_CACHE_DIR  where the kernel .deb is kept (default /var/cache/vireo-lab/debs)
#        FORCE=1          rebuild kernel/initrd even if the stamp matches
#
# The guest boots under TCG in a few seconds; see lab/README.md for the protocol it speaks
# on the serial line (READY / DISK / ALIVE / POWEROFF lines).
set -euo pipefail

OUTDIR=${1:?usage: build-image.sh OUTDIR}
CACHE_DIR=${VIREO_CACHE_DIR:-/var/cache/vireo-lab/debs}
# Bump DISK_VERSION only when the disk layout changes: regenerating base.qcow2 under
# existing overlays would silently change what they see, so the disk is never rebuilt
# just because this script changed.
DISK_VERSION="vireo-base-disk-v1"
DISK_SIZE=64M
CMDLINE="console=ttyS0,115200 loglevel=4 consoleblank=0"

log() { echo "build-image: $*" >&2; }

mkdir -p "$OUTDIR" "$CACHE_DIR"
OUTDIR=$(cd "$OUTDIR" && pwd)   # image.json must hold absolute paths

# --- pick the kernel package -------------------------------------------------------
# linux-image-cloud-amd64 is a metapackage; its Depends names the versioned image package.
kpkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null \
         | awk '/Depends: linux-image-[0-9].*-cloud-amd64/ {print $2; exit}' || true)
deb=""
if [[ -n "$kpkg" ]]; then
  # Prefer a copy we (or apt) already have, so rebuilds stay offline.
  deb=$(ls -1 "$CACHE_DIR"/"${kpkg}"_*.deb /var/cache/apt/archives/"${kpkg}"_*.deb 2>/dev/null | sort -V | tail -n1 || true)
fi
if [[ -z "$deb" ]]; then
  # No apt metadata at all (or nothing cached for this name): fall back to any cached one.
  deb=$(ls -1 "$CACHE_DIR"/linux-image-*-cloud-amd64_*.deb 2>/dev/null | sort -V | tail -n1 || true)
  if [[ -n "$kpkg" && ( -z "$deb" || "$(basename "$deb")" != "${kpkg}"_* ) ]]; then
    log "downloading $kpkg into $CACHE_DIR"
    # Sandbox user root: _apt cannot write into a root-owned cache dir.
    (cd "$CACHE_DIR" && apt-get download -q -o APT::Sandbox::User=root "$kpkg" >&2)
    deb=$(ls -1 "$CACHE_DIR"/"${kpkg}"_*.deb | sort -V | tail -n1)
  fi
fi
[[ -n "$deb" && -f "$deb" ]] || { log "no kernel package found (apt-cache/apt-get download failed?)"; exit 1; }

# --- idempotency -------------------------------------------------------------------------
# The stamp covers the kernel .deb and this script's content (which embeds /init).
script_sum=$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)
stamp="kernel=$(basename "$deb") script=${script_sum} disk=${DISK_VERSION} cmdline=${CMDLINE}"
if [[ "${FORCE:-0}" != 1 && -f "$OUTDIR/.stamp" && "$(cat "$OUTDIR/.stamp")" == "$stamp" \
      && -s "$OUTDIR/vmlinuz" && -s "$OUTDIR/initrd.img" && -s "$OUTDIR/base.qcow2" && -s "$OUTDIR/image.json" ]]; then
  log "up to date ($OUTDIR)"
  exit 0
fi

work=$(mktemp -d /tmp/vireo-image.XXXXXX)
trap 'rm -rf "$work"' EXIT

log "extracting $(basename "$deb")"
dpkg -x "$deb" "$work/pkg"
kver=$(ls -1 "$work/pkg/lib/modules" | head -n1)
[[ -n "$kver" && -f "$work/pkg/boot/vmlinuz-$kver" ]] || { log "unexpected package layout"; exit 1; }
moddir="$work/pkg/lib/modules/$kver"

# --- initramfs -----------------------------------------------------------------------------
root="$work/root"
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc,lib/modules,mnt}
cp /bin/busybox "$root/bin/busybox"   # busybox-static: no shared libs needed
# devtmpfs provides the rest, but the kernel opens /dev/console before /init runs.
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
mknod -m 666 "$root/dev/null" c 1 3 2>/dev/null || true

# The cloud kernel builds these as modules (CONFIG_ACPI_BUTTON=m, CONFIG_INPUT_EVDEV=m,
# CONFIG_VIRTIO*=m) and the .deb ships no modules.dep (depmod runs at install time), so
# resolve dependencies with modinfo and load them with busybox insmod in dependency order.
declare -A seen=()
load_order=()
modpath() { find "$moddir/kernel" -name "$1.ko" -print -quit; }
add_mod() {
  local m=$1 f d
  [[ -n "${seen[$m]:-}" ]] && return 0
  seen[$m]=1
  f=$(modpath "$m")
  [[ -n "$f" ]] || { grep -q "/$m.ko\$" "$moddir/modules.builtin" && return 0; log "module $m not found"; exit 1; }
  for d in $(modinfo -F depends "$f" | tr ',' ' '); do add_mod "$d"; done
  cp "$f" "$root/lib/modules/$m.ko"
  load_order+=("$m")
}
# button: ACPI power button (libvirt Shutdown = ACPI power-button press)
# evdev:  /dev/input/event* so /init can wait for that button
# virtio_pci + virtio_blk: lets the guest read/write its disk (marker + boot counter)
for m in button evdev virtio_pci virtio_blk; do add_mod "$m"; done
printf '%s\n' "${load_order[@]}" > "$root/lib/modules/load-order"

cat > "$root/init" <<'INIT'
#!/bin/busybox sh
# Vireo test guest /init (PID 1). Never exits: PID 1 exiting panics the kernel.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || true
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts 2>/dev/null || true

# vireo.hostname=NAME on the kernel command line (the domain XML's <cmdline>).
HOST=vireo-guest
for arg in $(cat /proc/cmdline); do
  case "$arg" in vireo.hostname=?*) HOST="${arg#vireo.hostname=}" ;; esac
done
hostname "$HOST"

for m in $(cat /lib/modules/load-order); do insmod "/lib/modules/$m.ko" 2>/dev/null || true; done

SER=/dev/ttyS0
# Leading newline: the serial shell's prompt may be sitting on the current line.
ser() { printf '\n%s\n' "$*" > $SER 2>/dev/null || true; }

# Power button, set up BEFORE the READY line: a press that arrives while nobody has the
# evdev device open is lost, and tests press it (virsh shutdown) right after READY.
# The ACPI button driver exposes an input device named "Power Button"; any event on it is
# a press. Each watcher opens the device itself (fd 3) so we can check it is open.
poweroff_now() {
  ser "VIREO GUEST $HOST POWEROFF"
  sync
  poweroff -f
}
trap poweroff_now USR1
PIDS=""
i=0
while [ $i -lt 20 ]; do   # the input device normally exists as soon as insmod returns
  grep -qs '^Power Button$' /sys/class/input/event*/device/name && break
  sleep 0.1; i=$((i+1))
done
for d in /sys/class/input/event*; do
  [ "$(cat "$d/device/name" 2>/dev/null)" = "Power Button" ] || continue
  # evdev refuses reads smaller than one event (24 bytes on x86_64), hence bs=64.
  ( exec 3<"/dev/input/${d##*/}"; dd bs=64 count=1 <&3 >/dev/null 2>&1 && kill -USR1 1 ) &
  pid=$!
  i=0
  while [ $i -lt 50 ] && [ ! -e "/proc/$pid/fd/3" ]; do sleep 0.02; i=$((i+1)); done
  PIDS="$PIDS $pid"
done

[ -n "$PIDS" ] || ser "VIREO GUEST $HOST WARNING no power button device"

# VGA text console: clear, hide cursor, paint bars + banner. Colours are the standard
# VGA palette: green bg (ESC[42m) = (0,170,0), magenta bg (ESC[45m) = (170,0,170).
{
  E=$(printf '\033')
  BLANK="                                                                                "
  printf '%s' "${E}[?25l${E}[0m${E}[2J${E}[H"
  for i in 1 2 3; do printf '%s\n' "${E}[42m${BLANK}${E}[0m"; done
  printf '\n'
  # Big "VIREO" in white blocks: each '#' of the glyph rows becomes two white-bg cells.
  for row in "#   # ### ####  ####  ### " \
             "#   #  #  #   # #    #   #" \
             " # #   #  ####  ###  #   #" \
             " # #   #  #  #  #    #   #" \
             "  #   ### #   # ####  ### "; do
    line="   "
    i=0
    while [ $i -lt ${#row} ]; do
      c="${row:$i:1}"
      if [ "$c" = "#" ]; then line="$line${E}[47m  ${E}[0m"; else line="$line  "; fi
      i=$((i+1))
    done
    printf '%s\n' "$line"
  done
  printf '\n'
  printf '%s\n' "${E}[1;33;44m   VIREO GUEST $HOST READY   ${E}[0m"
  printf '\n'
  for i in 1 2 3; do printf '%s\n' "${E}[45m${BLANK}${E}[0m"; done
  printf '\n%s' "   Press the ACPI power button (virsh shutdown) to power off."
} > /dev/tty0 2>/dev/null || true

# Disk: sector 0 holds a marker written at image build time; sector 2048 a boot counter
# (shows writes persist in the overlay / across snapshots).
if [ -b /dev/vda ]; then
  MARK=$(dd if=/dev/vda bs=512 count=1 2>/dev/null | head -n1 | tr -cd 'A-Za-z0-9._ -')
  BOOTS=$(dd if=/dev/vda bs=512 skip=2048 count=1 2>/dev/null | head -n1 | tr -cd '0-9')
  BOOTS=$(( ${BOOTS:-0} + 1 ))
  printf '%-511s\n' "$BOOTS" | dd of=/dev/vda bs=512 seek=2048 count=1 conv=notrunc 2>/dev/null
  sync
  ser "VIREO GUEST $HOST DISK vda marker=$MARK boots=$BOOTS"
else
  ser "VIREO GUEST $HOST DISK none"
fi

# READY last: by now the power button is armed, the disk checked and the VGA screen
# painted, so a test may shut down or take a screenshot as soon as it sees this line.
ser "VIREO GUEST $HOST READY"

# A root shell on the serial line (virsh console) for debugging; respawned.
( while true; do setsid sh -c "exec sh -i <$SER >$SER 2>&1"; sleep 1; done ) &

# Serial heartbeat, useful to see a guest keep running across migration/snapshot revert.
( n=0; while true; do sleep 10; n=$((n+10)); ser "VIREO GUEST $HOST ALIVE ${n}s"; done ) &

# Reap children and keep PID 1 alive; 'wait' returns early when USR1 arrives.
while true; do wait; sleep 1; done
INIT
chmod 755 "$root/init"

(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) | gzip -9 > "$work/initrd.img"
cp "$work/pkg/boot/vmlinuz-$kver" "$work/vmlinuz"

# --- base disk --------------------------------------------------------------------------------
# Rebuilt only if missing or the disk version changed (see DISK_VERSION above).
if [[ ! -s "$OUTDIR/base.qcow2" || "$(cat "$OUTDIR/.disk-version" 2>/dev/null)" != "$DISK_VERSION" ]]; then
  log "creating base.qcow2 ($DISK_SIZE)"
  qemu-img create -q -f raw "$work/base.raw" "$DISK_SIZE"
  printf 'VIREO-BASE-DISK %s\n' "$DISK_VERSION" | dd of="$work/base.raw" conv=notrunc status=none
  printf '%-511s\n' 0 | dd of="$work/base.raw" bs=512 seek=2048 conv=notrunc status=none
  qemu-img convert -q -f raw -O qcow2 "$work/base.raw" "$work/base.qcow2"
  mv -f "$work/base.qcow2" "$OUTDIR/base.qcow2"
  echo "$DISK_VERSION" > "$OUTDIR/.disk-version"
fi
# Backing files must be readable by whatever user qemu runs as; overlays open it read-only.
chmod 644 "$OUTDIR/base.qcow2"

mv -f "$work/vmlinuz" "$OUTDIR/vmlinuz"
mv -f "$work/initrd.img" "$OUTDIR/initrd.img"
chmod 644 "$OUTDIR/vmlinuz" "$OUTDIR/initrd.img"
jq -n --arg kernel "$OUTDIR/vmlinuz" --arg initrd "$OUTDIR/initrd.img" \
      --arg disk "$OUTDIR/base.qcow2" --arg cmdline "$CMDLINE" \
      --arg kernelVersion "$kver" --arg diskVersion "$DISK_VERSION" \
      '{kernel:$kernel, initrd:$initrd, disk:$disk, cmdline:$cmdline,
        kernelVersion:$kernelVersion, diskVersion:$diskVersion}' > "$OUTDIR/image.json.tmp"
mv -f "$OUTDIR/image.json.tmp" "$OUTDIR/image.json"
echo "$stamp" > "$OUTDIR/.stamp"
log "built $OUTDIR (kernel $kver, initrd $(du -k "$OUTDIR/initrd.img" | cut -f1) KiB)"
