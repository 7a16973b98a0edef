#!/usr/bin/env bash
# Build the tiny Vireo test guest, offline and idempotently:
#   OUTDIR/vmlinuz     Debian linux-image-*-cloud-amd64 kernel (direct kernel boot)
#   OUTDIR/initrd.img  busybox-static initramfs whose /init prints the READY banner
#   OUTDIR/base.qcow2  64 MiB data disk with a marker in sector 0 (use it as a backing file)
#   OUTDIR/boot-bios.qcow2  bootable disk: MBR + syslinux + the same kernel/initrd (BIOS)
#   OUTDIR/boot-uefi.qcow2  bootable disk: GPT + ESP with a unified kernel image (UEFI, OVMF)
#   OUTDIR/image.json  {"kernel","initrd","disk","cmdline","bootDisks","ovmf",...} absolute paths
#
# Usage: lab/guest/build-image.sh OUTDIR      (e.g. /var/lib/vireo-lab/images)
# Env:   VIREO_CACHE_DIR  where the kernel .deb is kept (default /var/cache/vireo-lab/debs)
#        FORCE=1          rebuild kernel/initrd even if the stamp matches
#
# The guest boots under TCG in a few seconds; see lab/README.md for the protocol it speaks
# on the serial line (READY / DISK / NET / CLOUDINIT / USERDATA / ALIVE / POWEROFF lines).
set -euo pipefail

OUTDIR=${1:?usage: build-image.sh OUTDIR}
CACHE_DIR=${VIREO_CACHE_DIR:-/var/cache/vireo-lab/debs}
# Bump DISK_VERSION only when the disk layout changes: regenerating base.qcow2 under
# existing overlays would silently change what they see, so the disk is never rebuilt
# just because this script changed.
DISK_VERSION="vireo-base-disk-v1"
DISK_SIZE=64M
CMDLINE="console=ttyS0,115200 loglevel=4 consoleblank=0"
# Same rule for the bootable disks (templates and linked clones use them as backing files):
# they carry their own copy of the kernel and initrd, so a change to /init reaches them only
# when this version is bumped.
BOOT_DISK_VERSION="vireo-boot-disk-v1"
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
SYSLINUX_MBR=/usr/lib/syslinux/mbr/mbr.bin
EFI_STUB=/usr/lib/systemd/boot/efi/linuxx64.efi.stub

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
stamp="kernel=$(basename "$deb") script=${script_sum} disk=${DISK_VERSION} boot=${BOOT_DISK_VERSION} cmdline=${CMDLINE}"
if [[ "${FORCE:-0}" != 1 && -f "$OUTDIR/.stamp" && "$(cat "$OUTDIR/.stamp")" == "$stamp" \
      && -s "$OUTDIR/vmlinuz" && -s "$OUTDIR/initrd.img" && -s "$OUTDIR/base.qcow2" && -s "$OUTDIR/image.json" \
      && -s "$OUTDIR/boot-bios.qcow2" && -s "$OUTDIR/boot-uefi.qcow2" ]]; then
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
# virtio_net: the NIC (udhcpc takes an address). cdrom/sr_mod/sd_mod/isofs/vfat/nls: the
# NoCloud seed (an ISO9660 CD-ROM or a FAT disk labelled cidata). The SCSI upper drivers load
# before the controller drivers so the controllers' (synchronous) scan already finds them:
# ata_piix = IDE on machine 'pc', virtio_scsi = a CD-ROM on bus='scsi' on any machine.
for m in virtio_net cdrom sr_mod sd_mod isofs vfat nls_cp437 nls_ascii nls_utf8 virtio_scsi ata_piix; do
  add_mod "$m"
done
# Not built by the cloud kernel flavour (no SATA/AHCI, no Intel e1000 NIC): loaded when present,
# so a generic kernel would get them; with the cloud kernel use virtio NICs and IDE/SCSI CD-ROMs.
for m in ahci e1000 e1000e; do
  if [[ -n "$(modpath "$m")" ]]; then add_mod "$m"; else log "module $m not in this kernel (skipped)"; fi
done
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
mkdir -p /run/net

# vireo.hostname=NAME on the kernel command line (the domain XML's <cmdline>); a NoCloud seed
# (below) wins over it. Boot disks have a fixed command line, so there it is vireo-guest.
HOST=vireo-guest
for arg in $(cat /proc/cmdline); do
  case "$arg" in vireo.hostname=?*) HOST="${arg#vireo.hostname=}" ;; esac
