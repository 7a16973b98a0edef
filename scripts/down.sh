#!/usr/bin/env bash
# Stops what `npm run up` started (by the PIDs it recorded) and removes the lab's namespaces.
# Data (database, images, VM disks) stays; `npm run up` brings the same inventory back.
set -euo pipefail
source "$(dirname "$0")/lib/stack.sh"
STACK_NAME=${VIREO_LAB_NAME:-vireo}
STACK_DIR="$REPO/var/$STACK_NAME"
stop_stack
log "stopped"
