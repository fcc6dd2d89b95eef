"""Test harness: private Prosody instances, boshmux processes and a minimal XMPP client.

Everything binds to 127.0.0.1 on free ports and lives in a temporary directory; nothing
touches a system service. Standard library only.
"""

import base64
import os
import re
import shutil
import signal
import socket
import string
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
STREAMS_NS = "http://etherx.jabber.org/streams"
CLIENT_NS = "jabber:client"
SASL_NS = "urn:ietf:params:xml:ns:xmpp-sasl"
BIND_NS = "urn:ietf:params:xml:ns:xmpp-bind"
STANZAS_NS = "urn:ietf:params:xml:ns:xmpp-stanzas"


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout, what, interval=0.02):
    """Polls `predicate` until it returns a truthy value; fails the test after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def port_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def binary(name="boshmux"):
    """Path of a boshmux executable, given by CTest in BOSHMUX_BIN_DIR."""
    path = os.path.join(os.environ.get("BOSHMUX_BIN_DIR", ""), name)
    if not os.access(path, os.X_OK):
        raise AssertionError(f"{name} not built at {path}: set BOSHMUX_BIN_DIR")
    return path


class Prosody:
    """A private Prosody on loopback with the boshmux component declared."""

    def __init__(self, domain="localhost", components=None, muc="conference.localhost"):
        if shutil.which("prosody") is None:
            raise AssertionError("prosody is not installed (deploy/local/install-deps.sh --test)")
        self.dir = tempfile.mkdtemp(prefix="boshmux-prosody-")
        self.domain = domain
        self.components = components or {}
        self.muc = muc
        self.c2s_port = free_port()
        self.component_port = free_port()
        self.http_port = free_port()
        self.config = os.path.join(self.dir, "prosody.cfg.lua")
        self.log = os.path.join(self.dir, "prosody.log")
        self.proc = None
        self._write_config()

    def _write_config(self):
        template_path = os.path.join(REPO_ROOT, "deploy", "prosody", "local.cfg.lua.in")
        with open(template_path) as f:
            template = string.Template(f.read())
        (first, secret), *others = list(self.components.items()) or [("unused.invalid", "-")]
        text = template.substitute(
            DIR=self.dir, LOG_LEVEL="debug", C2S_PORT=self.c2s_port,
            HTTP_PORT=self.http_port, COMPONENT_PORT=self.component_port,
            XMPP_DOMAIN=self.domain, COMPONENT_DOMAIN=first, COMPONENT_SECRET=secret,
            MUC_DOMAIN=self.muc)
        for name, other_secret in others:
            text += f'Component "{name}"\n  component_secret = "{other_secret}"\n'
        os.makedirs(os.path.join(self.dir, "data"), exist_ok=True)
        with open(self.config, "w") as f:
            f.write(text)

    def start(self):
        self.proc = subprocess.Popen(
            ["prosody", "--config", self.config, "-F"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for(lambda: port_open(self.component_port) and port_open(self.c2s_port), 15,
                 "prosody to listen")
        return self

    def kill(self):
        """Kills Prosody hard (SIGKILL): connections drop without a stream close."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    def register(self, user, password):
        subprocess.run(["prosodyctl", "--config", self.config, "register", user, self.domain,
                        password], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class Boshmux:
    """A boshmux process whose stderr goes to a log file the test can wait on."""

    def __init__(self, args, env=None):
        self.dir = tempfile.mkdtemp(prefix="boshmux-run-")
        self.log = os.path.join(self.dir, "boshmux.log")
        self.args = [binary()] + list(args)
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.proc = None
        self._log_file = None

    def start(self):
        self._log_file = open(self.log, "ab")
        self.proc = subprocess.Popen(self.args, stdout=self._log_file, stderr=self._log_file,
                                     env=self.env, start_new_session=True)
        return self

    def log_text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def wait_log(self, pattern, timeout=10, count=1):
        """Waits until `pattern` (a regex) matched `count` lines; returns the matches."""
        rx = re.compile(pattern)

        def found():
            if self.proc.poll() is not None and len(rx.findall(self.log_text())) < count:
                raise AssertionError(f"boshmux exited ({self.proc.returncode}) before logging "
                                     f"{pattern!r}:\n{self.log_text()}")
            matches = rx.findall(self.log_text())
            return matches if len(matches) >= count else None

        try:
            return wait_for(found, timeout, f"log line {pattern!r}")
        except AssertionError as e:
            raise AssertionError(f"{e}\n--- boshmux log ---\n{self.log_text()}") from None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout=10):
        return self.proc.wait(timeout)

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if self._log_file:
            self._log_file.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class XmppClient:
    """A minimal c2s client (plain TCP, SASL PLAIN, bind) for talking to Prosody directly."""

    def __init__(self, port, domain, user, password, resource="test", timeout=10):
        self.domain = domain
        self.timeout = timeout
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.parser = None
        self.depth = 0
        self.pending = []
        self._open_stream()
        features = self.next_element()
        mechs = [m.text for m in features.iter(f"{{{SASL_NS}}}mechanism")]
        assert "PLAIN" in mechs, f"PLAIN not offered: {mechs}"
        token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        self.send(f"<auth xmlns='{SASL_NS}' mechanism='PLAIN'>{token}</auth>")
        result = self.next_element()
        assert result.tag == f"{{{SASL_NS}}}success", ET.tostring(result)
        self._open_stream()
        self.next_element()  # features
        self.send(f"<iq type='set' id='bind'><bind xmlns='{BIND_NS}'><resource>{resource}"
                  "</resource></bind></iq>")
        bound = self.next_element()
        self.jid = bound.find(f".//{{{BIND_NS}}}jid").text

    def _open_stream(self):
        self.parser = ET.XMLPullParser(events=("start", "end"))
        self.depth = 0
        self.send(f"<?xml version='1.0'?><stream:stream xmlns='{CLIENT_NS}' "
                  f"xmlns:stream='{STREAMS_NS}' to='{self.domain}' version='1.0'>")

    def send(self, data):
        self.sock.sendall(data.encode())

    def next_element(self, timeout=None):
        """The next complete top-level element of the stream (an ElementTree element)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while not self.pending:
            for event, elem in self.parser.read_events():
                if event == "start":
                    self.depth += 1
                elif event == "end":
                    self.depth -= 1
                    if self.depth == 1:
                        self.pending.append(elem)
            if self.pending:
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("timed out waiting for a stanza")
            self.sock.settimeout(remaining)
            data = self.sock.recv(65536)
            if not data:
                raise AssertionError("server closed the stream")
            self.parser.feed(data)
        return self.pending.pop(0)

    def wait_for(self, predicate, timeout=None):
        """Skips elements until one satisfies `predicate`; returns it."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("timed out waiting for a matching stanza")
            elem = self.next_element(remaining)
            if predicate(elem):
                return elem

    def close(self):
        try:
            self.send("</stream:stream>")
        except OSError:
            pass
        self.sock.close()
