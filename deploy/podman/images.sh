#!/usr/bin/env bash
# Builds the images of the compose stack with podman, for hosts without a Docker engine or an
# image registry: the base image first (base-image.sh), then boshmux (deploy/Dockerfile) and
# Prosody, HAProxy and Prometheus (deploy/*/Dockerfile), tagged as docker-compose.yml names
# them. Unchanged layers come from podman's cache, so running it again is cheap.
#   CONTAINERS_CONF=deploy/podman/containers.conf deploy/podman/images.sh
set -euo pipefail
deploy=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
root=$(dirname "$deploy")

"$deploy/podman/base-image.sh"
# --format docker keeps the HEALTHCHECK (the OCI format has none).
build() { podman build --quiet --format docker --tag "$@" >/dev/null; }
build boshmux:latest --file "$deploy/Dockerfile" "$root"
for service in prosody haproxy prometheus; do
  build "boshmux-$service:latest" "$deploy/$service"
done
echo "images: built boshmux, boshmux-prosody, boshmux-haproxy, boshmux-prometheus" >&2
