#!/usr/bin/env bash
# Runs the whole test suite: installs what is missing, builds, and runs every test.
#   1. on an ASan+UBSan build (build-asan/): the unit tests, the fuzz corpora replayed, and the
#      BOSH-over-HTTP integration tests (LeakSanitizer checks that no session or connection
#      leaks)
#   2. a fuzz smoke: every libFuzzer target (clang, build-fuzz/) for 60 s
#   3. every test (unit, integration, fuzz-replay, deploy, browser, reliability, ...) on the
#      normal build (build/)
# Extra arguments go to the second ctest run (e.g. -L integration, -R component).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${BOSHMUX_BUILD_DIR:-$root/build}
jobs=$(nproc)
werror=OFF
if [[ -n "${CI:-}" ]]; then werror=ON; fi

"$root/deploy/local/install-deps.sh" --test
# The web clients of the end-to-end tests, at the versions pinned in tests/e2e/package.json.
(cd "$root/tests/e2e" && npm install --no-package-lock --no-audit --no-fund --loglevel=error)

echo "== sanitized build (ASan+UBSan): unit tests and BOSH over HTTP"
cmake -S "$root" -B "$build-asan" -DCMAKE_BUILD_TYPE=Debug -DBOSHMUX_WERROR=$werror \
      -DBOSHMUX_SANITIZE="address;undefined" >/dev/null
cmake --build "$build-asan" -j"$jobs" --target boshmux_proto_tests boshmux_lib_tests \
      bosh_echo_server boshmux_fuzz
(cd "$build-asan" && ctest -L 'unit|fuzz-replay' --output-on-failure &&
   ctest -R integration.bosh_http --output-on-failure)

echo "== fuzz smoke (libFuzzer, clang-14): ${BOSHMUX_FUZZ_SECONDS:-60} s per target"
CC=clang-14 CXX=clang++-14 cmake -S "$root" -B "$build-fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DBOSHMUX_WERROR=$werror -DBOSHMUX_FUZZ=ON >/dev/null
cmake --build "$build-fuzz" -j"$jobs" --target boshmux_fuzz
"$root/tests/fuzz/smoke.sh" "$build-fuzz" "${BOSHMUX_FUZZ_SECONDS:-60}"

echo "== full suite"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBOSHMUX_WERROR=$werror >/dev/null
cmake --build "$build" -j"$jobs"
cd "$build" && ctest --output-on-failure "$@"