done
hostname "$HOST"

# Controller drivers probe synchronously inside insmod, so when this loop ends every disk and
# CD-ROM present at boot has its /dev node.
for m in $(cat /lib/modules/load-order); do insmod "/lib/modules/$m.ko" 2>/dev/null || true; done

SER=/dev/ttyS0
# Leading newline: the serial shell's prompt may be sitting on the current line.
ser() { printf '\n%s\n' "$*" > $SER 2>/dev/null || true; }

# Power button, set up BEFORE the READY line: a press that arrives while nobody has the
# evdev device open is lost, and tests press it (virsh shutdown) right after READY.
# The ACPI button driver exposes an input device named "Power Button"; any event on it is
# a press. Each watcher opens the device itself (fd 3) so we can check it is open.
poweroff_now() {
  ser "VIREO GUEST $(hostname) POWEROFF"
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

# NoCloud seed: a CD-ROM (ISO9660) or disk (FAT) labelled cidata/CIDATA. meta-data's
# local-hostname becomes the hostname (before READY, so READY and the banner carry it);
# user-data runs after READY (see run_userdata).
SEED=""
for label in cidata CIDATA; do
  dev=$(findfs "LABEL=$label" 2>/dev/null) || continue
  mkdir -p /run/cidata
  if mount -t iso9660 -o ro "$dev" /run/cidata 2>/dev/null || mount -t vfat -o ro "$dev" /run/cidata 2>/dev/null; then
    SEED=$dev
    break
  fi
done
if [ -n "$SEED" ]; then
  # meta-data is YAML; Vireo writes it as JSON (also YAML). Either way one line holds
  #   local-hostname: NAME   or   "local-hostname": "NAME",
  # Only an RFC 1123 label is taken; anything else is ignored.
  NAME=$(sed -n 's/^[[:space:]{,]*"\{0,1\}local-hostname"\{0,1\}[[:space:]]*:[[:space:]]*"\{0,1\}\([^"[:space:],}]*\).*/\1/p' \
           /run/cidata/meta-data 2>/dev/null | head -n1)
  if echo "$NAME" | grep -Eq '^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$'; then
    HOST=$NAME
    hostname "$HOST"
    ser "VIREO GUEST $HOST CLOUDINIT hostname=$NAME"
  else
    ser "VIREO GUEST $HOST CLOUDINIT hostname=none"
  fi
  [ -f /run/cidata/user-data ] && cp /run/cidata/user-data /run/user-data
  umount /run/cidata 2>/dev/null || true
fi

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

# Disk: a marker sector written at image build time, a boot counter 2048 sectors further
# (shows writes persist in the overlay / across snapshots). On base.qcow2 the marker is the
# whole disk's sector 0 (DISK vda ...); on the boot disks it is the start of partition 2
# (DISK vda2 ...), the bootloader owning sector 0. One line per marked device.
FOUND=""
for b in /sys/class/block/*; do
  dev=${b##*/}
  case "$dev" in vd*|sd*|hd*) ;; *) continue ;; esac
  [ -b "/dev/$dev" ] || continue
  MARK=$(dd if="/dev/$dev" bs=512 count=1 2>/dev/null | head -n1 | tr -cd 'A-Za-z0-9._ -')
  case "$MARK" in VIREO-BASE-DISK*|VIREO-BOOT-DISK*) ;; *) continue ;; esac
  BOOTS=$(dd if="/dev/$dev" bs=512 skip=2048 count=1 2>/dev/null | head -n1 | tr -cd '0-9')
  BOOTS=$(( ${BOOTS:-0} + 1 ))
  printf '%-511s\n' "$BOOTS" | dd of="/dev/$dev" bs=512 seek=2048 count=1 conv=notrunc 2>/dev/null
  sync
  ser "VIREO GUEST $HOST DISK $dev marker=$MARK boots=$BOOTS"
  FOUND=1
done
[ -n "$FOUND" ] || ser "VIREO GUEST $HOST DISK none"

# READY last: by now the power button is armed, the disk checked and the VGA screen
# painted, so a test may shut down or take a screenshot as soon as it sees this line.
ser "VIREO GUEST $HOST READY"

