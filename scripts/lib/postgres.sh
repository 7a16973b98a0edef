# PostgreSQL on this machine, for the stack (VIREO_DATABASE=postgres) and the database tests.
# Debian's packages (scripts/install-deps.sh installs `postgresql`); no systemd, so the cluster
# is started with pg_ctlcluster. Vireo connects over the local socket as the OS user it runs as
# (peer authentication, Debian's default for local connections): no password to keep anywhere.
# Sourced by stack.sh; needs its log().
#
#   ensure_postgres            the cluster runs and a role for this OS user (LOGIN CREATEDB) exists
#   postgres_url DB            the URL of database DB on it
#   recreate_postgres_db DB    drops DB if present and creates it empty (C collation)

PG_SOCKET_DIR=/var/run/postgresql

# "VERSION CLUSTER PORT STATUS ..." of the first cluster, or nothing.
pg_cluster_line() { pg_lsclusters --no-header 2>/dev/null | head -1; }

ensure_postgres() {
  command -v pg_lsclusters >/dev/null || { log "PostgreSQL is not installed (scripts/install-deps.sh)"; return 1; }
  local line version cluster status role
  line=$(pg_cluster_line)
  if [ -z "$line" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -1)
    log "creating PostgreSQL cluster $version/main"
    pg_createcluster "$version" main >&2
    line=$(pg_cluster_line)
  fi
  read -r version cluster _ status _ <<<"$line"
  if [[ "$status" != online* ]]; then
    log "starting PostgreSQL $version/$cluster"
    pg_ctlcluster "$version" "$cluster" start >&2
  fi
  role=$(id -un)
  if [ "$(pg_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$role'")" != 1 ]; then
    log "creating PostgreSQL role $role"
    pg_admin -qc "CREATE ROLE \"$role\" LOGIN CREATEDB"
  fi
}

# psql as the cluster's superuser (root becomes postgres; postgres itself runs it directly).
pg_admin() {
  if [ "$(id -un)" = postgres ]; then psql -X -v ON_ERROR_STOP=1 "$@"; else runuser -u postgres -- psql -X -v ON_ERROR_STOP=1 "$@"; fi
}

postgres_url() {
  local port
  port=$(pg_cluster_line | awk '{print $3}')
  echo "postgresql://$(id -un)@localhost:${port:-5432}/$1?host=$PG_SOCKET_DIR"
}

# C collation: names sort by code point, as on SQLite, whatever the machine's locale.
recreate_postgres_db() {
  local url
  url=$(postgres_url postgres)
  PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 "$url" -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" \
    -c "CREATE DATABASE \"$1\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
}
