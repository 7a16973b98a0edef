#!/usr/bin/env bash
# The whole suite: lint, type-check, unit tests, and the lab tests (a fresh lab of 3 libvirt
# hosts with real QEMU guests, agents, the manager) plus the browser tests in Chromium.
# Uses its own lab (vtest, 10.78.0.0/24), port and database, so it can run beside `npm run up`.
#
# For development: `bash scripts/test.sh FILE...` runs only those test files (lint and type-check
# are skipped then); VIREO_TEST_STACK, VIREO_TEST_SUBNET and VIREO_TEST_PORT give a second lab
# (e.g. vdev1, 10.79.0, 3101) so two developers on one machine do not stop each other's stack.
# VIREO_DATABASE=postgres runs the manager (and the database tests) on PostgreSQL; the whole suite
# also runs the database tests (packages/db/test) once more on the other database.
set -euo pipefail
source "$(dirname "$0")/lib/stack.sh"

export STACK_NAME=${VIREO_TEST_STACK:-vtest} STACK_SUBNET=${VIREO_TEST_SUBNET:-10.78.0} STACK_HOSTS=3
export STACK_PORT=${VIREO_TEST_PORT:-3100}
export STACK_DIR="$REPO/var/$STACK_NAME"
ADMIN_PASSWORD=vireo-test-admin-pw

[ "$(id -u)" = 0 ] || { log "run as root (the lab creates network namespaces)"; exit 1; }
t0=$(date +%s)
bash "$REPO/scripts/install-deps.sh" >&2
ensure_node_modules
cd "$REPO"

