"""Command-line validation of boshmux (exit status 2 with a message naming the option)."""

import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import binary  # noqa: E402

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
                            ("--log-level", "BOSHMUX_LOG_LEVEL")]:
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
        self.assert_rejected(GOOD + ["--no-such-option"], "--no-such-option")

    def test_missing_domain_or_secret_exit_2(self):
        self.assert_rejected(["--secret", "x"], "--domain")
        self.assert_rejected(["--domain", "bosh.localhost"], "--secret")
        self.assert_rejected(["--domain", "bosh.localhost", "--secret-file", "/nonexistent/f"],
                             "--secret-file")

    def test_environment_variables_are_read_and_validated(self):
        self.assert_rejected(GOOD, "--upstream", env={"BOSHMUX_UPSTREAM": "nocolon"})
        self.assert_rejected(["--secret", "x"], "--domain", env={"BOSHMUX_DOMAIN": "a b"})


if __name__ == "__main__":
    unittest.main()
