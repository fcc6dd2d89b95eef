#!/usr/bin/env bash
# Installs the Debian packages boshmux needs to build, run and test; does nothing when all are
# present. Safe to run again. Uses sudo when not root.
#   deploy/local/install-deps.sh           build + run dependencies (Prosody included)
#   deploy/local/install-deps.sh --test    also what the test suite needs
set -euo pipefail

packages=(
  cmake g++ make pkg-config
  libasio-dev node-llhttp librapidxml-dev libfmt-dev libspdlog-dev libboost-test-dev
  libssl-dev libidn-dev libcli11-dev prometheus-cpp-dev nlohmann-json3-dev libtomlplusplus-dev
  prosody
)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(python3 procps ejabberd libgloox-dev ruby ruby-xmpp4r prometheus)
  # The compose stack in containers (tests/deploy): rootful podman with netavark and
  # aardvark-dns (service names resolve), docker-compose v1, debootstrap for the base image.
  packages+=(podman runc uidmap slirp4netns fuse-overlayfs iptables netavark aardvark-dns
             docker-compose debootstrap)
  # The demo page in headless Chromium (tests/deploy).
  packages+=(chromium)
  # libFuzzer builds of tests/fuzz: clang, its runtime, llvm-symbolizer for stack traces.
  packages+=(clang-14 libclang-rt-14-dev llvm-14)
  # Node.js for the Strophe.js end-to-end tests (a machine image may already ship its own).
  command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "installed" ]] || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
  sudo=(sudo)
fi
echo "install-deps: installing ${missing[*]}" >&2
# Keep package scripts from starting system services (Prosody's on the default ports): tests
# and the run command start private instances. Only when no policy is in place already.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod 755 "$policy"
  own_policy=1
fi
cleanup() { if [[ $own_policy -eq 1 ]]; then "${sudo[@]}" rm -f "$policy"; fi; }
trap cleanup EXIT
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done" >&2
