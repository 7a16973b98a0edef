#!/usr/bin/env bash
# Bring Vireo up on this machine with its defaults: Debian packages, npm packages, database,
# guest image, a lab of 3 libvirt hosts, one agent per host, the manager, an admin and the
# default templates (the bootable disk ones are imported once the hosts are online).
# Idempotent: a second run only starts what is not running.
set -euo pipefail
source "$(dirname "$0")/lib/stack.sh"

STACK_NAME=${VIREO_LAB_NAME:-vireo}
STACK_SUBNET=${VIREO_LAB_SUBNET:-10.77.0}
STACK_HOSTS=${VIREO_LAB_HOSTS:-3}
STACK_PORT=${VIREO_PORT:-3000}
STACK_DIR="$REPO/var/$STACK_NAME"
mkdir -p "$STACK_DIR"
# VIREO_MANAGERS=2: two managers on PostgreSQL behind nginx (README, "Several managers").
export STACK_MANAGERS=${VIREO_MANAGERS:-1}
PROXY_PORT=${VIREO_PROXY_PORT:-8080}
if [ "$STACK_MANAGERS" -gt 1 ]; then
  [ "${VIREO_DATABASE:-postgres}" = postgres ] || { log "several managers need VIREO_DATABASE=postgres"; exit 1; }
  export VIREO_DATABASE=postgres
fi

[ "$(id -u)" = 0 ] || { log "run as root (the lab creates network namespaces)"; exit 1; }
start=$(date +%s)
bash "$REPO/scripts/install-deps.sh" >&2
ensure_node_modules
ensure_db
ensure_guest_image
ensure_lab

# The admin password is made once, kept readable by root only, and printed on every run.
pwfile="$STACK_DIR/admin-password"
if [ -n "${VIREO_ADMIN_PASSWORD:-}" ]; then
  printf '%s' "$VIREO_ADMIN_PASSWORD" >"$pwfile"
elif [ ! -f "$pwfile" ]; then
  (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$pwfile")
fi
chmod 600 "$pwfile"
(cd "$REPO" && VIREO_ADMIN_PASSWORD="$(cat "$pwfile")" tsx_node prisma/seed.ts >&2)

ensure_web_build
# HA fencing: the lab's fence agent (lab/fence/fence_vireo_lab) besides the system's.
export VIREO_FENCE_AGENT_DIRS="${VIREO_FENCE_AGENT_DIRS:-$REPO/lab/fence:/usr/sbin:/usr/local/sbin}"
start_managers
start_agents
wait_hosts_online "$STACK_HOSTS"
seed_disk_templates "$(cat "$pwfile")" >&2
url="http://127.0.0.1:$STACK_PORT"
if [ "$STACK_MANAGERS" -gt 1 ]; then
  ensure_proxy_installed
  start_proxy "$PROXY_PORT" "$(manager_port 1)" "$(manager_port 2)"
  url="http://127.0.0.1:$PROXY_PORT   (nginx in front of managers on ports $(manager_port 1) and $(manager_port 2))"
fi

# A stack of another name stops with that name, or `npm run down` would stop the default one.
stop_cmd="npm run down"
[ "$STACK_NAME" = vireo ] || stop_cmd="VIREO_LAB_NAME=$STACK_NAME npm run down"

cat <<TXT

  Vireo is up ($(( $(date +%s) - start )) s).
  URL:      $url
            (agents reach the managers at $(agent_manager_urls 0))
  Login:    admin / $(cat "$pwfile")
  Logs:     $STACK_DIR/manager*.log, $STACK_DIR/agents/*/agent.log
  Stop:     ${stop_cmd}

TXT
