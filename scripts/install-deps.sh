#!/usr/bin/env bash
# Install the Debian packages Vireo's lab, guest image and browser tests need.
# Idempotent and fast: dpkg-query is checked first, and apt-get (update + install)
# only runs when something is actually missing, so this is <1 s on a ready machine.
set -euo pipefail

PACKAGES=(
  # hypervisor stack (no systemd here: the lab starts the daemons itself)
  libvirt-daemon-system libvirt-daemon-driver-qemu qemu-system-x86 qemu-utils
  libvirt-clients libvirt-dbus dbus
  # libvirt NAT/isolated networks: DHCP and DNS (nwfilter uses iptables/ebtables, already present)
  dnsmasq-base iptables
  # guest image build (busybox initramfs) and XML checks
  cpio busybox-static libxml2-utils
  # bootable guest disks (BIOS: syslinux MBR + FAT; UEFI: systemd's EFI stub, GPT, OVMF),
  # written without loop mounts (mtools, sfdisk); NoCloud seed ISOs
  syslinux syslinux-common mtools dosfstools fdisk systemd-boot-efi ovmf genisoimage
  # lab networking / namespaces / process handling
  iproute2 util-linux procps jq kmod gzip coreutils
  # browser tests
  chromium chromium-driver fonts-dejavu-core
  # PostgreSQL, the second supported database (VIREO_DATABASE=postgres; db tests run on both)
  postgresql
)

missing=()
for p in "${PACKAGES[@]}"; do
  # db:Status-Status is "installed" only for fully configured packages.
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages (${missing[*]}) and not root; run as root" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
