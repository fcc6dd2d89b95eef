#!/usr/bin/env bash
# Runs boshmux for real: installs what is missing, builds, and runs boshmux in the foreground.
# Unless BOSHMUX_UPSTREAM names an XMPP server, it first starts a private Prosody on loopback
# with the boshmux component declared (stopped again when boshmux exits). With that private
# Prosody, anonymous login (SASL ANONYMOUS) is on, so that any BOSH client or the demo page
# (deploy/demo/) can log in at once; BOSHMUX_ANONYMOUS=false turns it off.
#
# Every boshmux option can be given as arguments or BOSHMUX_* variables, e.g.
#   deploy/local/run.sh --log-level debug
#   BOSHMUX_UPSTREAM=xmpp.example.com:5347 BOSHMUX_DOMAIN=bosh.example.com \
#     BOSHMUX_SECRET_FILE=/etc/boshmux/secret deploy/local/run.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${BOSHMUX_BUILD_DIR:-$root/build}

"$root/deploy/local/install-deps.sh"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target boshmux -j"$(nproc)" >/dev/null
boshmux=$build/app/boshmux

if [[ -n "${BOSHMUX_UPSTREAM:-}" ]]; then
  exec "$boshmux" "$@"
fi

# A private Prosody: XMPP domain localhost, component bosh.localhost, MUC conference.localhost.
state=${BOSHMUX_LOCAL_DIR:-$build/local}
c2s_port=${BOSHMUX_LOCAL_C2S_PORT:-15222}
component_port=${BOSHMUX_LOCAL_COMPONENT_PORT:-15347}
http_port=${BOSHMUX_LOCAL_PROSODY_HTTP_PORT:-15280}
export BOSHMUX_DOMAIN=${BOSHMUX_DOMAIN:-bosh.localhost}
export BOSHMUX_ANONYMOUS=${BOSHMUX_ANONYMOUS:-true}
mkdir -p "$state/data"
chmod 700 "$state"
if [[ ! -s "$state/secret" ]]; then
  head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$state/secret"
fi
secret=$(cat "$state/secret")
sed -e "s|\${DIR}|$state|g" -e "s|\${LOG_LEVEL}|info|g" \
    -e "s|\${C2S_PORT}|$c2s_port|g" -e "s|\${HTTP_PORT}|$http_port|g" \
    -e "s|\${COMPONENT_PORT}|$component_port|g" -e "s|\${XMPP_DOMAIN}|localhost|g" \
    -e "s|\${COMPONENT_DOMAIN}|$BOSHMUX_DOMAIN|g" -e "s|\${COMPONENT_SECRET}|$secret|g" \
    -e "s|\${MUC_DOMAIN}|conference.localhost|g" \
    "$root/deploy/prosody/local.cfg.lua.in" > "$state/prosody.cfg.lua"

if [[ -f "$state/prosody.pid" ]] && kill -0 "$(cat "$state/prosody.pid")" 2>/dev/null; then
  kill "$(cat "$state/prosody.pid")" 2>/dev/null || true
  sleep 1
fi
prosody --config "$state/prosody.cfg.lua" -F >>"$state/prosody.stdout" 2>&1 &
prosody_pid=$!
cleanup() { kill "$prosody_pid" 2>/dev/null || true; wait "$prosody_pid" 2>/dev/null || true; }
trap cleanup EXIT
for _ in $(seq 100); do
  (echo >"/dev/tcp/127.0.0.1/$component_port") 2>/dev/null && break
  kill -0 "$prosody_pid" 2>/dev/null || { echo "run: prosody failed, see $state/prosody.log" >&2; exit 1; }
  sleep 0.1
done
# A user of the local server to chat with: alice@localhost, password alice.
prosodyctl --config "$state/prosody.cfg.lua" register alice localhost alice >/dev/null 2>&1 || true

echo "run: private Prosody on 127.0.0.1 (c2s $c2s_port, component $component_port," \
     "its own BOSH http://127.0.0.1:$http_port/http-bind); user alice@localhost, password alice;" \
     "log $state/prosody.log" >&2
export BOSHMUX_UPSTREAM=127.0.0.1:$component_port
export BOSHMUX_SECRET_FILE=$state/secret
"$boshmux" "$@" &
boshmux_pid=$!
trap 'kill -TERM "$boshmux_pid" 2>/dev/null || true' INT TERM
status=0
wait "$boshmux_pid" || status=$?
# A signal interrupts the first wait; wait again for boshmux's own exit.
if kill -0 "$boshmux_pid" 2>/dev/null; then wait "$boshmux_pid" || status=$?; fi
exit "$status"
