"""Command-line validation of boshmux (exit status 2 with a message naming the option), the
config file, --print-config and --log-format json."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import tomllib
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import binary, free_port, port_open, wait_for  # noqa: E402

GOOD = ["--domain", "bosh.localhost", "--secret", "x"]


def run(args, env=None):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("BOSHMUX_")}
    full_env.update(env or {})
    return subprocess.run([binary()] + args, capture_output=True, text=True, env=full_env,
                          timeout=10)


class CommandLineTest(unittest.TestCase):
    def assert_rejected(self, args, option, env=None):
        r = run(args, env)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn(option, r.stdout + r.stderr)

    def test_help_lists_every_option_with_its_variable(self):
        r = run(["--help"])
        self.assertEqual(r.returncode, 0)
        for option, env in [("--domain", "BOSHMUX_DOMAIN"), ("--upstream", "BOSHMUX_UPSTREAM"),
                            ("--secret", "BOSHMUX_SECRET"),
                            ("--secret-file", "BOSHMUX_SECRET_FILE"),
                            ("--listen", "BOSHMUX_LISTEN"), ("--bosh-path", "BOSHMUX_BOSH_PATH"),
                            ("--node-id", "BOSHMUX_NODE_ID"),
                            ("--log-level", "BOSHMUX_LOG_LEVEL"),
                            ("--log-format", "BOSHMUX_LOG_FORMAT"), ("--config", "BOSHMUX_CONFIG"),
                            ("--link-grace", "BOSHMUX_LINK_GRACE")]:
            self.assertIn(option, r.stdout)
            self.assertIn(env, r.stdout)

    def test_invalid_values_exit_2_naming_the_option(self):
        self.assert_rejected(["--domain", "bad domain", "--secret", "x"], "--domain")
        self.assert_rejected(GOOD + ["--upstream", "nocolon"], "--upstream")
        self.assert_rejected(GOOD + ["--upstream", "host:99999"], "--upstream")
        self.assert_rejected(GOOD + ["--listen", "127.0.0.1:x"], "--listen")
        self.assert_rejected(GOOD + ["--bosh-path", "http-bind"], "--bosh-path")
        self.assert_rejected(GOOD + ["--node-id", "n-1"], "--node-id")
        self.assert_rejected(GOOD + ["--log-level", "loud"], "--log-level")
        self.assert_rejected(GOOD + ["--log-format", "xml"], "--log-format")
        self.assert_rejected(GOOD + ["--keepalive", "nan"], "--keepalive")
        self.assert_rejected(GOOD + ["--no-such-option"], "--no-such-option")

    def test_missing_domain_or_secret_exit_2(self):
        self.assert_rejected(["--secret", "x"], "--domain")
        self.assert_rejected(["--domain", "bosh.localhost"], "--secret")
        self.assert_rejected(["--domain", "bosh.localhost", "--secret-file", "/nonexistent/f"],
                             "--secret-file")

    def test_environment_variables_are_read_and_validated(self):
        self.assert_rejected(GOOD, "--upstream", env={"BOSHMUX_UPSTREAM": "nocolon"})
        self.assert_rejected(["--secret", "x"], "--domain", env={"BOSHMUX_DOMAIN": "a b"})


class ConfigFileTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="boshmux-cli-")
        self.addCleanup(self.dir.cleanup)

    def write(self, name, text):
        path = os.path.join(self.dir.name, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_config_file_env_and_flags_end_to_end_with_print_config(self):
        path = self.write("boshmux.toml", """
