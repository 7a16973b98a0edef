#!/usr/bin/env bash
# Small controls over a running stack, for tests and operators: start-agents (those not
# running), stop-agent HOSTNAME (by its recorded PID; KILL with --kill), stop-watchdog HOSTNAME
# (its HA watchdog, which outlives the agent), start-manager [N],
# stop-manager [N] [--kill] (N: which of several managers, default 1).
# Needs STACK_NAME and STACK_DIR (and STACK_PORT) as set by up.sh / test.sh.
set -euo pipefail
source "$(dirname "$0")/lib/stack.sh"
: "${STACK_NAME:?}" "${STACK_DIR:?}" "${STACK_PORT:?}"
LAB_JSON="$LAB_STATE_ROOT/$STACK_NAME/lab.json"
export DATABASE_URL="file:$STACK_DIR/vireo.db"
case "${1:-}" in
  start-agents) start_agents ;;
  start-manager) start_manager "${2:-1}" ;;
  stop-manager)
    pidfile="$STACK_DIR/manager$(manager_suffix "${2:-1}").pid"
    if [ "${3:-}" = "--kill" ]; then
      pid=$(cat "$pidfile"); kill -KILL "$pid"; rm -f "$pidfile"
      # Gone for real before returning (PID 1 may not reap it: a zombie counts as gone).
      for _ in $(seq 1 50); do pid_alive "$pid" || break; sleep 0.1; done
    else stop_pidfile "$pidfile"; fi ;;
  stop-agent)
    pidfile="$STACK_DIR/agents/${2:?host name}/agent.pid"
    if [ "${3:-}" = "--kill" ]; then kill -KILL "$(cat "$pidfile")"; rm -f "$pidfile"; else stop_pidfile "$pidfile"; fi ;;
  stop-watchdog) # the host's HA watchdog, which outlives its agent (a hung host in tests)
    stop_pidfile "$STACK_DIR/agents/${2:?host name}/ha-watchdog.pid" ;;
  *) echo "usage: stack-ctl.sh start-agents | stop-agent HOST [--kill] | stop-watchdog HOST | start-manager [N] | stop-manager [N] [--kill]" >&2; exit 2 ;;
esac
