"""Security properties of a running boshmux, end to end over HTTP with a real Prosody: SIDs are
unpredictable (statistics over thousands of them), key sequencing (XEP-0124 section 15) is
enforced, a client cannot spoof `from` towards another session, and no secret, password,
token or SASL payload appears in the logs even at trace level."""

import base64
import hashlib
import hmac
import http.client
import math
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from bosh_client import HTTPBIND, BoshClient, condition, tag  # noqa: E402
from harness import binary, start_boshmux, test_failed, upstream_server  # noqa: E402
from test_login_strophe import make_jwt  # noqa: E402
from test_operations import http_get, sample  # noqa: E402

DOMAIN = "bosh.localhost"
SECRET = "security-component-secret-7f3a9c"
SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
JWT_KEY = b"security-jwt-key-0123456789abcdef-xyz"


class Bosh:
    """Raw BOSH requests on one keep-alive connection (fast enough for thousands)."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def post(self, body):
        self.conn.request("POST", "/http-bind", body=body.encode(),
                          headers={"Content-Type": "text/xml; charset=utf-8"})
        response = self.conn.getresponse()
        return response.status, ET.fromstring(response.read())

    def close(self):
        self.conn.close()


def creation(rid, extra=""):
    return (f"<body xmlns='{HTTPBIND}' xmlns:xmpp='urn:xmpp:xbosh' rid='{rid}' to='{DOMAIN}' "
            f"wait='1' hold='1' ver='1.11' xmpp:version='1.0' {extra}/>")


class SecurityTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = upstream_server(components={DOMAIN: SECRET}).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="boshmux-security-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.users = os.path.join(self.dir, "users")
        self.passwords = {"romeo": "Wherefore-art-thou-9q", "juliet": "Nightingale-and-lark-4z"}
        for name, password in self.passwords.items():
            add = subprocess.run([binary(), "user", "add", name, "--users-file", self.users],
                                 input=password + "\n", text=True, capture_output=True)
            self.assertEqual(add.returncode, 0, add.stderr)
        key_file = os.path.join(self.dir, "jwt.key")
        with open(key_file, "wb") as f:
            f.write(JWT_KEY)
        self.boshmux, port = start_boshmux(self, self.server, DOMAIN, SECRET, "--anonymous",
                                           "--users-file", self.users, "--jwt-key-file",
                                           key_file, "--log-level", "trace",
                                           "--reconnect-min", "0.1", "--reconnect-max", "0.3")
        self.addCleanup(self.dump_log_on_failure)
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.url = self.base + "/http-bind"

    def dump_log_on_failure(self):
        if test_failed(self):
            sys.stderr.write("--- boshmux log ---\n" + self.boshmux.log_text()[-6000:] + "\n")

    def metrics(self):
        status, text, _ = http_get(self.base + "/metrics")
        self.assertEqual(status, 200)
        return text

    # --- SIDs -----------------------------------------------------------------------------

    def test_sids_are_unpredictable(self):
        """2000 SIDs from the running server: the documented shape, no repeat, every one of the
        128 random bits balanced, the hex digits uniform (chi-square), and consecutive SIDs
        uncorrelated. Each bound is 5.5 standard deviations or p < 1e-7 (all together a false
        alarm about once in 100,000 runs): a CSPRNG passes; a counter, a clock, a short or a
        biased source fails by far."""
        n = 2000
        bosh = Bosh(self.port)
        self.addCleanup(bosh.close)
        sids = []
        for i in range(n):
            status, body = bosh.post(creation(1000 + i))
            self.assertEqual(status, 200)
            self.assertNotEqual(body.get("type"), "terminate", ET.tostring(body))
            sids.append(body.get("sid"))
        for sid in sids:
            self.assertRegex(sid, r"^n1-[0-9a-f]{32}$")
        self.assertEqual(len(set(sids)), n, "a SID repeated")
        values = [int(sid[3:], 16) for sid in sids]
        # Bit balance per position: ones ~ Binomial(n, 1/2).
        sigma = math.sqrt(n) / 2
        for bit in range(128):
            ones = sum((v >> bit) & 1 for v in values)
            self.assertLess(abs(ones - n / 2), 5.5 * sigma, f"bit {bit} is biased: {ones}/{n}")
        # Nibbles: chi-square with 15 degrees of freedom over all of them; p = 7.6e-8 at 63.
        counts = [0] * 16
        for sid in sids:
            for ch in sid[3:]:
                counts[int(ch, 16)] += 1
        expected = 32 * n / 16
        chi2 = sum((c - expected) ** 2 / expected for c in counts)
        self.assertLess(chi2, 63, f"hex digits not uniform: {counts}")
        # Per nibble position too (a fixed or slowly changing digit anywhere fails this).
        for pos in range(32):
            col = [0] * 16
            for sid in sids:
                col[int(sid[3 + pos], 16)] += 1
            chi2 = sum((c - n / 16) ** 2 / (n / 16) for c in col)
            self.assertLess(chi2, 63, f"nibble {pos} not uniform: {col}")
        # Consecutive SIDs differ in half their bits on average (no counter or clock).
        distances = [bin(a ^ b).count("1") for a, b in zip(values, values[1:])]
        mean = sum(distances) / len(distances)
        self.assertLess(abs(mean - 64), 5.5 * math.sqrt(32 / len(distances)), mean)
        self.assertGreater(min(distances), 20)

    # --- Key sequencing (XEP-0124 section 15) ------------------------------------------------

    def test_key_sequencing_is_enforced(self):
        def key_chain(length):
            keys = [secrets.token_hex(20)]
            for _ in range(length - 1):
                keys.append(hashlib.sha1(keys[-1].encode()).hexdigest())
            return keys  # keys[-1] is sent first (newkey), then keys[-2], ...

        bosh = Bosh(self.port)
        self.addCleanup(bosh.close)
        keys = key_chain(5)
        status, body = bosh.post(creation(5000, f"newkey='{keys[4]}'"))
        sid = body.get("sid")
        self.assertIsNotNone(sid, ET.tostring(body))

        def request(rid, attrs):
            return bosh.post(f"<body xmlns='{HTTPBIND}' rid='{rid}' sid='{sid}' {attrs}/>")[1]

        # The right keys, in order: the session lives.
        for rid, k in ((5001, keys[3]), (5002, keys[2])):
            body = request(rid, f"key='{k}'")
            self.assertNotEqual(body.get("type"), "terminate", ET.tostring(body))
        # Switching to a new chain with the last key of the old one (section 15.3).
        fresh = key_chain(3)
        body = request(5003, f"key='{keys[1]}' newkey='{fresh[2]}'")
        self.assertNotEqual(body.get("type"), "terminate", ET.tostring(body))
        body = request(5004, f"key='{fresh[1]}'")
        self.assertNotEqual(body.get("type"), "terminate", ET.tostring(body))
        # A hijacker who knows the sid and the rid but not the key ends the session (section
        # 15.1: item-not-found), and the rightful key cannot revive it.
        body = request(5005, f"key='{secrets.token_hex(20)}'")
        self.assertEqual((body.get("type"), body.get("condition")), ("terminate", "item-not-found"))
        body = request(5006, f"key='{fresh[0]}'")
        self.assertEqual((body.get("type"), body.get("condition")), ("terminate", "item-not-found"))
        self.assertEqual(sample(self.metrics(), "boshmux_sessions_ended_total",
                                condition="item-not-found", reason="key-mismatch"), 1.0)

        # A request that omits the key of a keyed session, or replays the last one, ends it.
        for variant in ("omitted", "replayed"):
            keys = key_chain(4)
            _, body = bosh.post(creation(6000, f"newkey='{keys[3]}'"))
            sid = body.get("sid")
            self.assertIsNone(request(6001, f"key='{keys[2]}'").get("type"))
            body = request(6002, "" if variant == "omitted" else f"key='{keys[2]}'")
            self.assertEqual((body.get("type"), body.get("condition")),
                             ("terminate", "item-not-found"), variant)
        # A session without keys is unaffected by key attributes it never asked for.
        other = BoshClient(self.url, DOMAIN)
        other.login_anonymous()

    # --- from spoofing --------------------------------------------------------------------

    def test_a_session_cannot_spoof_from_towards_another_session(self):
        """Local short-circuit between two sessions of this instance (test_operations covers
        the way to the server): a forged `from` is refused with forbidden and never delivered;
        no `from`, or the sender's own bare JID, reaches the peer as the true full JID."""
        mallory = BoshClient(self.url, DOMAIN)
        me = mallory.login_anonymous(resource="m")
        victim = BoshClient(self.url, DOMAIN)
        victim_jid = victim.login_plain("juliet", self.passwords["juliet"], resource="v")
        third = BoshClient(self.url, DOMAIN)
        third_jid = third.login_plain("romeo", self.passwords["romeo"], resource="r")
        for i, forged in enumerate((third_jid, third_jid.split("/")[0], victim_jid,
                                    "admin@localhost", DOMAIN, f"{DOMAIN}/x")):
            mallory.send(f"<message xmlns='jabber:client' from='{forged}' to='{victim_jid}' "
                         f"type='chat' id='f{i}'><body>forged {i}</body></message>")
            error = mallory.wait_for(lambda s, i=i: s.get("id") == f"f{i}", what="the error")
            self.assertEqual((error.get("type"), condition(error)), ("error", "forbidden"))
        bare = me.split("/")[0]
        mallory.send(f"<message xmlns='jabber:client' to='{victim_jid}' type='chat' id='n'>"
                     "<body>no from</body></message>"
                     f"<message xmlns='jabber:client' from='{bare}' to='{victim_jid}' type='chat' "
                     "id='b'><body>bare from</body></message>")
        got = [victim.wait_for(lambda s: tag(s) == "message", what="a message") for _ in range(2)]
        self.assertEqual([m.get("id") for m in got], ["n", "b"])
        self.assertEqual([m.get("from") for m in got], [me, me])
        # Nothing forged arrived before or after.
        victim.request()
        self.assertEqual([s for s in victim.received if tag(s) == "message"], [])

    # --- secrets in logs ------------------------------------------------------------------

    def scram_login(self, user, password, hash_name):
        """A full SCRAM exchange (RFC 5802) over BOSH; returns the client messages sent."""
        h = getattr(hashlib, hash_name)
        mech = {"sha1": "SCRAM-SHA-1", "sha256": "SCRAM-SHA-256"}[hash_name]
        c = BoshClient(self.url, DOMAIN)
        c.open()
        cnonce = base64.b64encode(os.urandom(18)).decode()
        first_bare = f"n={user},r={cnonce}"
        first = "n,," + first_bare
        reply = c.request(f"<auth xmlns='{SASL}' mechanism='{mech}'>"
                          f"{base64.b64encode(first.encode()).decode()}</auth>")
        challenge = next(e for e in reply if tag(e) == "challenge")
        server_first = base64.b64decode(challenge.text).decode()
        attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
        salted = hashlib.pbkdf2_hmac(hash_name, password.encode(), base64.b64decode(attrs["s"]),
                                     int(attrs["i"]))
        client_key = hmac.new(salted, b"Client Key", h).digest()
        without_proof = f"c=biws,r={attrs['r']}"
        auth_message = f"{first_bare},{server_first},{without_proof}".encode()
        signature = hmac.new(h(client_key).digest(), auth_message, h).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        final = f"{without_proof},p={base64.b64encode(proof).decode()}"
        reply = c.request(f"<response xmlns='{SASL}'>"
                          f"{base64.b64encode(final.encode()).decode()}</response>")
        self.assertTrue(any(tag(e) == "success" for e in reply), ET.tostring(reply[0]))
        return [first, final, base64.b64encode(proof).decode(),
                base64.b64encode(client_key).decode(), base64.b64encode(salted).decode()]

    def test_no_secret_reaches_the_log_even_at_trace_level(self):
        secrets_seen = {"component secret": SECRET}
        # PLAIN with the users file, right and wrong.
        for user, password in self.passwords.items():
            c = BoshClient(self.url, DOMAIN)
            c.login_plain(user, password)
            secrets_seen[f"{user}'s password"] = password
            secrets_seen[f"{user}'s PLAIN payload"] = BoshClient.plain(user, password)
        wrong = "Not-The-Password-55x"
        c = BoshClient(self.url, DOMAIN)
        c.open()
        reply = c.request(f"<auth xmlns='{SASL}' mechanism='PLAIN'>"
                          f"{BoshClient.plain('romeo', wrong)}</auth>")
        self.assertEqual(tag(reply[0]), "failure")
        secrets_seen["a wrong password"] = wrong
        secrets_seen["a wrong PLAIN payload"] = BoshClient.plain("romeo", wrong)
        # SCRAM-SHA-1 and SCRAM-SHA-256.
        for hash_name in ("sha1", "sha256"):
            for i, value in enumerate(self.scram_login("juliet", self.passwords["juliet"],
                                                       hash_name)):
                secrets_seen[f"SCRAM {hash_name} item {i}"] = value
                secrets_seen[f"SCRAM {hash_name} item {i} base64"] = \
                    base64.b64encode(value.encode()).decode()
        # A JWT as PLAIN password, accepted and refused.
        token = make_jwt(JWT_KEY, {"sub": "tybalt", "exp": int(time.time()) + 300})
        c = BoshClient(self.url, DOMAIN)
        self.assertTrue(c.login_plain("tybalt", token).startswith(f"tybalt@{DOMAIN}/"))
        bad = make_jwt(b"k" * 40, {"sub": "tybalt", "exp": int(time.time()) + 300})
        c = BoshClient(self.url, DOMAIN)
        c.open()
        self.assertEqual(tag(c.request(f"<auth xmlns='{SASL}' mechanism='PLAIN'>"
                                       f"{BoshClient.plain('tybalt', bad)}</auth>")[0]), "failure")
        for name, t in (("JWT", token), ("refused JWT", bad)):
            secrets_seen[name] = t
            secrets_seen[name + " signature"] = t.rsplit(".", 1)[1]
            secrets_seen[name + " PLAIN payload"] = BoshClient.plain("tybalt", t)
        secrets_seen["JWT key"] = JWT_KEY.decode()
        secrets_seen["JWT key base64"] = base64.b64encode(JWT_KEY).decode()
        self.boshmux.wait_log("authentication failed", count=2)
        log = self.boshmux.log_text()
        # The log is the trace-level one and saw these logins (so the check means something).
        self.assertIn(" trace ", log)
        self.assertIn("authenticated", log)
        self.assertGreaterEqual(log.count("authenticated tybalt@"), 1)
        self.assertGreaterEqual(log.count("authentication failed"), 2)
        for name, value in secrets_seen.items():
            self.assertNotIn(value, log, f"{name} is in the log")
        # The component handshake digest (hex SHA-1 of stream id + secret) is a credential too.
        self.assertIsNone(re.search(r"<handshake>[0-9a-fA-F]{40}", log))
        # Nor does a secret show in --print-config.
        out = subprocess.run([binary(), "--domain", DOMAIN, "--secret", SECRET,
                              "--print-config"], capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertNotIn(SECRET, out.stdout + out.stderr)


if __name__ == "__main__":
    unittest.main()