typecheck_pid='' typecheck_log=$(mktemp)
if [ $# -eq 0 ]; then
  log "lint"
  npx biome check . >&2
  log "type-check (beside the lab's start)"
  bash scripts/prisma.sh generate >/dev/null # the db package's types come from the generated client
  npx turbo run typecheck --output-logs=errors-only >"$typecheck_log" 2>&1 &
  typecheck_pid=$!
fi

# A fresh stack every run: stale processes of an earlier run are stopped by their PIDs first.
stop_stack 2>/dev/null || true
rm -rf "$STACK_DIR" && mkdir -p "$STACK_DIR"
ensure_db
export VIREO_TEST_DATABASE=${VIREO_DATABASE:-sqlite}
if [ "$VIREO_TEST_DATABASE" = postgres ] || [ $# -eq 0 ]; then
  ensure_postgres
  VIREO_TEST_POSTGRES_URL=$(postgres_url postgres) && export VIREO_TEST_POSTGRES_URL
fi
ensure_guest_image
ensure_lab
# A full run puts the lab files of SHARD_B on a second stack of their own, at the same time as the
# rest: most lab tests wait on guests and timeouts, so one stream leaves the two cores half idle
# (measured: 52 % busy). Its lab is made now, before any browser runs: a new network interface
# makes a running Chromium fail its navigations (net::ERR_NETWORK_CHANGED).
# VIREO_TEST_SHARDS=1 runs everything on one stack as before.
SHARD_B_STACK=${STACK_NAME}b SHARD_B_SUBNET=${VIREO_TEST_SUBNET_B:-10.76.0} SHARD_B_PORT=$((STACK_PORT + 50))
sharded=0
[ $# -eq 0 ] && [ "${VIREO_TEST_SHARDS:-2}" = 2 ] && sharded=1
if [ $sharded = 1 ]; then (export STACK_NAME=$SHARD_B_STACK STACK_SUBNET=$SHARD_B_SUBNET && ensure_lab); fi
(VIREO_ADMIN_PASSWORD=$ADMIN_PASSWORD tsx_node prisma/seed.ts >"$STACK_DIR/seed.log")
if [ -n "$typecheck_pid" ]; then
  # Waited for before the web build: `next build` writes apps/web/.next/types, which tsc reads.
  wait "$typecheck_pid" || { cat "$typecheck_log" >&2; log "type-check failed"; exit 1; }
  log "type-check passed"
  export VIREO_TYPECHECKED=1 # so `next build` does not check the same types again
fi
rm -f "$typecheck_log"
ensure_web_build

# An interrupted run also ends the second stack's run (it stops its own stack on its way out).
cleanup() {
  [ -n "${shard_pid:-}" ] && kill "$shard_pid" 2>/dev/null
  stop_stack >/dev/null 2>&1 || true
}
trap cleanup EXIT

export VIREO_STATS_INTERVAL_MS=2000 VIREO_SHUTDOWN_TIMEOUT_S=30 VIREO_CONSOLE_TICKET_TTL_S=5
# tests/lab/snapshot-schedule.test.ts waits for the ticker; 2 s keeps that short.
export VIREO_SNAPSHOT_TICK_S=2
# tests/lab/leases.test.ts moves the lease sweep's clock with this file (an offset in ms; the
# manager honours it only because this variable is set) and waits for the sweep: 2 s ticks.
export VIREO_TEST_CLOCK_FILE="$STACK_DIR/test-clock-offset-ms" VIREO_LEASE_TICK_S=2
# Showback metering every 5 s, so tests/e2e/showback-ui.test.ts sees real figures soon.
export VIREO_METER_TICK_S=5
# tests/lab/edge.test.ts plays a TLS reverse proxy from this loopback address.
export VIREO_TRUSTED_PROXIES=127.0.0.5
# tests/lab/metrics.test.ts scrapes /metrics with this token (a fixed test value, 40 characters).
export VIREO_METRICS_TOKEN=vireo-test-metrics-token-0123456789abcde
# tests/lab/alerts.test.ts receives the alert webhook on this loopback port (the stack's port + 1000,
# so parallel stacks do not collide) and checks the signature made with this fixed test secret.
export VIREO_TEST_WEBHOOK_PORT=$((STACK_PORT + 1000))
export VIREO_ALERT_WEBHOOK_URL="http://127.0.0.1:$VIREO_TEST_WEBHOOK_PORT/vireo-alerts"
export VIREO_ALERT_WEBHOOK_SECRET=vireo-test-alert-webhook-secret-0123
# HA fencing: the lab's fence agent (lab/fence/fence_vireo_lab) besides the system's.
export VIREO_FENCE_AGENT_DIRS="$REPO/lab/fence:/usr/sbin:/usr/local/sbin"
# Single sign-on: tests/e2e/sso-ui.test.ts starts a real OIDC provider (oidc-provider) on this
# loopback port; the manager reads its discovery document only at the first SSO login.
export VIREO_TEST_OIDC_PORT=$((STACK_PORT + 1100))
export VIREO_OIDC_ISSUER="http://127.0.0.1:$VIREO_TEST_OIDC_PORT" VIREO_OIDC_CLIENT_ID=vireo-test
export VIREO_OIDC_CLIENT_SECRET=vireo-test-oidc-secret-0123456789 VIREO_OIDC_NAME="Test SSO"
export VIREO_OIDC_REDIRECT_BASE="http://127.0.0.1:$STACK_PORT" VIREO_OIDC_SCOPES="openid profile email groups"
export VIREO_OIDC_GROUP_ROLES="vireo-admins=admin,dev-team=member@project:sso-dev,ops=operator"
start_manager
start_agents
wait_hosts_online "$STACK_HOSTS"
seed_disk_templates "$ADMIN_PASSWORD" >>"$STACK_DIR/seed.log"
log "stack ready after $(( $(date +%s) - t0 )) s; running tests"

export VIREO_TEST_URL="http://127.0.0.1:$STACK_PORT" VIREO_TEST_ADMIN_PASSWORD=$ADMIN_PASSWORD
export VIREO_TEST_LAB_JSON="$LAB_JSON" VIREO_TEST_STACK_DIR="$STACK_DIR" VIREO_TEST_ARTIFACTS="$REPO/test-artifacts"
mkdir -p "$VIREO_TEST_ARTIFACTS"

shopt -s nullglob
if [ $# -gt 0 ]; then files=("$@"); else
  files=(packages/*/test/*.test.ts apps/*/test/*.test.ts tests/lab/*.test.ts tests/e2e/*.test.ts tests/cluster/*.test.ts)
fi
# The second stack's files: lab tests only (no browser), about 920 s of the 1900 s, chosen by
# their measured times (the slowest-files list at the end of a run) so both streams end together.
SHARD_B=(tests/lab/ha-*.test.ts tests/lab/snapshots.test.ts tests/lab/templates.test.ts
  tests/lab/vm-migrate*.test.ts tests/lab/migrate-*.test.ts tests/lab/lifecycle-verbs.test.ts
  tests/lab/vm-edit*.test.ts tests/lab/vm-network.test.ts tests/lab/maintenance*.test.ts
  tests/lab/agent-crash.test.ts tests/lab/impostor.test.ts tests/lab/volume-crash.test.ts
  tests/lab/reconcile.test.ts tests/lab/alerts.test.ts tests/lab/vm-nic-hotplug.test.ts tests/lab/vm-clone.test.ts)
in_shard_b() { local f; for f in "${SHARD_B[@]}"; do [ "$f" = "$1" ] && return 0; done; return 1; }
# tests/cluster/* need several managers: they run last, on a stack of their own (below). On a
# full run the unit tests (packages/*/test, apps/*/test except *-lab ones) need no lab: they run
# in the background beside the lab tests, which mostly wait on guests.
single=() cluster=() unit=() shard_b=()
for f in "${files[@]}"; do
  if [ $sharded = 1 ] && in_shard_b "$f"; then shard_b+=("$f") && continue; fi
  case "$f" in
  tests/cluster/*) cluster+=("$f") ;;
  *-lab.test.ts | tests/*) single+=("$f") ;;
  *) if [ $# -eq 0 ]; then unit+=("$f"); else single+=("$f"); fi ;;
  esac
done

# run_tests TAP FILE...: the node test runner, spec to stdout, TAP to the file for the totals.
run_tests() {
  local tap=$1
  shift
  node --import tsx --test --test-concurrency=1 --test-timeout=300000 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tap" \
    --test-reporter=./tests/support/file-times-reporter.mjs --test-reporter-destination="$tap.times" "$@"
}
set +e
status=0
other_pid=''
if [ $# -eq 0 ]; then
  # In the background, one file at a time: the unit tests, then the database tests once more on
  # the other database. Their reports are printed once they end.
  other=$([ "$VIREO_TEST_DATABASE" = postgres ] && echo sqlite || echo postgres)
  log "unit tests, then database tests on $other (beside the lab tests)"
  (
    node --import tsx --test --test-concurrency=1 --test-reporter=spec \
      --test-reporter-destination="$STACK_DIR/unit.log" --test-reporter=tap \
      --test-reporter-destination="$STACK_DIR/results-unit.tap" "${unit[@]}" >/dev/null 2>&1
    a=$?
    VIREO_TEST_DATABASE=$other node --import tsx --test --test-concurrency=1 --test-reporter=spec \
      --test-reporter-destination="$STACK_DIR/db-$other.log" --test-reporter=tap \
      --test-reporter-destination="$STACK_DIR/results-$other.tap" packages/db/test/*.test.ts >/dev/null 2>&1
    b=$?
    [ $a -eq 0 ] && [ $b -eq 0 ]
  ) &
  other_pid=$!
fi
shard_pid='' shard_dir="$REPO/var/$SHARD_B_STACK"
if [ ${#shard_b[@]} -gt 0 ]; then
  log "${#shard_b[@]} lab test files on a second stack ($SHARD_B_STACK, port $SHARD_B_PORT) at the same time"
  rm -f "$shard_dir/results.tap"
  VIREO_TEST_STACK=$SHARD_B_STACK VIREO_TEST_SUBNET=$SHARD_B_SUBNET VIREO_TEST_PORT=$SHARD_B_PORT \
    VIREO_SKIP_WEB_BUILD=1 bash scripts/test.sh "${shard_b[@]}" >"$STACK_DIR/shard-b.log" 2>&1 &
  shard_pid=$!
fi
if [ ${#single[@]} -gt 0 ]; then run_tests "$STACK_DIR/results.tap" "${single[@]}" || status=1; fi
if [ -n "$other_pid" ]; then
  wait "$other_pid" || status=1
  log "unit tests"
  cat "$STACK_DIR/unit.log"
  log "database tests on $other"
  cat "$STACK_DIR/db-$other.log"
fi
if [ ${#cluster[@]} -gt 0 ]; then
  # Two managers on PostgreSQL, each lab host's agent connected to a different one, on the same
  # lab hosts: the first stack's manager and agents stop, fresh ones enroll into a new database.
  log "several managers: two managers on PostgreSQL"
  for f in "$STACK_DIR"/agents/*/agent.pid "$STACK_DIR"/agents/*/ha-watchdog.pid "$STACK_DIR"/manager*.pid; do [ -e "$f" ] && stop_pidfile "$f"; done
  first_dir=$STACK_DIR
  export STACK_DIR="$first_dir/cluster" VIREO_DATABASE=postgres STACK_MANAGERS=2
  rm -rf "$STACK_DIR" && mkdir -p "$STACK_DIR"
  if (ensure_db && VIREO_ADMIN_PASSWORD=$ADMIN_PASSWORD tsx_node prisma/seed.ts >"$STACK_DIR/seed.log" &&
    start_managers && start_agents && wait_hosts_online "$STACK_HOSTS" && ensure_proxy_installed &&
    start_proxy $((STACK_PORT + 300)) "$(manager_port 2)" "$(manager_port 1)" backup); then
    # The proxy sends everything to manager 2 while it lives, then to manager 1 (a browser's
    # reconnect after manager 2 dies: tests/cluster).
    export VIREO_TEST_URL2="http://127.0.0.1:$(manager_port 2)" VIREO_TEST_STACK_DIR="$STACK_DIR"
    export VIREO_TEST_PROXY_URL="http://127.0.0.1:$((STACK_PORT + 300))"
    run_tests "$first_dir/results-cluster.tap" "${cluster[@]}" || status=1
  else
    status=1
    printf 'not ok 1 - the stack of two managers did not start (see %s)\n# fail 1\n' "$STACK_DIR" >"$first_dir/results-cluster.tap"
  fi
  for f in "$STACK_DIR"/agents/*/agent.pid "$STACK_DIR"/agents/*/ha-watchdog.pid "$STACK_DIR"/manager*.pid; do [ -e "$f" ] && stop_pidfile "$f"; done
  stop_proxy
  export STACK_DIR=$first_dir
fi
if [ -n "$shard_pid" ]; then
  wait "$shard_pid" || status=1
  shard_pid=''
  log "the second stack's lab tests ($SHARD_B_STACK)"
  cat "$STACK_DIR/shard-b.log"
  if [ -s "$shard_dir/results.tap" ]; then
    cp "$shard_dir/results.tap" "$STACK_DIR/results-shard-b.tap"
    # One slowest-files list for both stacks (the total line is each file's time added up).
    cat "$STACK_DIR/results.tap.times" "$shard_dir/results.tap.times" 2>/dev/null | grep -v ' in [0-9]* files$' |
      sort -rn | awk '{print; n += $1; c++} END {printf "%7.0f s  in %d files (two stacks at once)\n", n, c}' >"$STACK_DIR/times.tmp"
    mv "$STACK_DIR/times.tmp" "$STACK_DIR/results.tap.times"
  else
    status=1
    printf 'not ok 1 - the second stack did not start (see %s)\n# fail 1\n' "$STACK_DIR/shard-b.log" >"$STACK_DIR/results-shard-b.tap"
  fi
fi
set -e
cleanup
trap - EXIT
passed=$(cat "$STACK_DIR"/results*.tap | grep -c '^ok ' || true)
failed=$(cat "$STACK_DIR"/results*.tap | grep -c '^not ok ' || true)
pass=$(for f in "$STACK_DIR"/results*.tap; do sed -n 's/^# pass //p' "$f" | tail -1; done | awk '{n += $1} END {if (NR) print n}')
fail=$(for f in "$STACK_DIR"/results*.tap; do sed -n 's/^# fail //p' "$f" | tail -1; done | awk '{n += $1} END {if (NR) print n}')
# Where the time went: the slowest test files (the whole list is in $STACK_DIR/*.tap.times).
# No pipe into `head` here: under pipefail its early exit (SIGPIPE, 141) became the run's status.
if [ -s "$STACK_DIR/results.tap.times" ]; then
  log "slowest test files"
  awk '{ line[NR] = $0 } END { for (i = 1; i < NR && i <= 15; i++) print line[i]; print line[NR] }' "$STACK_DIR/results.tap.times"
fi
# Why each failed test failed, last, so a log cut to its end still says it.
if [ "${fail:-$failed}" != 0 ]; then log "failed tests"; node tests/support/tap-failures.mjs "$STACK_DIR"/results*.tap || true; fi
echo "total time $(( $(date +%s) - t0 )) s"
echo "${pass:-$passed} passed, ${fail:-$failed} failed"
exit $status
