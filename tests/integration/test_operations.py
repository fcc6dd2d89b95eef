"""Operating boshmux: /metrics (checked by promtool), /healthz and /readyz, SIGHUP reloading
the users file, and failed logins answered precisely, counted, and harmless to other sessions.
Runs against Prosody, or ejabberd with BOSHMUX_TEST_UPSTREAM=ejabberd."""

import base64
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from bosh_client import BoshClient, condition, tag  # noqa: E402
from harness import (Boshmux, XmppClient, binary, start_boshmux,  # noqa: E402
                     test_failed, upstream_server, wait_for)
from test_login_strophe import make_jwt  # noqa: E402

DOMAIN = "bosh.localhost"
SECRET = "ops-secret"
KEY = b"operations-test-key-0123456789abcdef"
SASL = "urn:ietf:params:xml:ns:xmpp-sasl"


def http_get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read().decode(), r.headers.get("Content-Type")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), e.headers.get("Content-Type")


def sample(metrics, name, **labels):
    """The value of one sample of the exposition, or None."""
    for line in metrics.splitlines():
        if line.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$", line)
        if not m or m.group(1) != name:
            continue
        have = dict(re.findall(r'(\w+)="([^"]*)"', m.group(3) or ""))
        if all(have.get(k) == v for k, v in labels.items()):
            return float(m.group(4))
    return None


class OperationsTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="boshmux-ops-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.users = os.path.join(self.dir, "users")
        self.add_user("romeo", "wherefore art thou")
        key_file = os.path.join(self.dir, "jwt.key")
        with open(key_file, "wb") as f:
            f.write(KEY)
        self.server = upstream_server(components={DOMAIN: SECRET}).start()
        self.addCleanup(self.server.cleanup)
        self.boshmux, port = start_boshmux(self, self.server, DOMAIN, SECRET,
                                           "--anonymous", "--users-file", self.users,
                                           "--jwt-key-file", key_file, "--log-level", "debug",
                                           "--drain-period", "3", "--reconnect-min", "0.1",
                                           "--reconnect-max", "0.3")
        self.addCleanup(self.dump_log_on_failure)
        self.base = f"http://127.0.0.1:{port}"
        self.url = self.base + "/http-bind"

    def dump_log_on_failure(self):
        if test_failed(self):
            sys.stderr.write("--- boshmux log ---\n" + self.boshmux.log_text()[-8000:] + "\n")

    def add_user(self, name, password):
        add = subprocess.run([binary(), "user", "add", name, "--users-file", self.users],
                             input=password + "\n", text=True, capture_output=True)
        self.assertEqual(add.returncode, 0, add.stderr)

    def metrics(self):
        status, text, content_type = http_get(self.base + "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(content_type.startswith("text/plain; version=0.0.4"), content_type)
        return text

    def auth(self, mechanism, initial=None):
        """Opens a session and sends one <auth/>; returns (client, reply element)."""
        c = BoshClient(self.url, DOMAIN)
        c.open()
        data = "" if initial is None else base64.b64encode(initial.encode()).decode()
        body = c.request(f"<auth xmlns='{SASL}' mechanism='{mechanism}'>{data}</auth>")
        return c, next(iter(body), None), body

    def assert_failure(self, element, condition):
        self.assertIsNotNone(element)
        self.assertEqual(tag(element), "failure")
        self.assertEqual([tag(c) for c in element], [condition])

    def native_alice(self):
        """alice@localhost, online on the server itself through a native XMPP connection."""
        self.server.register("alice", "alicepw")
        alice = XmppClient(self.server.c2s_port, "localhost", "alice", "alicepw")
        self.addCleanup(alice.close)
        alice.send("<presence/>")
        return alice

    def assert_alive(self, client, id):
        self.assertEqual(client.ping(id).get("type"), "result")

    def test_failed_logins_are_precise_counted_and_harm_no_other_session(self):
        bystander = BoshClient(self.url, DOMAIN)
        bystander.login_anonymous()
        now = int(time.time())
        # A wrong password.
        _, failure, _ = self.auth("PLAIN", "\0romeo\0not the password")
        self.assert_failure(failure, "not-authorized")
        self.assert_alive(bystander, "p1")
        # An expired token.
        expired = make_jwt(KEY, {"sub": "juliet", "exp": now - 600})
        _, failure, _ = self.auth("PLAIN", f"\0juliet\0{expired}")
        self.assert_failure(failure, "not-authorized")
        # A malformed SCRAM client-first message.
        _, failure, _ = self.auth("SCRAM-SHA-256", "this is not scram")
        self.assert_failure(failure, "malformed-request")
        self.assert_alive(bystander, "p2")
        # Too many failures on one stream: the third ends it with a stream error.
        c, failure, _ = self.auth("PLAIN", "\0romeo\0wrong 1")
        self.assert_failure(failure, "not-authorized")
        body = c.request(f"<auth xmlns='{SASL}' mechanism='PLAIN'>"
                         f"{BoshClient.plain('romeo', 'wrong 2')}</auth>")
        self.assert_failure(next(iter(body)), "not-authorized")
        body = c.request(f"<auth xmlns='{SASL}' mechanism='PLAIN'>"
                         f"{BoshClient.plain('romeo', 'wrong 3')}</auth>")
        while c.terminal is None:
            body = c.request()
        self.assertEqual(c.terminal.get("condition"), "remote-stream-error")
        self.assertIn("policy-violation", re.sub(r"\s", "", open_text(c.terminal)))
        self.assert_alive(bystander, "p3")
        # Every failure is counted by mechanism and condition; the good login too.
        m = self.metrics()
        self.assertEqual(sample(m, "boshmux_logins_total", mechanism="PLAIN",
                                outcome="not-authorized"), 5.0)
        self.assertEqual(sample(m, "boshmux_logins_total", mechanism="SCRAM-SHA-256",
                                outcome="malformed-request"), 1.0)
        self.assertEqual(sample(m, "boshmux_logins_total", mechanism="ANONYMOUS",
                                outcome="success"), 1.0)
        self.assertEqual(sample(m, "boshmux_credential_checks_total", backend="jwt",
                                result="failed"), 1.0)
        self.assertNotIn("wrong 1", self.boshmux.log_text())  # passwords never logged
        self.assertNotIn(expired, self.boshmux.log_text())

    def test_metrics_pass_promtool_and_follow_the_sessions(self):
        c = BoshClient(self.url, DOMAIN)
        me = c.login_anonymous()
        c.send("<presence xmlns='jabber:client'/>")
        c.send("<message xmlns='jabber:client' to='nobody@localhost' id='x'><body>hi</body>"
               "</message>")
        text = self.metrics()
        check = subprocess.run(["promtool", "check", "metrics"], input=text, text=True,
                               capture_output=True)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertEqual(sample(text, "boshmux_sessions_active"), 1.0)
        self.assertEqual(sample(text, "boshmux_resources_bound"), 1.0)
        self.assertEqual(sample(text, "boshmux_component_link_up"), 1.0)
        self.assertGreaterEqual(sample(text, "boshmux_stanzas_received_total", **{"from": "client"},
                                       kind="message"), 1.0)
        self.assertGreaterEqual(sample(text, "boshmux_stanzas_sent_total", to="server",
                                       kind="message"), 1.0)
        self.assertGreater(sample(text, "process_resident_memory_bytes"), 1e6)
        self.assertGreater(sample(text, "boshmux_http_request_duration_seconds_count",
                                  path="bosh"), 3.0)
        c.terminate()
        text = self.metrics()
        self.assertEqual(sample(text, "boshmux_sessions_active"), 0.0)
        self.assertEqual(sample(text, "boshmux_sessions_ended_total", condition="none",
                                reason="client-terminate"), 1.0)
        self.assertTrue(me.endswith("/bosh"))

    def test_health_and_readiness_follow_the_component_link(self):
        self.assertEqual(http_get(self.base + "/healthz")[:2], (200, "ok\n"))
        self.assertEqual(http_get(self.base + "/readyz")[0], 200)
        self.server.kill()
        wait_for(lambda: http_get(self.base + "/readyz")[0] == 503, 10, "/readyz to fail")
        self.assertEqual(http_get(self.base + "/readyz")[1], "component link down\n")
        self.assertEqual(http_get(self.base + "/healthz")[0], 200)  # alive all the same
        self.server.start()
        wait_for(lambda: http_get(self.base + "/readyz")[0] == 200, 15, "/readyz to recover")

    def test_sighup_reloads_the_users_file_without_dropping_sessions(self):
        c = BoshClient(self.url, DOMAIN)
        c.login_anonymous()
        _, failure, _ = self.auth("PLAIN", "\0benvolio\0peace")
        self.assert_failure(failure, "not-authorized")
        self.add_user("benvolio", "peace")
        self.boshmux.signal(signal.SIGHUP)
        self.boshmux.wait_log("users file reloaded")
        _, success, _ = self.auth("PLAIN", "\0benvolio\0peace")
        self.assertEqual(tag(success), "success")
        self.assert_alive(c, "after-hup")


    def test_a_spoofed_from_is_refused_and_never_reaches_the_server(self):
        alice = self.native_alice()
        c = BoshClient(self.url, DOMAIN)
        me = c.login_anonymous()
        for spoofed in ("admin@localhost", f"other@{DOMAIN}/x", "localhost"):
            c.send(f"<message xmlns='jabber:client' from='{spoofed}' to='alice@localhost' "
                   f"type='chat' id='s'><body>spoof</body></message>")
            error = c.wait_for(lambda s: s.get("id") == "s", what="the error")
            self.assertEqual(error.get("type"), "error")
            self.assertEqual(condition(error), "forbidden")
        # The component stream survived (the server would have closed it): chat still flows.
        c.send(f"<message xmlns='jabber:client' from='{me}' to='alice@localhost' type='chat' "
               "id='ok'><body>real</body></message>")
        got = alice.wait_for(lambda e: e.tag.endswith("message"), timeout=10)
        self.assertEqual(got.findtext("{jabber:client}body"), "real")
        self.assertEqual(got.get("from"), me)
        self.assertNotIn("component link down", self.boshmux.log_text())

    def test_a_second_bind_of_the_same_full_jid_ends_the_first_with_conflict(self):
        first = BoshClient(self.url, DOMAIN)
        jid = first.login_plain("romeo", "wherefore art thou", resource="web")
        second = BoshClient(self.url, DOMAIN)
        self.assertEqual(second.login_plain("romeo", "wherefore art thou", resource="web"), jid)
        while first.terminal is None:
            first.request()
        self.assertEqual(first.terminal.get("condition"), "remote-stream-error")
        conflict = first.terminal.find("{http://etherx.jabber.org/streams}error/"
                                       "{urn:ietf:params:xml:ns:xmpp-streams}conflict")
        self.assertIsNotNone(conflict, open_text(first.terminal))
        self.assert_alive(second, "still-here")
        ended = sample(self.metrics(), "boshmux_sessions_ended_total",
                       condition="remote-stream-error", reason="conflict")
        self.assertEqual(ended, 1.0)

    def test_sigterm_drains_loses_nothing_and_sends_unavailable_presence(self):
        alice = self.native_alice()
        c = BoshClient(self.url, DOMAIN)
        me = c.login_anonymous()
        messages = "".join(f"<message xmlns='jabber:client' to='alice@localhost' type='chat' "
                           f"id='m{i}'><body>{i}</body></message>" for i in range(5))
        c.send("<presence xmlns='jabber:client' to='alice@localhost'/>" + messages)
        self.boshmux.signal(signal.SIGTERM)
        self.boshmux.wait_log("draining 1 sessions")
        # Not ready, no new sessions, but the live session still works during the drain.
        self.assertEqual(http_get(self.base + "/readyz")[:2], (503, "draining\n"))
        refused = BoshClient(self.url, DOMAIN)
        self.assertEqual(refused.open().get("condition"), "system-shutdown")
        c.send("<message xmlns='jabber:client' to='alice@localhost' type='chat' id='m5'>"
               "<body>5</body></message>")
        while c.terminal is None:
            c.request()
        self.assertEqual(c.terminal.get("condition"), "system-shutdown")
        self.assertEqual(self.boshmux.wait(10), 0)
        # Alice got every message once, in order, then the unavailable presence.
        got = []
        while True:
            e = alice.wait_for(lambda e: e.get("from") == me, timeout=10)
            if e.tag.endswith("presence") and e.get("type") == "unavailable":
                break
            if e.tag.endswith("message"):
                got.append(e.find("{jabber:client}body").text)
        self.assertEqual(got, [str(i) for i in range(6)])
        self.assertIn("closed", self.boshmux.log_text())


class ReloadTest(unittest.TestCase):
    def test_sighup_applies_the_log_level_of_the_config_file(self):
        directory = tempfile.mkdtemp(prefix="boshmux-reload-")
        self.addCleanup(shutil.rmtree, directory, ignore_errors=True)
        config = os.path.join(directory, "boshmux.toml")
        server = upstream_server(components={DOMAIN: SECRET}).start()
        self.addCleanup(server.cleanup)

        def write(level):
            with open(config, "w") as f:
                f.write(f'domain = "{DOMAIN}"\nupstream = "127.0.0.1:{server.component_port}"\n'
                        f'listen = "127.0.0.1:0"\nlog-level = "{level}"\n')

        write("info")
        boshmux = Boshmux(["--config", config], env={"BOSHMUX_SECRET": SECRET}).start()
        self.addCleanup(boshmux.cleanup)
        port = boshmux.wait_log(r"BOSH endpoint http://127\.0\.0\.1:(\d+)/http-bind")[0]
        url = f"http://127.0.0.1:{port}/http-bind"
        body = f"<body xmlns='http://jabber.org/protocol/httpbind' rid='1' sid='nope'/>"
        urllib.request.urlopen(urllib.request.Request(url, data=body.encode()), timeout=5).read()
        write("debug")
        boshmux.signal(signal.SIGHUP)
        boshmux.wait_log(r"SIGHUP: log level debug \(was info\)")
        self.assertNotIn("[sid=nope]", boshmux.log_text())  # debug lines were off before
        urllib.request.urlopen(urllib.request.Request(url, data=body.encode()), timeout=5).read()
        boshmux.wait_log(r"\[sid=nope\] request for an unknown session")


class SeparateListenerTest(unittest.TestCase):
    def test_metrics_listen_moves_the_operations_endpoints_off_the_bosh_port(self):
        server = upstream_server(components={DOMAIN: SECRET}).start()
        self.addCleanup(server.cleanup)
        boshmux = Boshmux(["--domain", DOMAIN, "--upstream", f"127.0.0.1:{server.component_port}",
                           "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"],
                          env={"BOSHMUX_SECRET": SECRET}).start()
        self.addCleanup(boshmux.cleanup)
        boshmux.wait_log("authenticated")
        bosh = boshmux.wait_log(r"BOSH endpoint http://127\.0\.0\.1:(\d+)/http-bind")[0]
        ops = boshmux.wait_log(r"metrics and health on http://127\.0\.0\.1:(\d+)/metrics")[0]
        for path in ("/metrics", "/healthz", "/readyz"):
            self.assertEqual(http_get(f"http://127.0.0.1:{ops}{path}")[0], 200, path)
            self.assertEqual(http_get(f"http://127.0.0.1:{bosh}{path}")[0], 404, path)


def open_text(element):
    import xml.etree.ElementTree as ET
    return ET.tostring(element).decode()


if __name__ == "__main__":
    unittest.main()
