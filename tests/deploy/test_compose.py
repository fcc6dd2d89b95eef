"""The compose stack of deploy/ in real containers (rootful podman; docker-compose v1 talking to
a `podman system service` socket): HAProxy keeps every request of a session on the node that
owns it, a dead node's sessions get item-not-found at once and its domain fails fast while the
other node's sessions go on, SIGTERM drains a node without losing a stanza, and Prometheus
scrapes both nodes.

The images are built once per run (deploy/podman/images.sh; podman's layer cache makes later
runs cheap), the base image from the host's own Debian mirror (deploy/podman/base-image.sh).
Every published port is on 127.0.0.1. Needs root, podman, docker-compose and debootstrap
(deploy/local/install-deps.sh --test); a missing one fails the test."""

import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from bosh_client import BoshClient  # noqa: E402
from harness import REPO_ROOT, free_port, wait_for  # noqa: E402

DEPLOY = os.path.join(REPO_ROOT, "deploy")
COMPOSE_FILE = os.path.join(DEPLOY, "docker-compose.yml")
PROJECT = "boshmuxdeploytest"
DOMAINS = {"n1": "bosh1.localhost", "n2": "bosh2.localhost"}
SESSIONS = 200  # the routing proof, half on each domain
CLIENT = "jabber:client"


def metric(text, name, **labels):
    """The sum of the samples of a Prometheus exposition named `name` that carry `labels`
    (0 when there is none)."""
    total = 0.0
    for line in text.splitlines():
        m = re.match(r"^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$", line)
        if not m or m.group(1) != name:
            continue
        have = dict(re.findall(r'(\w+)="([^"]*)"', m.group(3) or ""))
        if all(have.get(k) == v for k, v in labels.items()):
            total += float(m.group(4))
    return total


