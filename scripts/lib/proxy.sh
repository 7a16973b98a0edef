# A reverse proxy in front of several managers: nginx from Debian (nginx-light), one process the
# stack starts and stops by its PID. Sourced by stack.sh; needs its log() and STACK_DIR.
#
#   ensure_proxy_installed           nginx-light installed, without starting Debian's default site
#   start_proxy PORT A B [backup]    listen on 127.0.0.1:PORT, spread requests over the managers
#                                    on ports A and B; with `backup`, B only while A is down
#                                    (tests then know which manager serves a browser)
#   stop_proxy

ensure_proxy_installed() {
  command -v nginx >/dev/null && return 0
  log "installing nginx-light (the reverse proxy in front of several managers)"
  # Debian's postinst would start nginx on port 80 (default site); policy-rc.d 101 forbids that.
  local policy=/usr/sbin/policy-rc.d added=""
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && added=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nginx-light >&2 ||
    { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nginx-light >&2; }
  [ -n "$added" ] && rm -f "$policy"
  command -v nginx >/dev/null
}

start_proxy() {
  local port=$1 primary=$2 backup=$3 role=${4:+ backup} dir="$STACK_DIR/proxy"
  mkdir -p "$dir/tmp"
  if [ -f "$dir/nginx.pid" ] && pid_alive "$(cat "$dir/nginx.pid")"; then return 0; fi
  cat >"$dir/nginx.conf" <<CONF
# Written by scripts/lib/proxy.sh. See README, "Several managers".
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
  upstream vireo_managers {
    server 127.0.0.1:$primary max_fails=1 fail_timeout=5s;
    server 127.0.0.1:$backup max_fails=1 fail_timeout=5s$role;
  }
  server {
    listen 127.0.0.1:$port;
    # Manager-to-manager endpoints are never served to the outside.
    location /internal/ { return 404; }
    location / {
      proxy_pass http://vireo_managers;
      proxy_http_version 1.1;
      proxy_set_header Host \$http_host;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection \$connection_upgrade;
      proxy_set_header X-Forwarded-For \$remote_addr;
      # Live changes are server-sent events: pass each one on at once.
      proxy_buffering off;
      proxy_read_timeout 1h;
      proxy_next_upstream error timeout;
    }
  }
}
CONF
  log "starting the reverse proxy on port $port (managers on $primary, $backup)"
  nginx -e "$dir/error.log" -c "$dir/nginx.conf" >&2
  for _ in $(seq 1 50); do [ -s "$dir/nginx.pid" ] && break; sleep 0.1; done
}

stop_proxy() {
  stop_pidfile "$STACK_DIR/proxy/nginx.pid"
}
