# Shared by up.sh and test.sh: bring up (idempotently) a lab, the manager and one agent per lab
# host. Every process started here has its PID recorded under $STACK_DIR, and only those PIDs
# are ever stopped. Source this file, set the variables below, then call the functions.
#
#   STACK_NAME   lab name (also names the state directory)   e.g. vireo / vtest
#   STACK_SUBNET first three octets of the lab subnet          e.g. 10.77.0
#   STACK_HOSTS  number of lab hosts                           e.g. 2
#   STACK_PORT   manager port                                  e.g. 3000
#   STACK_DIR    state directory (db, pids, logs, agent state)
#   VIREO_DATABASE  sqlite (default: $STACK_DIR/vireo.db) or postgres (database vireo_<stack> in
#                the local PostgreSQL, see lib/postgres.sh)

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
IMAGE_DIR=/var/lib/vireo-lab/images
LAB_STATE_ROOT=/var/lib/vireo-lab

# Nothing phones home: air-gapped datacenters run this, and so does CI.
export TURBO_TELEMETRY_DISABLED=1 NEXT_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 CHECKPOINT_DISABLE=1

# Each line says how long the script has run, so slow steps show in CI logs.
log() { printf '\033[1m[vireo %ss]\033[0m %s\n' "$SECONDS" "$*" >&2; }

source "$REPO/scripts/lib/postgres.sh"
source "$REPO/scripts/lib/proxy.sh"

# Node from the repo, with tsx, so TypeScript runs as is.
tsx_node() { node --import tsx "$@"; }

# A killed process whose parent is gone stays a zombie here (PID 1 of a container need not reap
# it), and kill -0 still succeeds on a zombie: it counts as dead.
pid_alive() {
  [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" != Z ]
}

pidfile_alive() { [ -f "$1" ] && pid_alive "$(cat "$1")"; }

ensure_node_modules() {
  local stamp="$REPO/node_modules/.vireo-lock-hash" want
  want=$(sha256sum "$REPO/package-lock.json" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return; fi
  # `npm install`, not `npm ci`: npm 11 writes lock files without some platform-specific
  # optional packages (turbo's darwin/windows builds) and then `npm ci` refuses them as out of
  # sync. `npm install` still installs the locked versions.
  log "installing npm packages"
  (cd "$REPO" && npm install --no-audit --no-fund --loglevel=error)
  sha256sum "$REPO/package-lock.json" | cut -d' ' -f1 >"$stamp"
}

# The stack's database URL. Worked out from VIREO_DATABASE each time (not from DATABASE_URL, which
# callers such as stack-ctl.sh may have set to the SQLite default), so every process of the
# stack opens the same database.
stack_database_url() {
  case "${VIREO_DATABASE:-sqlite}" in
    sqlite) echo "file:$STACK_DIR/vireo.db" ;;
    postgres) postgres_url "vireo_${STACK_NAME//[^A-Za-z0-9_]/_}" ;;
    *) log "VIREO_DATABASE must be sqlite or postgres"; return 1 ;;
  esac
}

# The PostgreSQL database belongs to the stack like its SQLite file: a state directory without
# the marker (new, or wiped by test.sh for a fresh run) gets a new, empty database.
ensure_db() {
  DATABASE_URL=$(stack_database_url)
  export DATABASE_URL
  if [ "${VIREO_DATABASE:-sqlite}" = postgres ]; then
    ensure_postgres
    if [ ! -f "$STACK_DIR/postgres-db" ]; then
      recreate_postgres_db "vireo_${STACK_NAME//[^A-Za-z0-9_]/_}"
      echo "$DATABASE_URL" >"$STACK_DIR/postgres-db"
    fi
  fi
  bash "$REPO/scripts/prisma.sh" generate >/dev/null
  (cd "$REPO" && tsx_node packages/db/src/migrate-cli.ts >/dev/null)
}

ensure_guest_image() {
  bash "$REPO/lab/guest/build-image.sh" "$IMAGE_DIR" >&2
  export VIREO_TEMPLATE_IMAGE_JSON="$IMAGE_DIR/image.json"
}

ensure_lab() {
  bash "$REPO/lab/lab.sh" up --name "$STACK_NAME" --hosts "$STACK_HOSTS" --subnet "$STACK_SUBNET" >&2
  LAB_JSON="$LAB_STATE_ROOT/$STACK_NAME/lab.json"
}

# lab_field EXPR: evaluates a JS expression over the lab.json object `lab`.
lab_field() { node -e "const lab=JSON.parse(require('fs').readFileSync('$LAB_JSON','utf8'));console.log($1)"; }

ensure_web_build() {
  # For developers iterating on the server side only: reuse the existing build.
  if [ "${VIREO_SKIP_WEB_BUILD:-}" = 1 ] && [ -f "$REPO/apps/web/.next/BUILD_ID" ]; then return; fi
  (cd "$REPO" && npx turbo run build --filter=@vireo/web --output-logs=errors-only >&2)
}

# Several managers (STACK_MANAGERS=2, PostgreSQL only): manager N listens on manager_port N.
manager_port() { if [ "${1:-1}" = 1 ]; then echo "$STACK_PORT"; else echo $((STACK_PORT + 200 * ($1 - 1))); fi; }
manager_suffix() { [ "${1:-1}" = 1 ] || echo "$1"; }
manager_url() { echo "http://$(lab_field lab.gateway):$(manager_port "${1:-1}")"; }

# Every manager of the stack shares one secret (made once, root-readable only).
cluster_secret() {
  local f="$STACK_DIR/cluster-secret"
  [ -f "$f" ] || (umask 077 && head -c 32 /dev/urandom | base64 | tr -d '/+=' >"$f")
  cat "$f"
}

