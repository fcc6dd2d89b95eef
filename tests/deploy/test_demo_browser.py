"""The demo page (deploy/demo/) in Debian's headless Chromium, driven by playwright-core
(tests/e2e/demo_browser.mjs), against the README's run command (deploy/local/run.sh: a private
Prosody and boshmux, anonymous login on): the page logs in anonymously, sends a message to the
Prosody user alice@localhost, shows her reply, and is photographed.

The screenshot goes to BOSHMUX_DEMO_SCREENSHOT when set (deploy/demo/screenshot.png is made
that way), else to a temporary directory."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from harness import REPO_ROOT, XmppClient, free_port, wait_for  # noqa: E402

sys.path.insert(0, os.path.join(REPO_ROOT, "deploy", "demo"))
import serve  # noqa: E402

E2E = os.path.join(REPO_ROOT, "tests", "e2e")
CHROMIUM = "/usr/bin/chromium"
TEXT = "Hello Alice, this is the boshmux demo page."
REPLY = "Hi! Alice here, replying from Prosody."


class DemoBrowserTest(unittest.TestCase):
    def setUp(self):
        for path, hint in ((CHROMIUM, "apt-get install chromium"),
                           (os.path.join(E2E, "node_modules", "playwright-core"),
                            "npm install in tests/e2e")):
            if not os.path.exists(path):
                raise AssertionError(f"{path} is missing ({hint})")
        if shutil.which("node") is None:
            raise AssertionError("node is not installed")
        self.dir = tempfile.mkdtemp(prefix="boshmux-demo-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.c2s_port = free_port()
        self.bosh_port = free_port()
        self.log = os.path.join(self.dir, "run.log")
        env = dict(os.environ,
                   BOSHMUX_LOCAL_DIR=os.path.join(self.dir, "local"),
                   BOSHMUX_LOCAL_C2S_PORT=str(self.c2s_port),
                   BOSHMUX_LOCAL_COMPONENT_PORT=str(free_port()),
                   BOSHMUX_LOCAL_PROSODY_HTTP_PORT=str(free_port()),
                   BOSHMUX_LISTEN=f"127.0.0.1:{self.bosh_port}")
        env.pop("BOSHMUX_ANONYMOUS", None)  # the run command's own default
        with open(self.log, "wb") as log:
            self.run_cmd = subprocess.Popen(
                [os.path.join(REPO_ROOT, "deploy", "local", "run.sh")], env=env,
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        self.addCleanup(self.stop_run_command)

        def authenticated():
            if self.run_cmd.poll() is not None:
                raise AssertionError(f"run.sh exited ({self.run_cmd.returncode}):\n"
                                     f"{self.run_log()}")
            return re.search(r"component bosh\.localhost authenticated", self.run_log())
        try:
            wait_for(authenticated, 300, "the run command's boshmux", interval=0.2)
        except AssertionError as e:
            raise AssertionError(f"{e}\n{self.run_log()}") from None

        self.web = serve.make_server()
        threading.Thread(target=self.web.serve_forever, daemon=True).start()
        self.addCleanup(self.web.server_close)
        self.addCleanup(self.web.shutdown)

    def run_log(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def stop_run_command(self):
        """SIGTERM to run.sh: it stops boshmux, then its Prosody."""
        if self.run_cmd.poll() is None:
            self.run_cmd.send_signal(signal.SIGTERM)
            try:
                self.run_cmd.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.run_cmd.pid, signal.SIGKILL)
                self.run_cmd.wait(10)

    def test_log_in_anonymously_chat_and_screenshot(self):
        # Alice, the run command's Prosody user, answers the first chat message she gets.
        alice = XmppClient(self.c2s_port, "localhost", "alice", "alice")
        self.addCleanup(alice.close)
        alice.send("<presence/>")
        got = {}

        def answer():
            try:
                m = alice.wait_for(lambda e: e.tag.endswith("message") and
                                   e.get("type") == "chat", timeout=60)
                got["from"] = m.get("from")
                got["body"] = m.findtext("{jabber:client}body")
                alice.send(f"<message to='{m.get('from')}' type='chat'><body>{REPLY}</body>"
                           "</message>")
            except (AssertionError, OSError) as e:
                got["error"] = repr(e)
        responder = threading.Thread(target=answer)
        responder.start()

        screenshot = (os.environ.get("BOSHMUX_DEMO_SCREENSHOT") or
                      os.path.join(self.dir, "screenshot.png"))
        page = (f"http://127.0.0.1:{self.web.server_address[1]}/index.html?"
                f"bosh=http://127.0.0.1:{self.bosh_port}/http-bind&domain=bosh.localhost"
                "&to=alice@localhost")
        started = time.monotonic()
        browser = subprocess.run(
            ["node", os.path.join(E2E, "demo_browser.mjs"), "--page", page, "--text", TEXT,
             "--reply", REPLY, "--screenshot", screenshot],
            cwd=E2E, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=180)
        sys.stderr.write(f"browser session took {time.monotonic() - started:.1f} s\n")
        responder.join(60)
        self.assertEqual(browser.returncode, 0,
                         f"{browser.stdout}\n{browser.stderr}\n{self.run_log()[-4000:]}")
        result = json.loads(browser.stdout.strip().splitlines()[-1])

        # The page logged in anonymously on the boshmux domain (a random local part) ...
        self.assertRegex(result["jid"], r"^[^@/]+@bosh\.localhost/.+$")
        # ... Alice got the page's message from that very JID ...
        self.assertNotIn("error", got)
        self.assertEqual(got, {"from": result["jid"], "body": TEXT})
        # ... and the page shows what it sent and her reply, with no script error.
        self.assertIn(TEXT, result["sent"])
        self.assertIn("alice@localhost", result["reply"])
        self.assertIn(REPLY, result["reply"])
        self.assertEqual(result["problems"], [])
        with open(screenshot, "rb") as f:
            png = f.read()
        self.assertTrue(png.startswith(b"\x89PNG\r\n\x1a\n"))
        self.assertGreater(len(png), 10000)


if __name__ == "__main__":
    unittest.main()