class CountingClient(BoshClient):
    """A BoshClient that counts the HTTP requests it sent (to compare with the nodes' own
    request counters)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.requests = 0

    def _post(self, body):
        self.requests += 1
        return super()._post(body)


def chat(to, text):
    return f"<message xmlns='{CLIENT}' to='{to}' type='chat'><body>{text}</body></message>"


def body_of(stanza):
    return stanza.findtext(f"{{{CLIENT}}}body")


def run(args, env, timeout=600, check=True):
    proc = subprocess.run(args, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {proc.returncode}:\n{proc.stdout}\n"
                             f"{proc.stderr}")
    return proc


class ComposeStackTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for tool in ("podman", "docker-compose", "debootstrap"):
            if shutil.which(tool) is None:
                raise AssertionError(f"{tool} is not installed (deploy/local/install-deps.sh "
                                     "--test)")
        if os.geteuid() != 0:
            raise AssertionError("the container test needs rootful podman: run it as root")
        cls.dir = tempfile.mkdtemp(prefix="boshmux-deploy-")
        socket_path = os.path.join(cls.dir, "podman.sock")
        cls.env = dict(os.environ, CONTAINERS_CONF=os.path.join(DEPLOY, "podman",
                                                                "containers.conf"),
                       DOCKER_HOST=f"unix://{socket_path}",
                       COMPONENT_SECRET=os.urandom(12).hex())
        started = time.monotonic()
        try:
            run([os.path.join(DEPLOY, "podman", "images.sh")], cls.env, timeout=1800)
        except BaseException:
            shutil.rmtree(cls.dir, ignore_errors=True)
            raise
        sys.stderr.write(f"images ready in {time.monotonic() - started:.0f} s\n")
        cls.service = subprocess.Popen(
            ["podman", "system", "service", "--time=0", f"unix://{socket_path}"],
            env=cls.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_for(lambda: os.path.exists(socket_path), 30, "the podman API socket")
            cls.compose("down", "--remove-orphans", "--timeout", "1", check=False)
            # Free host ports, chosen just before use; another process may still take one
            # first, then again with others.
            for attempt in range(3):
                cls.ports = {name: free_port() for name in
                             ("BOSH_PORT", "PROMETHEUS_PORT", "N1_METRICS_PORT",
                              "N2_METRICS_PORT", "XMPP_C2S_PORT")}
                cls.env.update({k: str(v) for k, v in cls.ports.items()})
                up = cls.compose("up", "-d", "--no-build", check=False)
                if up.returncode == 0:
                    break
                if "address already in use" not in up.stderr or attempt == 2:
                    raise AssertionError(f"docker-compose up failed:\n{up.stderr}")
                cls.compose("down", "--remove-orphans", "--timeout", "1", check=False)
            cls.bosh = f"http://127.0.0.1:{cls.ports['BOSH_PORT']}/http-bind"
            for node in DOMAINS:
                cls.wait_ready(node)
        except BaseException:
            cls.failed = True
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if os.environ.get("BOSHMUX_DEPLOY_KEEP"):  # debugging: leave the stack running
            return
        if getattr(cls, "failed", False):
            logs = cls.compose("logs", "--no-color", "--tail", "60", check=False)
            sys.stderr.write(f"--- compose logs ---\n{logs.stdout[-20000:]}\n")
        cls.compose("down", "--remove-orphans", "--timeout", "5", check=False)
        cls.service.terminate()
        try:
            cls.service.wait(15)
        except subprocess.TimeoutExpired:
            cls.service.kill()
            cls.service.wait(10)
        shutil.rmtree(cls.dir, ignore_errors=True)

    def run(self, result=None):
        result = super().run(result)
        if result is not None and not result.wasSuccessful():
            type(self).failed = True
        return result

    @classmethod
    def compose(cls, *args, check=True):
        return run(["docker-compose", "--file", COMPOSE_FILE, "--project-name", PROJECT]
                   + list(args), cls.env, check=check)

    @classmethod
    def container(cls, service):
        ids = cls.compose("ps", "--quiet", service).stdout.split()
        if len(ids) != 1:
            raise AssertionError(f"expected one container for {service}, got {ids}")
        return ids[0]

    @classmethod
    def metrics(cls, node):
        url = f"http://127.0.0.1:{cls.ports[node.upper() + '_METRICS_PORT']}/metrics"
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.read().decode()

    @classmethod
    def wait_ready(cls, node):
        """Until the node's component link is up and HAProxy sends it new sessions."""
        def ready():
            try:
                url = f"http://127.0.0.1:{cls.ports[node.upper() + '_METRICS_PORT']}/readyz"
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status != 200:
                        return False
            except OSError:
                return False
            c = BoshClient(cls.bosh, DOMAINS[node], timeout=5)
            try:
                if c.open().get("type") == "terminate":
                    return False
            except OSError:
                return False
            c.terminate()
            return c.sid.startswith(node + "-")
        wait_for(ready, 60, f"{node} to be ready behind HAProxy", interval=0.5)

    def logged_in(self, node, count, wait=1):
        """`count` logged-in sessions on `node`'s domain, opened in parallel."""
        def login(_):
            c = CountingClient(self.bosh, DOMAINS[node], wait=wait)
            c.login_anonymous()
            return c
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            clients = list(pool.map(login, range(count)))
        for c in clients:
            self.assertTrue(c.sid.startswith(node + "-"), c.sid)
            self.assertTrue(c.jid.endswith("@" + DOMAINS[node] + "/bosh"), c.jid)
        return clients

    def test_1_compose_file_validates(self):
        import yaml  # python3-yaml, a dependency of docker-compose
        config = yaml.safe_load(self.compose("config").stdout)
        services = config["services"]
        self.assertEqual(sorted(services), ["haproxy", "n1", "n2", "prometheus", "prosody"])
        for node, domain in DOMAINS.items():
            command = services[node]["command"]
            self.assertEqual(command[command.index("--node-id") + 1], node)
            self.assertEqual(command[command.index("--domain") + 1], domain)
        for name, service in services.items():
            # Published on loopback only, and no nofile limit above what these hosts grant.
            for port in service.get("ports", []):
                self.assertTrue(str(port).startswith("127.0.0.1:"), f"{name}: {port}")
            nofile = service.get("ulimits", {}).get("nofile", {})
            for limit in nofile.values() if isinstance(nofile, dict) else [nofile]:
                self.assertLessEqual(int(limit), 20000, name)
        # Without the component secret the file refuses to configure anything.
        env = {k: v for k, v in self.env.items() if k != "COMPONENT_SECRET"}
        bad = run(["docker-compose", "--file", COMPOSE_FILE, "config", "--quiet"], env,
                  check=False)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("COMPONENT_SECRET", bad.stderr)

    def test_2_every_request_of_200_sessions_lands_on_its_node(self):
        before = {node: self.metrics(node) for node in DOMAINS}
        half = SESSIONS // 2
        clients = {node: self.logged_in(node, half) for node in DOMAINS}

        # Each n1 session chats with one n2 session and back, through Prosody.
        def exchange(pair):
            a, b = pair
            a.send(chat(b.jid, f"from {a.jid}"))
            b.send(chat(a.jid, f"from {b.jid}"))
            got_b = b.wait_for(lambda s: body_of(s) == f"from {a.jid}", what="a's message")
            got_a = a.wait_for(lambda s: body_of(s) == f"from {b.jid}", what="b's message")
            a.terminate()
            b.terminate()
            return got_a.get("from"), got_b.get("from")
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            froms = list(pool.map(exchange, zip(clients["n1"], clients["n2"])))
        for (from_b, from_a), a, b in zip(froms, clients["n1"], clients["n2"]):
            self.assertEqual((from_b, from_a), (b.jid, a.jid))

        for node in DOMAINS:
            after = self.metrics(node)

            def delta(name, **labels):
                return metric(after, name, **labels) - metric(before[node], name, **labels)
            sent = sum(c.requests for c in clients[node])
            self.assertGreaterEqual(sent, 6 * half)
            # Every BOSH request this node answered is one its own sessions' clients sent,
            # and none of them was for a session it does not know.
            self.assertEqual(delta("boshmux_http_request_duration_seconds_count", path="bosh"),
                             sent, node)
            self.assertEqual(delta("boshmux_bosh_unknown_sid_total"), 0, node)
            self.assertEqual(delta("boshmux_sessions_created_total"), half, node)
            self.assertEqual(delta("boshmux_sessions_ended_total", reason="client-terminate"),
                             half, node)
            self.assertEqual(metric(after, "boshmux_sessions_active"), 0, node)

    def test_3_prometheus_scrapes_both_nodes(self):
        base = f"http://127.0.0.1:{self.ports['PROMETHEUS_PORT']}/api/v1/query?"

        def query(expr):
            try:
                with urllib.request.urlopen(base + urllib.parse.urlencode({"query": expr}),
                                            timeout=5) as r:
                    answer = json.load(r)
            except OSError:
                return {}
            self.assertEqual(answer["status"], "success")
            return {s["metric"]["instance"]: float(s["value"][1])
                    for s in answer["data"]["result"]}

        up = wait_for(lambda: (lambda v: v if v == {"n1:9280": 1.0, "n2:9280": 1.0}
                               else None)(query('up{job="boshmux"}')),
                      60, "Prometheus to scrape both nodes", interval=1)
        self.assertEqual(up, {"n1:9280": 1.0, "n2:9280": 1.0})
        # Real samples of the nodes, not only the target's health.
        links = wait_for(lambda: query("boshmux_component_link_up") or None, 30,
                         "a boshmux metric in Prometheus", interval=1)
        self.assertEqual(links, {"n1:9280": 1.0, "n2:9280": 1.0})

    def test_4_image_healthcheck_and_non_root_user(self):
        for node in DOMAINS:
            cid = self.container(node)
            check = run(["podman", "healthcheck", "run", cid], self.env, check=False)
            self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
            uid = run(["podman", "exec", cid, "id", "-u"], self.env).stdout.strip()
            self.assertNotEqual(uid, "0")

    def test_5_sigterm_drains_a_node_without_losing_stanzas(self):
        staying = self.logged_in("n1", 10)
        draining = self.logged_in("n2", 10)
        for a, b in zip(staying, draining):
            for i in range(3):
                a.send(chat(b.jid, f"to n2 #{i}"))
                b.send(chat(a.jid, f"to n1 #{i}"))
        cid = self.container("n2")
        self.addCleanup(self.restart, "n2")
        # docker-compose stop: SIGTERM, then SIGKILL only after the file's stop_grace_period.
        stop = subprocess.Popen(["docker-compose", "--file", COMPOSE_FILE, "--project-name",
                                 PROJECT, "stop", "n2"], env=self.env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        try:
            # Every stanza sent before the drain reaches its recipient, both ways, and the
            # draining node's sessions then end with system-shutdown.
            for a, b in zip(staying, draining):
                for i in range(3):
                    b.wait_for(lambda s: body_of(s) == f"to n2 #{i}", timeout=20,
                               what=f"message #{i} to the draining node")
                    a.wait_for(lambda s: body_of(s) == f"to n1 #{i}", timeout=20,
                               what=f"message #{i} from the draining node")
            # Like every BOSH client, each keeps a request open, to be answered at the end.
            def poll_until_end(b):
                while b.terminal is None:
                    b.request()
                return b.terminal.get("condition")
            with concurrent.futures.ThreadPoolExecutor(len(draining)) as pool:
                ends = list(pool.map(poll_until_end, draining))
            self.assertEqual(ends, ["system-shutdown"] * len(draining))
        finally:
            _, err = stop.communicate(timeout=60)
        self.assertEqual(stop.returncode, 0, err)
        state = run(["podman", "inspect", "--format", "{{.State.ExitCode}}", cid],
                    self.env).stdout.strip()
        self.assertEqual(state, "0")
        logs = run(["podman", "logs", cid], self.env)
        self.assertRegex(logs.stdout + logs.stderr, r"signal \d+: draining 10 sessions")
        # The other node's sessions never noticed.
        for a in staying:
            self.assertIsNone(a.terminal)
            a.terminate()

    def restart(self, node):
        """The node comes back (with a new address, which HAProxy resolves again) and takes
        new sessions."""
        self.compose("start", node)
        self.wait_ready(node)

    def test_6_a_killed_node_fails_fast_and_the_other_goes_on(self):
        survivors = self.logged_in("n2", 10)
        lost = self.logged_in("n1", 10)
        held = CountingClient(self.bosh, DOMAINS["n1"], wait=20)
        held.login_anonymous()
        active_before = metric(self.metrics("n2"), "boshmux_sessions_active")
        ended_before = metric(self.metrics("n2"), "boshmux_sessions_ended_total")

        # A request held by n1 when it dies.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            pending = pool.submit(held.request)
            time.sleep(1)  # let it reach n1 and be held
            run(["podman", "kill", "--signal", "KILL", self.container("n1")], self.env)
            killed = time.monotonic()
            body = pending.result(timeout=10)
            self.assertLess(time.monotonic() - killed, 3)
        self.assertEqual((body.get("type"), body.get("condition")),
                         ("terminate", "item-not-found"))

        # Every request of the dead node's sessions: item-not-found at once, not a hang.
        for c in lost:
            started = time.monotonic()
            body = c.request()
            self.assertLess(time.monotonic() - started, 3)
            self.assertEqual((body.get("type"), body.get("condition")),
                             ("terminate", "item-not-found"))
        # New sessions for its domain fail fast.
        for _ in range(5):
            c = BoshClient(self.bosh, DOMAINS["n1"], timeout=5)
            started = time.monotonic()
            body = c.open()
            self.assertLess(time.monotonic() - started, 3)
            self.assertEqual((body.get("type"), body.get("condition")),
                             ("terminate", "remote-connection-failed"))

        # The other node's sessions are untouched: they chat on, and it takes new ones.
        for a, b in zip(survivors, survivors[1:] + survivors[:1]):
            a.send(chat(b.jid, f"still here {a.jid}"))
        for a, b in zip(survivors, survivors[1:] + survivors[:1]):
            b.wait_for(lambda s: body_of(s) == f"still here {a.jid}", what="a message")
            self.assertIsNone(b.terminal)
        fresh = BoshClient(self.bosh, DOMAINS["n2"])
        self.assertTrue(fresh.login_anonymous().endswith("@bosh2.localhost/bosh"))
        m = self.metrics("n2")
        self.assertEqual(metric(m, "boshmux_sessions_active"), active_before + 1)
        self.assertEqual(metric(m, "boshmux_sessions_ended_total"), ended_before)


if __name__ == "__main__":
    unittest.main()
