#!/usr/bin/env python3
"""Soak (issue 9, part 4): churn plus chat against one boshmux for a long time.

A private Prosody, one boshmux (--anonymous --no-local-routing, so every chat message crosses
the component link), and two boshload processes at once:
  - chat: SESSIONS sessions in pairs at RATE messages/s for the whole duration (sequence
    numbers checked: nothing lost, duplicated or reordered);
  - churn: CHURN sessions logging in and out in a loop, at most CHURN_RATE logins/s.
boshmux's resident memory is sampled every 10 s. At the end boshmux gets SIGTERM and must exit
0 after its drain.

Checks (exit status 1 and a FAIL line when one does not hold):
  - both boshload runs: no error of any kind; chat: lost, duplicates, out of order all 0;
  - --sanitizers (an ASan/UBSan/LSan build): no sanitizer report in boshmux's log (LSan runs at
    exit: no leak), exit status 0;
  - --max-slope (a release build): the least-squares slope of resident memory after the
    warm-up is below the bound, in MiB per hour.

Not run by CTest (it takes DURATION). Examples (from the repository root; -DBOSHMUX_TESTS=OFF
builds only boshmux and boshload):

  cmake -S . -B build-soak-asan -DBOSHMUX_SANITIZE="address;undefined" && \
    cmake --build build-soak-asan -j2 --target boshmux boshload
  nice tests/reliability/soak.py --bin-dir build-soak-asan/app --boshload-dir build-rel/app \
    --sanitizers --out soak-asan
  cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=RelWithDebInfo && \
    cmake --build build-rel -j2 --target boshmux boshload
  nice tests/reliability/soak.py --bin-dir build-rel/app --max-slope 2 --out soak-release
"""

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "support"))

DOMAIN = "bosh.localhost"
SECRET = "soak-secret"
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "SUMMARY: AddressSanitizer", "SUMMARY: UndefinedBehaviorSanitizer")


