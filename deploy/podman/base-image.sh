#!/usr/bin/env bash
# Makes the base image debian:bookworm-slim locally, for hosts that reach no image registry:
# debootstrap a minimal Debian 12 from the mirror apt already uses on this host, and import it
# into podman under the name the Dockerfiles start FROM. Does nothing when the image exists.
#   deploy/podman/base-image.sh [IMAGE]        (IMAGE defaults to debian:bookworm-slim)
# Needs root, debootstrap and podman (CONTAINERS_CONF as for the rest of the stack).
set -euo pipefail
image=${1:-debian:bookworm-slim}
if podman image exists "$image"; then
  exit 0
fi

# The Debian mirror from apt's own sources (deb822 .sources files first, then one-line lists):
# the first URI that serves bookworm's main archive (not the security archive).
mirror=""
shopt -s nullglob
for f in /etc/apt/sources.list.d/*.sources; do
  mirror=$(awk '
    /^[[:space:]]*$/ { if (uri != "" && suites ~ /(^| )bookworm( |$)/ && on) { print uri; exit }
                       uri = ""; suites = ""; on = 1; next }
    /^Enabled:[[:space:]]*no/ { on = 0 }
    /^URIs:/   { uri = $2 }
    /^Suites:/ { $1 = ""; suites = $0 " " }
    END { if (uri != "" && suites ~ /(^| )bookworm( |$)/ && on) print uri }
    BEGIN { on = 1 }' "$f" | head -n1)
  [[ -n "$mirror" ]] && break
done
if [[ -z "$mirror" ]]; then
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f "$f" ]] || continue
    mirror=$(awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                  if ($(i + 1) == "bookworm") { print $i; exit } }' "$f")
    [[ -n "$mirror" ]] && break
  done
fi
if [[ -z "$mirror" ]]; then
  echo "base-image: no bookworm mirror found in /etc/apt/sources.list{,.d}" >&2
  exit 1
fi

dir=$(mktemp -d /var/tmp/boshmux-rootfs.XXXXXX)
trap 'rm -rf "$dir"' EXIT
echo "base-image: debootstrap bookworm from $mirror" >&2
debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$dir.log" 2>&1 ||
  { tail -n 20 "$dir.log" >&2; rm -f "$dir.log"; exit 1; }
rm -f "$dir.log"
# Like the official slim image: no package lists or caches, apt sources from the same mirror.
rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb
tar -C "$dir" -c . | podman import -q --change 'CMD ["bash"]' - "$image" >/dev/null
echo "base-image: imported $image" >&2