# start_manager [N]: manager N (default 1) of the stack.
start_manager() {
  local n=${1:-1} sfx port pidfile log secret=""
  sfx=$(manager_suffix "$n"); port=$(manager_port "$n")
  pidfile="$STACK_DIR/manager$sfx.pid"; log="$STACK_DIR/manager$sfx.log"
  if pidfile_alive "$pidfile"; then return; fi
  [ "${STACK_MANAGERS:-1}" -gt 1 ] && secret=$(cluster_secret)
  log "starting manager $n on port $port"
  rm -f "$pidfile"
  # Detached into its own session (-f: setsid forks and returns at once), the process records
  # its own PID, then becomes the server by exec, so the PID file names the server itself.
  (cd "$REPO/apps/web" && VIREO_PORT="$port" DATABASE_URL="$(stack_database_url)" PIDFILE="$pidfile" \
    VIREO_CLUSTER_SECRET="$secret" VIREO_DEFAULT_POOL_PATH="$(lab_field lab.sharedDir)/pool-default" setsid -f bash -c 'echo $$ >"$PIDFILE"; exec node --import tsx server.ts' \
    </dev/null >>"$log" 2>&1)
  for _ in $(seq 1 50); do [ -s "$pidfile" ] && break; sleep 0.1; done
  local url="http://127.0.0.1:$port/api/trpc/auth.me"
  for _ in $(seq 1 150); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then return; fi
    pidfile_alive "$pidfile" || { tail -30 "$log" >&2; log "manager $n failed to start"; return 1; }
    sleep 0.2
  done
  log "manager $n did not answer within 30 s"; tail -30 "$log" >&2; return 1
}

start_managers() {
  for n in $(seq 1 "${STACK_MANAGERS:-1}"); do start_manager "$n"; done
}

# The managers an agent dials, its own first: agent INDEX starts at manager INDEX mod N, so the
# hosts spread over the managers; it moves to the next one when its manager goes away.
agent_manager_urls() {
  local i=$1 m=${STACK_MANAGERS:-1} list=() k
  for k in $(seq 0 $((m - 1))); do list+=("$(manager_url $(((i + k) % m + 1)))"); done
  (IFS=,; echo "${list[*]}")
}

# start_agent INDEX: one agent inside lab host INDEX (0-based), entering the host by its PID.
start_agent() {
  local i=$1 name hostpid state pidfile token=""
  name=$(lab_field "lab.hosts[$i].name")
  hostpid=$(lab_field "lab.hosts[$i].pid")
  state="$STACK_DIR/agents/$name"
  pidfile="$state/agent.pid"
  mkdir -p "$state"
  if pidfile_alive "$pidfile"; then return; fi
  if [ ! -f "$state/credential.json" ]; then
    token=$(cd "$REPO" && DATABASE_URL="$(stack_database_url)" tsx_node scripts/enrollment-token.ts)
  fi
  log "starting the agent on $name"
  rm -f "$pidfile"
  (cd "$REPO" && VIREO_MANAGER_URL="$(agent_manager_urls "$i")" VIREO_ENROLLMENT_TOKEN="$token" \
    VIREO_AGENT_STATE_DIR="$state" VIREO_VM_STORAGE_DIR="$(lab_field lab.sharedDir)/vms" \
    VIREO_IMAGE_IMPORT_DIRS="$(lab_field lab.sharedDir)/import,$IMAGE_DIR" \
    VIREO_STATS_INTERVAL_MS="${VIREO_STATS_INTERVAL_MS:-10000}" VIREO_MIGRATION_TRANSPORT=tcp \
    PIDFILE="$pidfile" HOSTPID="$hostpid" REPO="$REPO" setsid -f bash -c \
      'echo $$ >"$PIDFILE"; exec nsenter -t "$HOSTPID" -m -n -u --wd="$REPO" node --import tsx apps/agent/src/main.ts' \
      </dev/null >>"$state/agent.log" 2>&1)
  for _ in $(seq 1 50); do [ -s "$pidfile" ] && break; sleep 0.1; done
}

start_agents() {
  local n
  n=$(lab_field lab.hosts.length)
  for i in $(seq 0 $((n - 1))); do start_agent "$i"; done
}

# wait_hosts_online N: until N hosts are online in the manager (checked through its API).
wait_hosts_online() {
  (cd "$REPO" && VIREO_URL="http://127.0.0.1:$STACK_PORT" tsx_node scripts/wait-hosts.ts "$1")
}

# The bootable disk templates (imported by an agent into the `default` pool); needs hosts online.
# Idempotent: quick when the templates already use this guest build's volumes.
seed_disk_templates() {
  (cd "$REPO" && VIREO_URL="http://127.0.0.1:$STACK_PORT" VIREO_ADMIN_PASSWORD="$1" tsx_node scripts/seed-templates.ts)
}

stop_pidfile() {
  local f=$1 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if pid_alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do pid_alive "$pid" || break; sleep 0.1; done
    pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

stop_stack() {
  # Each agent's HA watchdog (apps/agent/src/ha/watchdog.ts) outlives it by design: stopped here.
  for f in "$STACK_DIR"/agents/*/agent.pid "$STACK_DIR"/agents/*/ha-watchdog.pid; do [ -e "$f" ] && stop_pidfile "$f"; done
  for f in "$STACK_DIR"/manager*.pid; do [ -e "$f" ] && stop_pidfile "$f"; done
  stop_proxy
  bash "$REPO/lab/lab.sh" down --name "$STACK_NAME" >&2 || true
}
