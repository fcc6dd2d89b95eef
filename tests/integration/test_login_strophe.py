"""Strophe.js (npm, under Node) logging in through boshmux, against a real Prosody."""

import json
import os
import re
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import NativeResponder, Prosody, start_boshmux  # noqa: E402

DOMAIN = "bosh.localhost"
SECRET = "e2e-secret"
E2E_DIR = os.path.join(os.path.dirname(__file__), "..", "e2e")


def strophe(url, *args, timeout=30):
    if not os.path.isdir(os.path.join(E2E_DIR, "node_modules", "strophe.js")):
        raise AssertionError("tests/e2e/node_modules missing: deploy/local/test.sh installs it")
    proc = subprocess.run(["node", os.path.join(E2E_DIR, "client.mjs"), "--url", url,
                           "--domain", DOMAIN] + list(args),
                          capture_output=True, text=True, timeout=timeout)
    lines = [l for l in proc.stdout.splitlines() if l.startswith("{")]
    result = json.loads(lines[-1]) if lines else {}
    return proc.returncode, result, proc.stderr


class StropheLoginTest(unittest.TestCase):
    def setUp(self):
        self.prosody = Prosody(components={DOMAIN: SECRET}).start()
        self.addCleanup(self.prosody.cleanup)
        self.boshmux, port = start_boshmux(self, self.prosody, DOMAIN, SECRET,
                                           "--anonymous", "--log-level", "debug")
        self.url = f"http://127.0.0.1:{port}/http-bind"

    def test_anonymous_login_bind_ping_roster_and_disconnect(self):
        code, result, err = strophe(self.url, "--mechanism", "ANONYMOUS")
        self.assertEqual(code, 0, f"{result} {err}")
        self.assertRegex(result["jid"], rf"^[0-9a-f-]{{36}}@{re.escape(DOMAIN)}/.+$")
        for step in ("CONNECTED", "PING", "ROSTER", "DISCONNECTED"):
            self.assertIn(step, result["steps"])
        self.assertIn("authenticated", self.boshmux.log_text())

    def test_anonymous_user_chats_with_a_prosody_user(self):
        alice = NativeResponder(self.prosody, ["hi strophe"])
        self.addCleanup(alice.close)
        code, result, err = strophe(self.url, "--mechanism", "ANONYMOUS", "--send-to",
                                    "alice@localhost", "--body", "hello alice", "--expect-reply")
        received = alice.join()
        self.assertEqual(code, 0, f"{result} {err}")
        self.assertEqual(received["body"], "hello alice")
        self.assertEqual(received["from"], result["jid"])  # stamped with the full JID
        self.assertEqual(result["reply"], "hi strophe")


def make_jwt(key, claims):
    import base64
    import hashlib
    import hmac

    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    sig = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"


class StropheAccountsTest(unittest.TestCase):
    """PLAIN and SCRAM against a users file made with `boshmux user add`, and JWT tokens."""

    KEY = b"k" * 40

    def setUp(self):
        import tempfile
        import time as _time
        self.time = _time
        self.dir = tempfile.mkdtemp(prefix="boshmux-accounts-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.users = os.path.join(self.dir, "users")
        from harness import binary
        add = subprocess.run([binary(), "user", "add", "romeo", "--users-file", self.users],
                             input="wherefore art thou\n", text=True, capture_output=True)
        self.assertEqual(add.returncode, 0, add.stderr)
        with open(self.users, "rb") as f:
            self.assertNotIn(b"wherefore", f.read())  # only salted SCRAM keys are stored
        key_file = os.path.join(self.dir, "jwt.key")
        with open(key_file, "wb") as f:
            f.write(self.KEY)
        self.prosody = Prosody(components={DOMAIN: SECRET}).start()
        self.addCleanup(self.prosody.cleanup)
        self.boshmux, port = start_boshmux(self, self.prosody, DOMAIN, SECRET,
                                           "--users-file", self.users, "--jwt-key-file", key_file,
                                           "--log-level", "debug")
        self.url = f"http://127.0.0.1:{port}/http-bind"

    def login(self, mechanism, user, password):
        return strophe(self.url, "--mechanism", mechanism, "--jid", f"{user}@{DOMAIN}",
                       "--password", password, "--resource", "web")

    def test_each_mechanism_logs_in_with_the_users_file(self):
        for mechanism in ("PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256"):
            with self.subTest(mechanism=mechanism):
                code, result, err = self.login(mechanism, "romeo", "wherefore art thou")
                self.assertEqual(code, 0, f"{result} {err}")
                self.assertEqual(result["jid"], f"romeo@{DOMAIN}/web")
                self.assertIn("PING", result["steps"])

    def test_wrong_password_fails_for_each_mechanism(self):
        for mechanism in ("PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256"):
            with self.subTest(mechanism=mechanism):
                code, result, _ = self.login(mechanism, "romeo", "wrong")
                self.assertEqual(code, 2, result)
                self.assertNotIn("CONNECTED", result["steps"])
        self.assertIn("authentication failed", self.boshmux.log_text())

    def test_jwt_as_plain_password(self):
        now = int(self.time.time())
        token = make_jwt(self.KEY, {"sub": "juliet", "exp": now + 300, "iat": now})
        code, result, err = self.login("PLAIN", "juliet", token)
        self.assertEqual(code, 0, f"{result} {err}")
        self.assertEqual(result["jid"], f"juliet@{DOMAIN}/web")
        self.assertNotIn(token, self.boshmux.log_text())  # tokens never reach the log

    def test_expired_or_forged_jwt_is_refused(self):
        now = int(self.time.time())
        expired = make_jwt(self.KEY, {"sub": "juliet", "exp": now - 120})
        forged = make_jwt(b"x" * 40, {"sub": "juliet", "exp": now + 300})
        for token in (expired, forged):
            code, result, _ = self.login("PLAIN", "juliet", token)
            self.assertEqual(code, 2, result)


if __name__ == "__main__":
    unittest.main()
