"""What the reliability tests share: boshload in the background, /metrics, resident memory.

Standard library only; the processes themselves come from tests/support/harness.py.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import binary  # noqa: E402


def rss_bytes(pid):
    """Resident memory of a process (VmRSS), in bytes; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class RssSampler:
    """Samples a process's resident memory every `interval` s in a thread; `peak` and
    `samples` ((t, bytes) pairs) are read once stop() returned."""

    def __init__(self, pid, interval=0.2):
        self.pid = pid
        self.interval = interval
        self.samples = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._start = time.monotonic()
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            value = rss_bytes(self.pid)
            if value:
                self.samples.append((time.monotonic() - self._start, value))
            self._stop.wait(self.interval)

    def peak_since(self, t0):
        return max((v for t, v in self.samples if t >= t0), default=0)

    def now(self):
        return time.monotonic() - self._start

    @property
    def peak(self):
        return max((v for _, v in self.samples), default=0)

    def stop(self):
        self._stop.set()
        self._thread.join(5)
        return self


def metrics(port):
    """/metrics of a boshmux as {'name{labels}': value}."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        out[name] = float(value)
    return out


def metric_sum(values, name, **labels):
    """Sum of the series of `name` whose labels include `labels`."""
    total = 0.0
    for key, value in values.items():
        base, _, rest = key.partition("{")
        if base != name:
            continue
        have = dict(re.findall(r'(\w+)="([^"]*)"', rest))
        if all(have.get(k) == v for k, v in labels.items()):
            total += value
    return total


class Boshload:
    """boshload running in the background; result() waits for it and returns its document."""

    def __init__(self, port, domain, *args, watch=None, timeout=300):
        self.dir = tempfile.mkdtemp(prefix="boshload-rel-")
        self.out = os.path.join(self.dir, "result.json")
        self.timeout = timeout
        cmd = [binary("boshload"), "--url", f"http://127.0.0.1:{port}/http-bind",
               "--domain", domain, "--json", self.out, "--max-time", str(timeout)]
        for label, pid in (watch or {}).items():
            cmd += ["--watch", f"{label}={pid}"]
        self.cmd = cmd + [str(a) for a in args]
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, start_new_session=True)
        self.output = ""

    def result(self):
        try:
            self.output, _ = self.proc.communicate(timeout=self.timeout + 30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.output, _ = self.proc.communicate()
            raise AssertionError(f"boshload did not finish:\n{self.output}")
        if self.proc.returncode != 0:
            raise AssertionError(f"boshload exited {self.proc.returncode}:\n{self.output}")
        with open(self.out) as f:
            return json.load(f)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def chat_figures(result):
    """The accounting of a chat run in one line, for failure messages and reports."""
    c = result.get("chat", {})
    steps = c.get("steps", [])
    p99 = max((s["latency_ms"]["p99"] or 0 for s in steps), default=None)
    lmax = max((s["latency_ms"]["max"] or 0 for s in steps), default=None)
    return (f"sent {c.get('sent')} received {c.get('received')} lost {c.get('lost')} "
            f"duplicates {c.get('duplicates')} out_of_order {c.get('out_of_order')} "
            f"lost_sessions {c.get('lost_sessions')} p99 {p99} ms max {lmax} ms "
            f"errors {result.get('errors')}")


def report(name, **figures):
    """One line of figures on stderr (ctest --output-on-failure / -V shows it), from which the
    README's table is filled."""
    sys.stderr.write(f"\nFIGURES {name}: " + json.dumps(figures, sort_keys=True) + "\n")
