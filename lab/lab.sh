#!/usr/bin/env bash
# Vireo multi-host lab: N independent libvirt "hosts" on one machine.
#
#   lab/lab.sh up     [--name vireo] [--hosts 2] [--subnet 10.77.0]
#   lab/lab.sh down   [--name vireo] [--purge]
#   lab/lab.sh status [--name vireo] [--json]
#   lab/lab.sh exec   [--name vireo] HOST -- CMD...     (HOST = vireo-h1, h1 or 1)
#   lab/lab.sh restart-libvirtd [--name vireo] HOST     (guests keep running; prints the new pid)
#   lab/lab.sh refresh-pids [--name vireo] HOST         (after daemons were restarted by hand)
#   lab/lab.sh poweroff|poweron|power [--name vireo] HOST (HA tests: SIGKILL everything in the
#             host's netns and mark it off / boot its daemons again / print on or off)
#
# Each host = network namespace (veth into the lab bridge, SUBNET.(10+i)/24)
#           + mount namespace with per-host /run, /var/lib/libvirt, /var/cache/libvirt,
#             /var/log/libvirt, /etc/libvirt and a copy of /dev without kvm (see hide_kvm:
#             a visible /dev/kvm that does not work makes libvirt re-probe qemu on every
#             define), hence `namespaces = []` in qemu.conf (lab/README.md, quirks 1-2),
#           running its own dbus-daemon, virtlogd, virtlockd (lock manager: a disk runs on
#             one host at a time), libvirtd (--listen, TCP without auth: LAB ONLY) and libvirt-dbus.
# The bridge gets SUBNET.1/24 in the root netns, so a manager listening there is reachable
# from every host. State lives in /var/lib/vireo-lab/NAME (lab.json, per-host dirs, shared/).
# Only PIDs recorded by `up` (and processes inside the lab's own netns) are ever killed.
set -euo pipefail

LAB_ROOT=${VIREO_LAB_ROOT:-/var/lib/vireo-lab}
SELF=$(readlink -f "${BASH_SOURCE[0]}")

die() { echo "lab: $*" >&2; exit 1; }
log() { echo "lab: $*" >&2; }