domain = "bosh.example"
secret = "do-not-print-me"
link-grace = 10
max-wait = 30
max-hold = 2
anonymous = true
cors-origins = ["https://a.example", "https://b.example"]
jwt-issuer = "quote\\" and é"
""")
        r = run(["--config", path, "--print-config", "--max-hold", "3"],
                env={"BOSHMUX_MAX_WAIT": "40", "BOSHMUX_MAX_HOLD": "4"})
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("do-not-print-me", r.stdout)
        printed = tomllib.loads(r.stdout)
        self.assertEqual(printed["domain"], "bosh.example")
        self.assertEqual(printed["secret"], "***")
        self.assertEqual(printed["link-grace"], 10)      # file
        self.assertEqual(printed["max-wait"], 40)        # environment over file
        self.assertEqual(printed["max-hold"], 3)         # flag over environment
        self.assertIs(printed["anonymous"], True)
        self.assertEqual(printed["cors-origins"], ["https://a.example", "https://b.example"])
        self.assertEqual(printed["jwt-issuer"], 'quote" and é')
        self.assertEqual(printed["listen"], "127.0.0.1:5280")  # default

        # What --print-config prints is a config file boshmux accepts as it is.
        again = self.write("printed.toml", r.stdout)
        r2 = run(["--config", again, "--print-config"])
        self.assertEqual(r2.returncode, 0, r2.stderr)
        self.assertEqual(tomllib.loads(r2.stdout), printed)

        r3 = run(["--print-config"], env={"BOSHMUX_CONFIG": path})
        self.assertEqual(r3.returncode, 0, r3.stderr)
        self.assertEqual(tomllib.loads(r3.stdout)["max-wait"], 30)

    def test_bad_config_exits_2_naming_the_key_and_the_file(self):
        for text, key in [("max-wiat = 3\n", "max-wiat"), ("max-wait = \"3\"\n", "max-wait"),
                          ("max-wait = 0\n", "max-wait"), ("anonymous = \"yes\"\n", "anonymous"),
                          ("domain = \"bad domain\"\n", "domain")]:
            with self.subTest(text=text):
                path = self.write("bad.toml", text)
                r = run(GOOD + ["--config", path])
                self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
                self.assertIn(path, r.stderr)
                self.assertIn(f"'{key}'", r.stderr)
        r = run(GOOD + ["--config", os.path.join(self.dir.name, "missing.toml")])
        self.assertEqual(r.returncode, 2)
        self.assertIn("missing.toml", r.stderr)


class JsonLogTest(unittest.TestCase):
    def test_json_log_lines_of_a_real_run_parse(self):
        """boshmux against an upstream nobody listens on: every stderr line is a JSON object,
        and a session line carries its sid in its own key."""
        http_port = free_port()
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("BOSHMUX_")}
        full_env["BOSHMUX_LOG_FORMAT"] = "json"
        proc = subprocess.Popen(
            [binary(), "--domain", "bosh.localhost", "--secret", "x",
             "--upstream", f"127.0.0.1:{free_port()}", "--listen", f"127.0.0.1:{http_port}",
             "--log-level", "debug", "--reconnect-min", "0.05", "--reconnect-max", "0.1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=full_env)
        lines = []

        def read():
            for raw in proc.stderr:
                lines.append(raw)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            wait_for(lambda: port_open(http_port), 10, "boshmux listening")
            # A request for an unknown session is logged at debug as "[sid=...] ...".
            body = (b"<body rid='1' sid='no-such-sid' "
                    b"xmlns='http://jabber.org/protocol/httpbind'/>")
            request = urllib.request.Request(f"http://127.0.0.1:{http_port}/http-bind",
                                             data=body, method="POST")
            try:
                urllib.request.urlopen(request, timeout=5).read()
            except urllib.error.HTTPError:
                pass
            wait_for(lambda: any(b"no-such-sid" in line for line in lines), 10, "the sid line")
            wait_for(lambda: any(b"[up=" in line for line in lines), 10, "a link line")
        finally:
            proc.send_signal(signal.SIGTERM)
            self.assertEqual(proc.wait(timeout=10), 0)
            reader.join(timeout=5)
            proc.stderr.close()
        self.assertGreaterEqual(len(lines), 3)
        records = []
        for raw in lines:
            self.assertTrue(raw.endswith(b"\n"), raw)
            record = json.loads(raw.decode("utf-8"))
            self.assertIsInstance(record, dict)
            self.assertRegex(record["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            self.assertIn(record["level"], {"trace", "debug", "info", "warning", "error",
                                            "critical"})
            self.assertIsInstance(record["msg"], str)
            records.append(record)
        sid_lines = [r for r in records if r.get("sid") == "no-such-sid"]
        self.assertEqual(len(sid_lines), 1, records)
        self.assertEqual(sid_lines[0]["msg"], "request for an unknown session")
        self.assertEqual(sid_lines[0]["level"], "debug")
        self.assertTrue(any(r["msg"].startswith("boshmux ") for r in records), records)


if __name__ == "__main__":
    unittest.main()