# Network, in the background: udhcpc on every NIC; /etc/udhcpc.script sets the address and
# prints the NET line; a NIC without a lease after ~4 s gets "NET <if> <mac> none", and udhcpc
# keeps trying in the background (a loaded host or a network just started can answer late; seen
# in the suite): a later lease prints its NET line then. udhcpc stays running to renew the lease.
NICS=""
for d in /sys/class/net/*; do
  IF=${d##*/}
  [ "$IF" = lo ] && continue
  NICS="$NICS $IF"
  ip link set "$IF" up 2>/dev/null
  ( udhcpc -i "$IF" -s /etc/udhcpc.script -t 4 -T 1 -A 2 -n -x "hostname:$HOST" >/dev/null 2>&1 \
      || { ser "VIREO GUEST $(hostname) NET $IF $(cat "$d/address") none"; touch "/run/net/$IF.done"
           exec udhcpc -i "$IF" -s /etc/udhcpc.script -T 2 -A 3 -x "hostname:$HOST" >/dev/null 2>&1; } ) &
done

# user-data after the network had its chance (cloud-init runs scripts late too): a "#!" script
# runs and each output line goes to serial; #cloud-config users/keys are acknowledged only
# (no sshd here); a multipart/mixed document (Vireo's, when both are given) is split first.
userdata_part() {
  f=$1
  case "$(head -c 2 "$f")" in
    '#!')
      chmod 755 "$f"
      ( "$f" 2>&1; echo "rc=$?" > "$f.rc" ) | tr -d '\r' | while IFS= read -r l; do
        ser "VIREO GUEST $(hostname) USERDATA $l"
      done
      ser "VIREO GUEST $(hostname) USERDATA-EXIT $(sed 's/rc=//' "$f.rc" 2>/dev/null)"
      ;;
    '#c')
      head -n1 "$f" | grep -q '^#cloud-config' || return 0
      USERS=$(sed -n 's/.*"\{0,1\}name"\{0,1\}[[:space:]]*:[[:space:]]*"\{0,1\}\([a-z_][a-z0-9_-]*\).*/\1/p' "$f" | tr '\n' ',' | sed 's/,$//')
      KEYS=$(grep -Eo '(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp[0-9]+|sk-[a-z0-9@.-]+) [A-Za-z0-9+/=]+' "$f" | wc -l)
      ser "VIREO GUEST $(hostname) CLOUDCONFIG users=${USERS:-none} ssh-keys=$KEYS not-applied (no sshd in this guest)"
      ;;
  esac
}
run_userdata() {
  i=0
  while [ $i -lt 80 ]; do
    n=0
    for IF in $NICS; do [ -e "/run/net/$IF.done" ] && n=$((n+1)); done
    [ $n -ge $(echo $NICS | wc -w) ] && break
    sleep 0.1; i=$((i+1))
  done
  if head -n1 /run/user-data | grep -qi '^content-type: *multipart/mixed'; then
    B=$(head -n1 /run/user-data | sed -n 's/.*boundary="\{0,1\}\([^";]*\)"\{0,1\}.*/\1/p')
    # Parts: after each "--B" line, headers up to a blank line, then the body.
    awk -v b="--$B" -v out=/run/user-data.part '
      { sub(/\r$/, "") }
      $0 == b || $0 == b "--" { n++; body = 0; next }
      n > 0 && !body { if ($0 == "") body = 1; next }
      n > 0 && body { print > (out n) }' /run/user-data
    for p in /run/user-data.part*; do [ -f "$p" ] && userdata_part "$p"; done
  else
    userdata_part /run/user-data
  fi
}
[ -f /run/user-data ] && run_userdata &

# A root shell on the serial line (virsh console) for debugging (ping works from it); respawned.
( while true; do setsid sh -c "exec sh -i <$SER >$SER 2>&1"; sleep 1; done ) &

# Serial heartbeat, useful to see a guest keep running across migration/snapshot revert.
( n=0; while true; do sleep 10; n=$((n+10)); ser "VIREO GUEST $(hostname) ALIVE ${n}s"; done ) &

# Reap children and keep PID 1 alive; 'wait' returns early when USR1 arrives.
while true; do wait; sleep 1; done
INIT
chmod 755 "$root/init"

