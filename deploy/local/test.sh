#!/usr/bin/env bash
# Runs the whole test suite: installs what is missing, builds, and runs every test.
#   1. the unit tests on an ASan+UBSan build (build-asan/)
#   2. every test (unit, integration, ...) on the normal build (build/)
# Extra arguments go to the second ctest run (e.g. -L integration, -R component).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${BOSHMUX_BUILD_DIR:-$root/build}
jobs=$(nproc)
werror=OFF
if [[ -n "${CI:-}" ]]; then werror=ON; fi

"$root/deploy/local/install-deps.sh" --test

echo "== sanitized unit tests (ASan+UBSan)"
cmake -S "$root" -B "$build-asan" -DCMAKE_BUILD_TYPE=Debug -DBOSHMUX_WERROR=$werror \
      -DBOSHMUX_SANITIZE="address;undefined" >/dev/null
cmake --build "$build-asan" -j"$jobs" --target boshmux_proto_tests
(cd "$build-asan" && ctest -L unit --output-on-failure)

echo "== full suite"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBOSHMUX_WERROR=$werror >/dev/null
cmake --build "$build" -j"$jobs"
cd "$build" && ctest --output-on-failure "$@"