def slope_per_hour(samples):
    """Least-squares slope of (seconds, bytes) samples, in bytes per hour."""
    n = len(samples)
    if n < 3:
        return float("nan")
    mt = sum(t for t, _ in samples) / n
    mv = sum(v for _, v in samples) / n
    num = sum((t - mt) * (v - mv) for t, v in samples)
    den = sum((t - mt) ** 2 for t, _ in samples)
    return num / den * 3600 if den else float("nan")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bin-dir", required=True, help="directory holding boshmux")
    p.add_argument("--boshload-dir", help="directory holding boshload (default: --bin-dir)")
    p.add_argument("--duration", type=float, default=1800, help="seconds of load (1800)")
    p.add_argument("--sessions", type=int, default=160, help="chat sessions (160)")
    p.add_argument("--rate", type=float, default=40, help="chat messages/s (40)")
    p.add_argument("--churn", type=int, default=40, help="churning sessions (40)")
    p.add_argument("--churn-rate", type=float, default=10, help="churn logins/s at most (10)")
    p.add_argument("--interval", type=float, default=10, help="RSS sampling period, s (10)")
    p.add_argument("--warmup", type=float, default=300, help="s excluded from the fit (300)")
    p.add_argument("--max-slope", type=float,
                   help="fail when the RSS slope after the warm-up exceeds this, MiB/hour")
    p.add_argument("--sanitizers", action="store_true",
                   help="boshmux is a sanitizer build: fail on any report, leaks included")
    p.add_argument("--asan-options", default="",
                   help="more ASAN_OPTIONS, e.g. alloc_dealloc_mismatch=0 (see README.md)")
    p.add_argument("--out", required=True, help="directory for rss.csv, logs, summary.json")
    a = p.parse_args()

    os.makedirs(a.out, exist_ok=True)
    os.environ["BOSHMUX_BIN_DIR"] = os.path.abspath(a.bin_dir)
    from harness import Boshmux, Prosody  # noqa: E402 (after BOSHMUX_BIN_DIR)
    from reliability import rss_bytes  # noqa: E402

    asan = "detect_leaks=1:abort_on_error=0:halt_on_error=1"
    env = {"ASAN_OPTIONS": asan + (":" + a.asan_options if a.asan_options else ""),
           "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
           "LSAN_OPTIONS": "report_objects=1"} if a.sanitizers else {}
    boshload_bin = os.path.join(os.path.abspath(a.boshload_dir or a.bin_dir), "boshload")
    server = Prosody(components={DOMAIN: SECRET}, log_level="warn").start()
    boshmux = Boshmux(["--domain", DOMAIN, "--upstream", f"127.0.0.1:{server.component_port}",
                       "--listen", "127.0.0.1:0", "--anonymous", "--no-local-routing"],
                      env=dict(env, BOSHMUX_SECRET=SECRET)).start()
    loads = []
    failures = []
    summary = {"args": vars(a)}
    try:
        boshmux.wait_log("authenticated", timeout=30)
        port = boshmux.wait_log(r"BOSH endpoint http://127\.0\.0\.1:(\d+)/http-bind")[0]
        url = f"http://127.0.0.1:{port}/http-bind"
        watch = f"boshmux={boshmux.proc.pid}"
        # chat: one step per hour at most (boshload's step limit), the same rate throughout.
        steps = max(1, math.ceil(a.duration / 3600))
        common = [boshload_bin, "--url", url, "--domain", DOMAIN, "--watch", watch,
                  "--max-time", str(a.duration + 300), "--sources", "2"]
        chat_cmd = common + ["--scenario", "chat", "--sessions", str(a.sessions), "--wait", "30",
                             "--no-presence", "--rates", ",".join([str(a.rate)] * steps),
                             "--step-seconds", str(a.duration / steps),
                             "--json", os.path.join(a.out, "chat.json")]
        churn_cmd = common + ["--scenario", "churn", "--sessions", str(a.churn),
                              "--login-concurrency", str(a.churn), "--ramp-rate",
                              str(a.churn_rate), "--duration", str(a.duration - 2),
                              "--json", os.path.join(a.out, "churn.json")]
        summary["commands"] = [chat_cmd, churn_cmd]
        for name, cmd in (("chat", chat_cmd), ("churn", churn_cmd)):
            log = open(os.path.join(a.out, f"{name}.out"), "w")
            loads.append((name, subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT),
                          log))
        start = time.monotonic()
        with open(os.path.join(a.out, "rss.csv"), "w") as csv:
            csv.write("seconds,rss_bytes\n")
            samples = []
            while any(proc.poll() is None for _, proc, _ in loads):
                t = time.monotonic() - start
                v = rss_bytes(boshmux.proc.pid)
                if boshmux.proc.poll() is not None:
                    failures.append(f"boshmux exited during the soak ({boshmux.proc.returncode})")
                    break
                samples.append((t, v))
                csv.write(f"{t:.1f},{v}\n")
                csv.flush()
                time.sleep(a.interval)
        for name, proc, log in loads:
            proc.wait()
            log.close()
            if proc.returncode != 0:
                failures.append(f"boshload {name} exited {proc.returncode}")
        # The drain and, for a sanitizer build, LeakSanitizer's report at exit.
        boshmux.signal(signal.SIGTERM)
        try:
            summary["boshmux_exit"] = boshmux.wait(120)
        except subprocess.TimeoutExpired:
            failures.append("boshmux did not exit within 120 s of SIGTERM")
        if summary.get("boshmux_exit") != 0:
            failures.append(f"boshmux exit status {summary.get('boshmux_exit')}")
        log_text = boshmux.log_text()
        with open(os.path.join(a.out, "boshmux.log"), "w") as f:
            f.write(log_text)
        reports = [l for l in log_text.splitlines() if any(m in l for m in SANITIZER_MARKS)]
        summary["sanitizer_reports"] = reports[:20]
        if reports:
            failures.append(f"{len(reports)} sanitizer report lines, first: {reports[0]}")

        for name in ("chat", "churn"):
            try:
                with open(os.path.join(a.out, f"{name}.json")) as f:
                    r = json.load(f)
            except (OSError, ValueError) as e:
                failures.append(f"no {name} result: {e}")
                continue
            summary[name] = {"errors": r["errors"], "logins": r["logins"],
                             "wall_seconds": r["wall_seconds"]}
            if r["errors"]:
                failures.append(f"boshload {name} errors: {r['errors']}")
            if name == "chat":
                c = r.get("chat", {})
                summary["chat"].update({k: c.get(k) for k in ("sent", "received", "lost",
                                                             "duplicates", "out_of_order")})
                summary["chat"]["latency_ms"] = [s["latency_ms"] for s in c.get("steps", [])]
                if (c.get("lost"), c.get("duplicates"), c.get("out_of_order")) != (0, 0, 0):
                    failures.append(f"chat: lost {c.get('lost')} duplicates "
                                    f"{c.get('duplicates')} out of order {c.get('out_of_order')}")
            else:
                summary["churn"]["logins_per_second"] = (r.get("churn") or {}).get(
                    "logins_per_second")
        after = [(t, v) for t, v in samples if t >= a.warmup]
        slope = slope_per_hour(after) / 2**20
        summary["rss"] = {
            "samples": len(samples), "fitted_samples": len(after),
            "first_mib": samples[0][1] / 2**20 if samples else None,
            "at_warmup_mib": after[0][1] / 2**20 if after else None,
            "last_mib": samples[-1][1] / 2**20 if samples else None,
            "peak_mib": max(v for _, v in samples) / 2**20 if samples else None,
            "slope_mib_per_hour": slope}
        if a.max_slope is not None:
            if not after or math.isnan(slope):
                failures.append("too few samples after the warm-up to fit a slope")
            elif slope > a.max_slope:
                failures.append(f"RSS slope {slope:.3f} MiB/h after the warm-up exceeds "
                                f"{a.max_slope} MiB/h")
    finally:
        for _, proc, _ in loads:
            if proc.poll() is None:
                proc.kill()
        boshmux.cleanup()
        server.cleanup()
    summary["failures"] = failures
    with open(os.path.join(a.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps(summary, indent=2))
    print("FAIL: " + "; ".join(failures) if failures else "PASS")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