# ---------------------------------------------------------------- argument parsing
CMD=${1:-}; [[ $# -gt 0 ]] && shift
NAME=vireo HOSTS=2 SUBNET=10.77.0 PURGE=0 JSON=0 EXEC_HOST="" EXEC_ARGS=()
if [[ "$CMD" != __host-init ]]; then
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --name) NAME=$2; shift 2 ;;
      --hosts) HOSTS=$2; shift 2 ;;
      --subnet) SUBNET=$2; shift 2 ;;
      --purge) PURGE=1; shift ;;
      --json) JSON=1; shift ;;
      --) shift; EXEC_ARGS=("$@"); break ;;
      -*) die "unknown option $1" ;;
      *) [[ -z "$EXEC_HOST" ]] || die "unexpected argument $1"; EXEC_HOST=$1; shift ;;
    esac
  done
  [[ "$NAME" =~ ^[a-z][a-z0-9-]{0,19}$ ]] || die "--name must match ^[a-z][a-z0-9-]{0,19}\$"
  [[ "$HOSTS" =~ ^[1-9][0-9]?$ ]] || die "--hosts must be 1..99"
  [[ "$SUBNET" =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] || die "--subnet must look like 10.77.0"
fi

STATE=$LAB_ROOT/$NAME
SHARED=$STATE/shared
CAPS_CACHE=$LAB_ROOT/.cache/qemu-capabilities
# Interface names are limited to 15 chars: derive a short tag from the name.
SHORT=$(tr -cd 'a-z0-9' <<<"$NAME")
if [[ ${#SHORT} -gt 9 ]]; then SHORT=${SHORT:0:5}$(md5sum <<<"$NAME" | cut -c1-4); fi
BRIDGE=${SHORT}br0

host_name() { echo "$NAME-h$1"; }
veth_name() { echo "${SHORT}h$1"; }          # root-netns end; the host end is "eth0"
host_dir() { echo "$STATE/hosts/$(host_name "$1")"; }

# netns inode of a pid ("" if gone); used to make sure a recorded PID still belongs to
# the lab before signalling it (PIDs get reused).
ns_of_pid() { stat -L -c %i "/proc/$1/ns/net" 2>/dev/null || true; }
ns_of_netns() { stat -L -c %i "/run/netns/$1" 2>/dev/null || true; }

# host_alive I: pids.env loaded and its keeper still lives in the host's netns.
host_alive() {
  load_pids "$1" || return 1
  local ino; ino=$(ns_of_netns "$(host_name "$1")")
  [[ -n "$ino" && -n "$P_KEEPER" && "$(ns_of_pid "$P_KEEPER")" == "$ino" ]]
}

# Read a host's pids.env (written by __host-init) into variables prefixed with P_.
load_pids() {
  P_KEEPER="" P_DBUS="" P_VIRTLOGD="" P_VIRTLOCKD="" P_LIBVIRTD="" P_LIBVIRTDBUS="" P_HOSTUUID="" P_NETNS_INODE=""
  local f; f="$(host_dir "$1")/pids.env"
  [[ -f "$f" ]] || return 1
  # shellcheck disable=SC1090
  source "$f"
}

# ---------------------------------------------------------------- host init (inside ns)
# Runs as: ip netns exec NS unshare -m --propagation private -- lab.sh __host-init STATE HOST
# The process ends by exec'ing `sleep infinity`, which stays as the "keeper" whose PID is
# used with nsenter to enter the host later (a netns entered via `ip netns exec` has a
# mount namespace of its own that is not reachable any other way).
# /dev/kvm exists on these machines but does not work. Binding /dev/null over it is not
# enough: libvirt then thinks KVM "should be usable now", declares its qemu capabilities
# cache outdated on every lookup and re-probes qemu (~2 s) about 12 times per define
# (measured: 25-40 s per `virsh define`; log: "KVM was not enabled when probing ...,
# but it should be usable now"). libvirt only treats KVM as absent when stat("/dev/kvm")
# fails with ENOENT, so give the host a /dev without it: a tmpfs copy of /dev (device
# nodes copied, /dev/pts and /dev/shm bind-mounted so ptys stay the same) moved over /dev.
hide_kvm() {
  local hd=$1 newdev=$1/devroot e name
  [[ -e /dev/kvm ]] || return 0
  mkdir -p "$newdev"
  mount -t tmpfs -o mode=755,nosuid tmpfs "$newdev"
  for e in /dev/* /dev/.[!.]*; do
    [[ -e "$e" || -L "$e" ]] || continue
    name=${e#/dev/}
    [[ "$name" == kvm ]] && continue
    if mountpoint -q "$e"; then
      mkdir -p "$newdev/$name"
      mount --rbind "$e" "$newdev/$name"
    else
      cp -a "$e" "$newdev/"
    fi
  done
  mount --move "$newdev" /dev
}

host_init() {
  local state=$1 host=$2
  local hd=$state/hosts/$host
  exec >>"$hd/host.log" 2>&1 </dev/null
  echo "=== $(date -Is) host-init $host pid $$"
  mount --bind "$hd/run" /run
  mount --bind "$hd/lib" /var/lib/libvirt
  mount --bind "$hd/cache" /var/cache/libvirt
  mount --bind "$hd/log" /var/log/libvirt
  mount --bind "$hd/etc" /etc/libvirt
  hide_kvm "$hd"
  # Lab host names resolve inside the lab (libvirt looks its own hostname up on every
  # connection and migration cookies carry it).
  mount --bind "$hd/hosts" /etc/hosts
  mkdir -p /run/dbus /run/libvirt /run/lock
  # Own UTS namespace (unshare -u): libvirt reports distinct hostnames per host.
  hostname "$host"

  dbus-daemon --system --fork
  virtlogd -d -p /run/virtlogd.pid
  # Before libvirtd: its lockd plugin connects to /run/libvirt/virtlockd-sock (qemu-lockd.conf).
  virtlockd -d -p /run/virtlockd.pid
  libvirtd -d --listen -p /run/libvirtd.pid
  local i
  for i in $(seq 1 300); do
    virsh -q -c qemu:///system version >/dev/null 2>&1 && break
    sleep 0.1
  done
  virsh -q -c qemu:///system version >/dev/null 2>&1 || { echo "libvirtd did not answer"; exit 1; }
  # setpriv execs (unlike runuser, which stays as parent), so $! is libvirt-dbus itself.
  # --init-groups picks up the libvirt group that grants access to libvirt-sock.
  setsid setpriv --reuid=libvirtdbus --regid=libvirtdbus --init-groups -- \
    libvirt-dbus --system >>"$hd/libvirt-dbus.log" 2>&1 </dev/null &
  local ldpid=$!
  for i in $(seq 1 100); do
    busctl --system get-property org.libvirt /org/libvirt/QEMU org.libvirt.Connect LibVersion \
      >/dev/null 2>&1 && break
    sleep 0.1
  done
  busctl --system get-property org.libvirt /org/libvirt/QEMU org.libvirt.Connect LibVersion \
    || { echo "libvirt-dbus did not answer"; exit 1; }

  cat >"$hd/pids.env.tmp" <<EOF
P_KEEPER=$$
P_DBUS=$(cat /run/dbus/pid)
P_VIRTLOGD=$(cat /run/virtlogd.pid)
P_VIRTLOCKD=$(cat /run/virtlockd.pid)
P_LIBVIRTD=$(cat /run/libvirtd.pid)
P_LIBVIRTDBUS=$ldpid
P_HOSTUUID=$(cat "$hd/host_uuid")
P_NETNS_INODE=$(stat -L -c %i /proc/self/ns/net)
EOF
  mv "$hd/pids.env.tmp" "$hd/pids.env"
  echo "=== ready"
  exec sleep infinity
}

# ---------------------------------------------------------------- health
# Healthy = lab.json present, bridge present, every host's keeper alive in its netns,
# libvirtd answering and libvirt-dbus alive.
lab_healthy() {
  [[ -f "$STATE/lab.json" ]] || return 1
  ip link show "$BRIDGE" >/dev/null 2>&1 || return 1
  local n; n=$(jq '.hosts|length' "$STATE/lab.json")
  [[ "$n" == "$HOSTS" ]] || return 1
  [[ "$(jq -r .subnet "$STATE/lab.json")" == "$SUBNET" ]] || return 1
  local i
  for ((i = 1; i <= HOSTS; i++)); do
    host_alive "$i" || return 1
    [[ "$(ns_of_pid "$P_LIBVIRTDBUS")" == "$P_NETNS_INODE" ]] || return 1
    # `virsh hostname` is a cheap RPC (`version` takes ~2 s: it probes the qemu binary).
    timeout 10 nsenter -t "$P_KEEPER" -m -n -- virsh -q -c qemu:///system hostname >/dev/null 2>&1 || return 1
  done
}

# ---------------------------------------------------------------- down
kill_pid_in_ns() {  # kill_pid_in_ns PID NETNS_INODE: only if the pid still lives in that netns
  local pid=$1 ino=$2
  [[ -n "$pid" && -n "$ino" ]] || return 0
  [[ "$(ns_of_pid "$pid")" == "$ino" ]] || return 0
  kill "$pid" 2>/dev/null || true
}

lab_down() {
  local i hn ino pid hosts_seen=()
  # Hosts: from the per-host dirs that exist (covers a lab whose lab.json was never written)
  # plus any netns named like ours.
  if [[ -d "$STATE/hosts" ]]; then
    for d in "$STATE"/hosts/"$NAME"-h*; do [[ -d "$d" ]] && hosts_seen+=("${d##*-h}"); done
  fi
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
    [[ "$ns" =~ ^${NAME}-h([0-9]+)$ ]] && hosts_seen+=("${BASH_REMATCH[1]}")
  done
  mapfile -t hosts_seen < <(printf '%s\n' "${hosts_seen[@]}" | sort -un | sed '/^$/d')

  for i in "${hosts_seen[@]}"; do
    hn=$(host_name "$i")
    ino=$(ns_of_netns "$hn")
    load_pids "$i" || true
    [[ -n "$ino" ]] || ino=$P_NETNS_INODE
    # 1. Guests first, through libvirt, so qemu exits cleanly.
    if [[ -n "$P_KEEPER" && -n "$ino" && "$(ns_of_pid "$P_KEEPER")" == "$ino" ]]; then
      for dom in $(timeout 10 nsenter -t "$P_KEEPER" -m -n -- virsh -q -c qemu:///system list --name 2>/dev/null || true); do
        timeout 10 nsenter -t "$P_KEEPER" -m -n -- virsh -q -c qemu:///system destroy "$dom" >/dev/null 2>&1 || true
      done
    fi
    # 2. The daemons we recorded, then the keeper.
    for pid in "$P_LIBVIRTDBUS" "$P_LIBVIRTD" "$P_VIRTLOCKD" "$P_VIRTLOGD" "$P_DBUS" "$P_KEEPER"; do
      kill_pid_in_ns "$pid" "$ino"
    done
    # 3. Anything still living in this host's netns belongs to the lab (qemu left behind by
    #    a dead libvirtd, an agent started with `lab.sh exec`, ...): TERM, then KILL.
    if [[ -n "$ino" ]]; then
      local sig left
      for sig in TERM TERM TERM KILL; do
        left=()
        for p in /proc/[0-9]*; do
          pid=${p#/proc/}
          [[ "$pid" == "$$" ]] && continue
          [[ "$(ns_of_pid "$pid")" == "$ino" ]] && left+=("$pid")
        done
        ((${#left[@]} == 0)) && break
        kill -s "$sig" "${left[@]}" 2>/dev/null || true
        sleep 0.3
      done
    fi
    ip link del "$(veth_name "$i")" 2>/dev/null || true
    ip netns del "$hn" 2>/dev/null || true
    rm -f "$(host_dir "$i")/pids.env"
  done
  ip link del "$BRIDGE" 2>/dev/null || true
  rm -f "$STATE/lab.json"
  if [[ $PURGE == 1 ]]; then
    rm -rf "$STATE"
  fi
}

# ---------------------------------------------------------------- up
prepare_host_dir() {  # prepare_host_dir I : per-host dirs and libvirt config
  local i=$1 hd; hd=$(host_dir "$i")
  mkdir -p "$hd"/{lib,cache,log,etc}
  # /run starts empty on every boot of the host, like a real tmpfs /run.
  rm -rf "$hd/run"; mkdir -p "$hd/run"
  if [[ ! -f "$hd/.seeded" ]]; then
    # /etc/libvirt: the machine's config, minus anything that would start extra things
    # (the autostarted default NAT network would spawn dnsmasq) or belong to someone else.
    cp -a /etc/libvirt/. "$hd/etc/"
    rm -f "$hd"/etc/qemu/*.xml "$hd"/etc/qemu/autostart/* "$hd"/etc/qemu/networks/autostart/* \
          "$hd"/etc/storage/*.xml "$hd"/etc/storage/autostart/* 2>/dev/null || true
    # /var/lib/libvirt: only the directory skeleton (with its owners/modes).
    (cd /var/lib/libvirt && find . -type d) | while read -r d; do
      mkdir -p "$hd/lib/$d"
      chown --reference="/var/lib/libvirt/$d" "$hd/lib/$d"
      chmod --reference="/var/lib/libvirt/$d" "$hd/lib/$d"
    done
    touch "$hd/.seeded"
  fi
  # /etc/hosts for inside the host: the machine's entries plus every host of this lab.
  { cat /etc/hosts; echo "# vireo lab $NAME"; for ((j = 1; j <= HOSTS; j++)); do
      echo "$SUBNET.$((10 + j)) $(host_name "$j")"; done; } >"$hd/hosts"
  # qemu capabilities: probing qemu-system-x86_64 takes 25-40 s here (TCG) and otherwise
  # happens on the first define on every new host. The cache is valid for any host on
  # this machine (same binaries, kernel, CPU), so seed it from the lab-wide copy.
  mkdir -p "$hd/cache/qemu/capabilities"
  cp -n "$CAPS_CACHE"/*.xml "$hd/cache/qemu/capabilities/" 2>/dev/null || true
  # Stable per-host UUID (libvirt refuses to migrate between hosts with the same UUID).
  [[ -s "$hd/host_uuid" ]] || cat /proc/sys/kernel/random/uuid >"$hd/host_uuid"
  # Rewritten on every up so the config always matches this script.
  cat >"$hd/etc/libvirtd.conf" <<EOF
# Generated by lab/lab.sh for lab host $(host_name "$i"). LAB ONLY: unauthenticated TCP.
host_uuid = "$(cat "$hd/host_uuid")"
# No polkit here: let group libvirt (libvirtdbus is a member) use the rw socket.
unix_sock_group = "libvirt"
unix_sock_ro_perms = "0777"
unix_sock_rw_perms = "0770"
auth_unix_ro = "none"
auth_unix_rw = "none"
listen_tcp = 1
listen_tls = 0
auth_tcp = "none"
tcp_port = "16509"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
  cat >"$hd/etc/qemu.conf" <<EOF
# Generated by lab/lab.sh. qemu runs as root so it can read images in the shared dir
# regardless of owner; there is no AppArmor/SELinux on these machines.
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
vnc_listen = "127.0.0.1"
spice_listen = "127.0.0.1"
# No private /dev per qemu: libvirt's namespace setup fails on our /dev copy (see
# hide_kvm) with "Unable to move /dev/pts mount to /run/libvirt/qemu/N-NAME.pts:
# Invalid argument". Common setting in containers; qemu then uses the host's /dev.
namespaces = []
# Host names (vireo-h1...) do not resolve: tell migration sources to use our lab address.
migration_host = "$SUBNET.$((10 + i))"
EOF
  # High availability: with libvirt's lock manager, virtlockd holds a lock on every disk of a
  # running domain, so the same VM started on a second host is refused. Opt-in
  # (VIREO_LAB_LOCK_MANAGER=lockd): libvirt 9.0's ACPI reboot (a "fake reboot" in the same QEMU)
  # cannot take its own disk leases back ("Lockspace resource ... is locked") and kills the
  # guest instead, seen in the lab. Without it, QEMU's own image locks (OFD locks on the disk
  # file, always on) still refuse a second QEMU on a disk a running one holds.
  if [[ "${VIREO_LAB_LOCK_MANAGER:-}" == lockd ]]; then
    echo 'lock_manager = "lockd"' >>"$hd/etc/qemu.conf"
  fi
  chmod 600 "$hd/etc/qemu.conf"
  # Direct locks (no lockspace dir): virtlockd takes an fcntl lock on the disk file itself.
  # The hosts share one kernel and the shared dir is the same inode on every host, so a lock
  # taken in one host's namespaces is seen by all, with nothing else shared; a host killed
  # (poweroff) loses its virtlockd and with it its locks, as a real host would.
  cat >"$hd/etc/qemu-lockd.conf" <<EOF
# Generated by lab/lab.sh.
auto_disk_leases = 1
require_lease_for_disks = 1
EOF
  rm -f "$hd/pids.env" "$hd/host.log.prev"
  [[ -f "$hd/host.log" ]] && mv "$hd/host.log" "$hd/host.log.prev"
  : >"$hd/host.log"
}

lab_up() {
  if lab_healthy; then
    log "lab $NAME already up"
    cat "$STATE/lab.json"
    return 0
  fi
  if [[ -e "$STATE/lab.json" ]] || compgen -G "$STATE/hosts/*/pids.env" >/dev/null \
     || ip link show "$BRIDGE" >/dev/null 2>&1 || ip netns list | grep -q "^$NAME-h[0-9]"; then
    log "lab $NAME is stale or partially up: cleaning"
    lab_down
  fi
  # Another interface (e.g. another lab) already owning this subnet would break routing.
  if ip -4 -o addr show | awk '{print $4}' | grep -q "^${SUBNET//./\\.}\.[0-9]*/"; then
    die "subnet $SUBNET.0/24 is already in use: $(ip -4 -o addr show | grep " ${SUBNET}\." | awk '{print $2}' | head -n1)"
  fi

  # The guest image (kernel/initrd/base disk/boot disks) is built once per machine, offline;
  # again when an older image.json has no boot disks yet.
  if ! jq -e '.bootDisks.uefi' "$LAB_ROOT/images/image.json" >/dev/null 2>&1; then
    "$(dirname "$SELF")/guest/build-image.sh" "$LAB_ROOT/images"
  fi

  # libvirt-dbus connects to libvirt-sock, which is root:libvirt 0770.
  id -nG libvirtdbus | tr ' ' '\n' | grep -qx libvirt || usermod -aG libvirt libvirtdbus

  mkdir -p "$SHARED"/templates "$SHARED"/vms
  # qemu runs as root in the lab, but keep the shared tree traversable anyway.
  chmod 755 "$LAB_ROOT" "$STATE" "$SHARED" "$SHARED"/templates "$SHARED"/vms

  ip link add "$BRIDGE" type bridge
  ip addr add "$SUBNET.1/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up

  local i hn hd pids=()
  for ((i = 1; i <= HOSTS; i++)); do
    hn=$(host_name "$i")
    prepare_host_dir "$i"
    ip netns add "$hn"
    ip link add "$(veth_name "$i")" type veth peer name eth0 netns "$hn"
    ip link set "$(veth_name "$i")" master "$BRIDGE" up
    ip -n "$hn" link set lo up
    ip -n "$hn" addr add "$SUBNET.$((10 + i))/24" dev eth0
    ip -n "$hn" link set eth0 up
    # setsid: the host must not die with this shell's session or a Ctrl-C.
    setsid ip netns exec "$hn" unshare -m -u --propagation private -- \
      "$SELF" __host-init "$STATE" "$hn" </dev/null >/dev/null 2>&1 9>&- &
    pids+=($!)
  done

  # Hosts boot in parallel; wait until each wrote its pids.env (libvirtd + dbus answering).
  local deadline=$((SECONDS + 60))
  for ((i = 1; i <= HOSTS; i++)); do
    hd=$(host_dir "$i")
    while [[ ! -f "$hd/pids.env" ]]; do
      if ! kill -0 "${pids[$((i - 1))]}" 2>/dev/null || ((SECONDS > deadline)); then
        log "host $(host_name "$i") failed to start; log:"; tail -n 20 "$hd/host.log" >&2
        lab_down
        exit 1
      fi
      sleep 0.1
    done
  done

  warm_caps

  # lab.json: written last, so its presence means "up".
  local hosts_json="[]"
  for ((i = 1; i <= HOSTS; i++)); do
    load_pids "$i"
    hd=$(host_dir "$i")
    hosts_json=$(jq --arg name "$(host_name "$i")" --arg address "$SUBNET.$((10 + i))" \
      --argjson pid "$P_KEEPER" --argjson libvirtdPid "$P_LIBVIRTD" --argjson dbusPid "$P_DBUS" \
      --argjson virtlogdPid "$P_VIRTLOGD" --argjson virtlockdPid "${P_VIRTLOCKD:-0}" --argjson libvirtDbusPid "$P_LIBVIRTDBUS" \
      --arg hostUuid "$P_HOSTUUID" --arg veth "$(veth_name "$i")" --arg hostDir "$hd" \
      '. + [{name:$name, address:$address, pid:$pid, libvirtdPid:$libvirtdPid, dbusPid:$dbusPid,
             virtlogdPid:$virtlogdPid, virtlockdPid:$virtlockdPid, libvirtDbusPid:$libvirtDbusPid, hostUuid:$hostUuid,
             netns:$name, veth:$veth, hostDir:$hostDir,
             libvirtUri:("qemu+tcp://" + $address + "/system"),
             libvirtSocket:($hostDir + "/run/libvirt/libvirt-sock"),
             dbusSocket:($hostDir + "/run/dbus/system_bus_socket"),
             varLibLibvirt:($hostDir + "/lib"),
             logDir:($hostDir + "/log")}]' <<<"$hosts_json")
  done
  jq -n --arg name "$NAME" --arg bridge "$BRIDGE" --arg subnet "$SUBNET" \
    --arg gateway "$SUBNET.1" --arg sharedDir "$SHARED" --arg stateDir "$STATE" \
    --arg imagesDir "$LAB_ROOT/images" --argjson hosts "$hosts_json" \
    --argjson image "$(cat "$LAB_ROOT/images/image.json" 2>/dev/null || echo null)" \
    '{name:$name, bridge:$bridge, subnet:$subnet, gateway:$gateway, sharedDir:$sharedDir,
      stateDir:$stateDir, imagesDir:$imagesDir, image:$image, hosts:$hosts}' >"$STATE/lab.json.tmp"
  mv "$STATE/lab.json.tmp" "$STATE/lab.json"
  cat "$STATE/lab.json"
}

# Make sure every host has a probed x86_64 capabilities cache: probe once in host 1 if the
# lab-wide cache has none, then share. libvirtd reads a host's cache file lazily at the
# first define, so copying files in after it started is fine.
warm_caps() {
  local hd1 i; hd1=$(host_dir 1)
  mkdir -p "$CAPS_CACHE"
  if ! grep -qs '<emulator>/usr/bin/qemu-system-x86_64<' "$hd1"/cache/qemu/capabilities/*.xml; then
    log "probing qemu capabilities once (25-40 s; cached in $CAPS_CACHE for later labs)"
    load_pids 1
    timeout 180 nsenter -t "$P_KEEPER" -m -n -- \
      virsh -q -c qemu:///system domcapabilities --virttype qemu --arch x86_64 >/dev/null \
      || log "warning: capabilities probe failed; the first define will be slow"
  fi
  local f
  for f in "$hd1"/cache/qemu/capabilities/*.xml; do   # tmp + mv: other labs may be reading
    [[ -f "$f" ]] || continue
    cp -f "$f" "$CAPS_CACHE/.$(basename "$f").$$" && mv -f "$CAPS_CACHE/.$(basename "$f").$$" "$CAPS_CACHE/$(basename "$f")"
  done
  for ((i = 2; i <= HOSTS; i++)); do
    cp -n "$CAPS_CACHE"/*.xml "$(host_dir "$i")/cache/qemu/capabilities/" 2>/dev/null || true
  done
}

# ---------------------------------------------------------------- restart-libvirtd
# Like `systemctl restart libvirtd` on a real host: libvirtd gets SIGTERM (running guests keep
# running; the new daemon reconnects to them) and a new one starts in the host's namespaces.
# dbus, libvirt-dbus and the keeper (lab.json hosts[].pid, a `sleep`, never libvirtd) are left
# alone, so libvirt-dbus keeps its dead libvirt connection until its next call, as in production.
# pids.env and lab.json get the new pid, so `down` stops the right process.
restart_libvirtd() {
  local i=$1 hd old new n
  hd=$(host_dir "$i")
  old=$(cat "$hd/run/libvirtd.pid" 2>/dev/null || echo "$P_LIBVIRTD")
  if [[ -n "$old" && "$(ns_of_pid "$old")" == "$P_NETNS_INODE" ]]; then
    kill "$old"
    for n in $(seq 1 150); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
    ! kill -0 "$old" 2>/dev/null || die "libvirtd $old did not stop within 15 s"
  fi
  rm -f "$hd/run/libvirtd.pid"
  nsenter -t "$P_KEEPER" -m -n -u --wd=/ -- libvirtd -d --listen -p /run/libvirtd.pid \
    </dev/null >/dev/null 2>&1 9>&-
  for n in $(seq 1 300); do
    timeout 10 nsenter -t "$P_KEEPER" -m -n -- virsh -q -c qemu:///system hostname >/dev/null 2>&1 && break
    sleep 0.1
  done
  new=$(cat "$hd/run/libvirtd.pid" 2>/dev/null || true)
  [[ -n "$new" && "$new" != "$old" ]] || die "libvirtd did not come back on $(host_name "$i")"
  sed -i "s/^P_LIBVIRTD=.*/P_LIBVIRTD=$new/" "$hd/pids.env"
  jq --argjson i "$((i - 1))" --argjson pid "$new" '.hosts[$i].libvirtdPid = $pid' "$STATE/lab.json" \
    >"$STATE/lab.json.tmp"
  mv "$STATE/lab.json.tmp" "$STATE/lab.json"
  echo "$new"
}

# refresh_pids I: record the daemons a host runs now (a test restarted some of them by hand):
# dbus and libvirtd from their pidfiles, libvirt-dbus as the owner of org.libvirt on the bus.
refresh_pids() {
  local i=$1 hd dbus ld ldbus
  hd=$(host_dir "$i")
  dbus=$(cat "$hd/run/dbus/pid")
  ld=$(cat "$hd/run/libvirtd.pid")
  ldbus=$(nsenter -t "$P_KEEPER" -m -n -- busctl --system call org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus GetConnectionUnixProcessID s org.libvirt | awk '{print $2}')
  [[ -n "$dbus" && -n "$ld" && -n "$ldbus" ]] || die "$(host_name "$i"): dbus, libvirtd or libvirt-dbus is not running"
  sed -i -e "s/^P_DBUS=.*/P_DBUS=$dbus/" -e "s/^P_LIBVIRTD=.*/P_LIBVIRTD=$ld/" \
    -e "s/^P_LIBVIRTDBUS=.*/P_LIBVIRTDBUS=$ldbus/" "$hd/pids.env"
  jq --argjson i "$((i - 1))" --argjson d "$dbus" --argjson l "$ld" --argjson b "$ldbus" \
    '.hosts[$i].dbusPid = $d | .hosts[$i].libvirtdPid = $l | .hosts[$i].libvirtDbusPid = $b' \
    "$STATE/lab.json" >"$STATE/lab.json.tmp"
  mv "$STATE/lab.json.tmp" "$STATE/lab.json"
}

# ---------------------------------------------------------------- power (HA tests)
# poweroff I: a power cut. Every process in the host's netns (agent, libvirtd, virtlockd, QEMUs)
# gets SIGKILL at once, nothing is shut down cleanly; the netns and veth stay so poweron can
# boot the host again. `off` in the host dir marks it.
power_off() {
  local i=$1 hd ino pid left p
  hd=$(host_dir "$i")
  ino=$(ns_of_netns "$(host_name "$i")")
  [[ -n "$ino" ]] || die "host $(host_name "$i") has no netns (is lab $NAME up?)"
  touch "$hd/off"
  for _ in 1 2 3 4 5; do
    left=()
    for p in /proc/[0-9]*; do
      pid=${p#/proc/}
      [[ "$pid" == "$$" ]] && continue
      [[ "$(ns_of_pid "$pid")" == "$ino" ]] && left+=("$pid")
    done
    ((${#left[@]} == 0)) && break
    kill -s KILL "${left[@]}" 2>/dev/null || true
    sleep 0.2
  done
  # What a power cut takes with it besides processes: the network devices libvirt made (bridges,
  # taps) and its firewall rules. The netns and its eth0 stay for poweron; left behind, a bridge
  # makes libvirt's autostarted networks fail to start on the next boot ("already in use").
  local hn; hn=$(host_name "$i")
  for l in $(ip -n "$hn" -o link show | awk -F': ' '{print $2}' | cut -d@ -f1); do
    [[ "$l" == lo || "$l" == eth0 ]] || ip -n "$hn" link del "$l" 2>/dev/null || true
  done
  for t in filter nat mangle; do
    ip netns exec "$hn" iptables -t "$t" -F 2>/dev/null || true
    ip netns exec "$hn" iptables -t "$t" -X 2>/dev/null || true
  done
  rm -f "$hd/pids.env"
  log "host $(host_name "$i") powered off"
}

# poweron I: boots a powered-off host's daemons again, as `up` does for one host (fresh /run).
# Agents are not the lab's: the harness that started one starts it again.
power_on() {
  local i=$1 hd hn pid deadline
  hd=$(host_dir "$i"); hn=$(host_name "$i")
  [[ -f "$STATE/lab.json" ]] || die "lab $NAME is not up"
  if host_alive "$i"; then log "host $hn is already on"; return 0; fi
  # The lab's own size and subnet, not this command's defaults (libvirtd.conf's migration_host
  # and the hosts file are written from them).
  HOSTS=$(jq '.hosts|length' "$STATE/lab.json")
  SUBNET=$(jq -r .subnet "$STATE/lab.json")
  prepare_host_dir "$i"
  setsid ip netns exec "$hn" unshare -m -u --propagation private -- \
    "$SELF" __host-init "$STATE" "$hn" </dev/null >/dev/null 2>&1 9>&- &
  pid=$!
  deadline=$((SECONDS + 60))
  while [[ ! -f "$hd/pids.env" ]]; do
    if ! kill -0 "$pid" 2>/dev/null || ((SECONDS > deadline)); then
      tail -n 20 "$hd/host.log" >&2; die "host $hn failed to start"
    fi
    sleep 0.1
  done
  load_pids "$i"
  rm -f "$hd/off"
  jq --argjson i "$((i - 1))" --argjson pid "$P_KEEPER" --argjson l "$P_LIBVIRTD" --argjson d "$P_DBUS" \
    --argjson vl "$P_VIRTLOGD" --argjson vk "${P_VIRTLOCKD:-0}" --argjson ld "$P_LIBVIRTDBUS" \
    '.hosts[$i] += {pid:$pid, libvirtdPid:$l, dbusPid:$d, virtlogdPid:$vl, virtlockdPid:$vk, libvirtDbusPid:$ld}' \
    "$STATE/lab.json" >"$STATE/lab.json.tmp"
  mv "$STATE/lab.json.tmp" "$STATE/lab.json"
  log "host $hn powered on"
}

resolve_host() {  # HOST given as vireo-h1, h1 or 1 -> index
  local h=$1
  if [[ "$h" =~ ^[0-9]+$ ]]; then echo "$h"
  elif [[ "$h" =~ ^h([0-9]+)$ ]]; then echo "${BASH_REMATCH[1]}"
  elif [[ "$h" =~ ^${NAME}-h([0-9]+)$ ]]; then echo "${BASH_REMATCH[1]}"
  else die "unknown host $h (use $NAME-h1, h1 or 1)"; fi
}

# ---------------------------------------------------------------- main
[[ $(id -u) -eq 0 ]] || die "must run as root"
case "$CMD" in
  __host-init) host_init "$1" "$2" ;;
  up)
    mkdir -p "$LAB_ROOT"
    # Serialise up/down of the same lab. Children must not inherit fd 9 (see 9>&- below),
    # or the long-lived host processes would hold the lock forever.
    exec 9>"$LAB_ROOT/.$NAME.lock"; flock 9
    lab_up ;;
  down)
    mkdir -p "$LAB_ROOT"
    exec 9>"$LAB_ROOT/.$NAME.lock"; flock 9
    lab_down
    if [[ $PURGE == 1 ]]; then log "lab $NAME down (purged)"; else log "lab $NAME down"; fi ;;
  exec)
    [[ -n "$EXEC_HOST" && ${#EXEC_ARGS[@]} -gt 0 ]] || die "usage: lab.sh exec --name NAME HOST -- CMD..."
    idx=$(resolve_host "$EXEC_HOST")
    host_alive "$idx" || die "host $(host_name "$idx") is not running; run: lab.sh up --name $NAME"
    exec nsenter -t "$P_KEEPER" -m -n -u -- "${EXEC_ARGS[@]}" ;;
  restart-libvirtd)
    [[ -n "$EXEC_HOST" ]] || die "usage: lab.sh restart-libvirtd --name NAME HOST"
    exec 9>"$LAB_ROOT/.$NAME.lock"; flock 9
    idx=$(resolve_host "$EXEC_HOST")
    host_alive "$idx" || die "host $(host_name "$idx") is not running; run: lab.sh up --name $NAME"
    restart_libvirtd "$idx" ;;
  refresh-pids)
    [[ -n "$EXEC_HOST" ]] || die "usage: lab.sh refresh-pids --name NAME HOST"
    exec 9>"$LAB_ROOT/.$NAME.lock"; flock 9
    idx=$(resolve_host "$EXEC_HOST")
    host_alive "$idx" || die "host $(host_name "$idx") is not running; run: lab.sh up --name $NAME"
    refresh_pids "$idx" ;;
  poweroff|poweron|power)
    [[ -n "$EXEC_HOST" ]] || die "usage: lab.sh $CMD --name NAME HOST"
    idx=$(resolve_host "$EXEC_HOST")
    [[ -d "$(host_dir "$idx")" ]] || die "no host $(host_name "$idx") in lab $NAME"
    if [[ $CMD == power ]]; then
      if host_alive "$idx"; then echo on; else echo off; fi
      exit 0
    fi
    mkdir -p "$LAB_ROOT"
    exec 9>"$LAB_ROOT/.$NAME.lock"; flock 9
    if [[ $CMD == poweroff ]]; then power_off "$idx"; else power_on "$idx"; fi ;;
  status)
    [[ -f "$STATE/lab.json" ]] || { echo "lab $NAME: down"; exit 3; }
    if [[ $JSON == 0 ]]; then cat "$STATE/lab.json"; fi
    rc=0 results="[]"
    n=$(jq '.hosts|length' "$STATE/lab.json")
    for ((i = 1; i <= n; i++)); do
      hn=$(host_name "$i"); state=down libvirt=no dbus=no
      if host_alive "$i"; then
        state=up
        v=$(timeout 10 nsenter -t "$P_KEEPER" -m -n -- virsh -q -c qemu:///system version 2>/dev/null \
              | awk '/Running hypervisor/ {print $3" "$4}' || true)
        [[ -n "$v" ]] && libvirt=$v
        timeout 10 nsenter -t "$P_KEEPER" -m -n -- busctl --system get-property org.libvirt \
          /org/libvirt/QEMU org.libvirt.Connect LibVersion >/dev/null 2>&1 && dbus=yes
      fi
      [[ $state == up && $libvirt != no && $dbus == yes ]] || rc=1
      if [[ $JSON == 1 ]]; then
        results=$(jq --arg n "$hn" --arg s "$state" --arg l "$libvirt" --arg d "$dbus" \
          '. + [{name:$n, state:$s, libvirt:$l, libvirtDbus:$d}]' <<<"$results")
      else
        echo "$hn: $state, libvirtd: $libvirt, libvirt-dbus: $dbus"
      fi
    done
    if [[ $JSON == 1 ]]; then jq --argjson h "$results" '. + {health:$h}' "$STATE/lab.json"; fi
    exit $rc ;;
  *) sed -n '2,8p' "$SELF" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