# udhcpc calls this with $1 = deconfig|bound|renew|leasefail|nak and the lease in the env
# (ip, mask = prefix length, router, dns, interface).
cat > "$root/etc/udhcpc.script" <<'UDHCPC'
#!/bin/sh
case "$1" in
  deconfig)
    ip -4 addr flush dev "$interface"
    ip link set "$interface" up
    ;;
  bound|renew)
    if ! ip -4 addr show dev "$interface" | grep -q "inet $ip/$mask "; then
      ip -4 addr flush dev "$interface"
      ip addr add "$ip/$mask" dev "$interface"
      for r in $router; do ip route replace default via "$r" dev "$interface"; break; done
      : > /etc/resolv.conf
      for s in $dns; do echo "nameserver $s" >> /etc/resolv.conf; done
      printf '\n%s\n' "VIREO GUEST $(hostname) NET $interface $(cat "/sys/class/net/$interface/address") $ip/$mask" > /dev/ttyS0
    fi
    touch "/run/net/$interface.done"
    ;;
esac
exit 0
UDHCPC
chmod 755 "$root/etc/udhcpc.script"

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

# --- bootable disks -------------------------------------------------------------------------
# 64 MiB each: partition 1 (1..49 MiB) FAT with the bootloader, kernel and initrd; partition 2
# (49..57 MiB) "vireo-data": marker sector + boot counter, like base.qcow2 (see /init).
# Everything is written into the image file directly (sfdisk, mkfs.fat --offset, mtools with
# "image@@offset", syslinux --offset): no loop devices or mounts.
# Rebuilt only if missing or BOOT_DISK_VERSION changed: overlays may sit on top of them.
ESP_START=2048 ESP_SECTORS=$((48 * 2048)) DATA_START=$((49 * 2048)) DATA_SECTORS=$((8 * 2048))
boot_marker() {   # boot_marker RAW FLAVOUR: marker + counter at the start of partition 2
  printf 'VIREO-BOOT-DISK %s %s\n' "$BOOT_DISK_VERSION" "$2" | dd of="$1" bs=512 seek=$DATA_START conv=notrunc status=none
  printf '%-511s\n' 0 | dd of="$1" bs=512 seek=$((DATA_START + 2048)) conv=notrunc status=none
}
make_fat() {      # make_fat RAW LABEL: FAT16 filesystem in partition 1
  mkfs.fat -F 16 -n "$2" --offset $ESP_START "$1" $((ESP_SECTORS / 2)) 2>&1 >/dev/null | grep -v 'block count mismatch' >&2 || true
}
build_bios_disk() {
  local raw=$work/boot-bios.raw img="$work/boot-bios.raw@@$((ESP_START * 512))"
  qemu-img create -q -f raw "$raw" "$DISK_SIZE"
  printf 'label: dos\n%s,%s,0e,*\n%s,%s,83\n' $ESP_START $ESP_SECTORS $DATA_START $DATA_SECTORS | sfdisk -q "$raw"
  dd if="$SYSLINUX_MBR" of="$raw" bs=440 count=1 conv=notrunc status=none
  make_fat "$raw" VIREOBOOT
  syslinux --offset $((ESP_START * 512)) --install "$raw"
  printf '%s\n' 'DEFAULT vireo' 'PROMPT 0' 'TIMEOUT 0' 'LABEL vireo' '  LINUX /vmlinuz' \
    '  INITRD /initrd.img' "  APPEND $CMDLINE" > "$work/syslinux.cfg"
  MTOOLS_SKIP_CHECK=1 mcopy -i "$img" "$work/vmlinuz" "$work/initrd.img" "$work/syslinux.cfg" ::/
  boot_marker "$raw" bios
  qemu-img convert -q -f raw -O qcow2 "$raw" "$work/boot-bios.qcow2"
}
build_uefi_disk() {
  local raw=$work/boot-uefi.raw img="$work/boot-uefi.raw@@$((ESP_START * 512))" uki=$work/BOOTX64.EFI
  # Unified kernel image: systemd's EFI stub + .osrel/.cmdline/.linux/.initrd sections placed
  # after the stub's last section, each aligned to the stub's SectionAlignment. OVMF runs it
  # from the removable-media path \EFI\BOOT\BOOTX64.EFI, so no NVRAM boot entry is needed.
  printf '%s' "$CMDLINE" > "$work/cmdline.txt"
  printf 'ID=vireo\nNAME="Vireo test guest"\nVERSION_ID=%s\n' "$BOOT_DISK_VERSION" > "$work/osrel.txt"
  local align end args=() sec file size
  align=$((16#$(objdump -p "$EFI_STUB" | awk '$1 == "SectionAlignment" {print $2}')))
  end=$(objdump -h "$EFI_STUB" | awk 'NF == 7 && $1 ~ /^[0-9]+$/ {s = $3; v = $4} END {print s, v}')
  end=$((16#${end% *} + 16#${end#* }))
  for sec in osrel:osrel.txt cmdline:cmdline.txt linux:vmlinuz initrd:initrd.img; do
    file=$work/${sec#*:}
    end=$(( (end + align - 1) / align * align ))
    args+=(--add-section ".${sec%%:*}=$file" --change-section-vma ".${sec%%:*}=$(printf '0x%x' $end)")
    size=$(stat -c %s "$file")
    end=$((end + size))
  done
  objcopy "${args[@]}" "$EFI_STUB" "$uki"
  qemu-img create -q -f raw "$raw" "$DISK_SIZE"
  printf 'label: gpt\nstart=%s, size=%s, type=U, name=ESP\nstart=%s, size=%s, type=L, name=vireo-data\n' $ESP_START $ESP_SECTORS $DATA_START $DATA_SECTORS | sfdisk -q "$raw"
  make_fat "$raw" VIREOESP
  MTOOLS_SKIP_CHECK=1 mmd -i "$img" ::/EFI ::/EFI/BOOT
  MTOOLS_SKIP_CHECK=1 mcopy -i "$img" "$uki" ::/EFI/BOOT/BOOTX64.EFI
  boot_marker "$raw" uefi
  qemu-img convert -q -f raw -O qcow2 "$raw" "$work/boot-uefi.qcow2"
}
if [[ ! -s "$OUTDIR/boot-bios.qcow2" || ! -s "$OUTDIR/boot-uefi.qcow2" \
      || "$(cat "$OUTDIR/.boot-disk-version" 2>/dev/null)" != "$BOOT_DISK_VERSION" ]]; then
  for f in "$SYSLINUX_MBR" "$EFI_STUB" "$OVMF_CODE" "$OVMF_VARS"; do
    [[ -f "$f" ]] || { log "$f missing: run scripts/install-deps.sh (syslinux-common, systemd-boot-efi, ovmf)"; exit 1; }
  done
  log "creating boot-bios.qcow2 and boot-uefi.qcow2 ($BOOT_DISK_VERSION)"
  build_bios_disk
  build_uefi_disk
  mv -f "$work/boot-bios.qcow2" "$OUTDIR/boot-bios.qcow2"
  mv -f "$work/boot-uefi.qcow2" "$OUTDIR/boot-uefi.qcow2"
  echo "$BOOT_DISK_VERSION" > "$OUTDIR/.boot-disk-version"
fi
chmod 644 "$OUTDIR/boot-bios.qcow2" "$OUTDIR/boot-uefi.qcow2"

mv -f "$work/vmlinuz" "$OUTDIR/vmlinuz"
mv -f "$work/initrd.img" "$OUTDIR/initrd.img"
chmod 644 "$OUTDIR/vmlinuz" "$OUTDIR/initrd.img"
jq -n --arg kernel "$OUTDIR/vmlinuz" --arg initrd "$OUTDIR/initrd.img" \
      --arg disk "$OUTDIR/base.qcow2" --arg cmdline "$CMDLINE" \
      --arg kernelVersion "$kver" --arg diskVersion "$DISK_VERSION" \
      --arg bios "$OUTDIR/boot-bios.qcow2" --arg uefi "$OUTDIR/boot-uefi.qcow2" \
      --arg bootDiskVersion "$BOOT_DISK_VERSION" --arg code "$OVMF_CODE" --arg vars "$OVMF_VARS" \
      '{kernel:$kernel, initrd:$initrd, disk:$disk, cmdline:$cmdline,
        kernelVersion:$kernelVersion, diskVersion:$diskVersion,
        bootDisks:{bios:$bios, uefi:$uefi}, bootDiskVersion:$bootDiskVersion,
        ovmf:{code:$code, varsTemplate:$vars}}' > "$OUTDIR/image.json.tmp"
mv -f "$OUTDIR/image.json.tmp" "$OUTDIR/image.json"
echo "$stamp" > "$OUTDIR/.stamp"
log "built $OUTDIR (kernel $kver, initrd $(du -k "$OUTDIR/initrd.img" | cut -f1) KiB)"
