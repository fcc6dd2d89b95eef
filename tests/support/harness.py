"""Test harness: private Prosody instances, boshmux processes and a minimal XMPP client.

Everything binds to 127.0.0.1 on free ports and lives in a temporary directory; nothing
touches a system service. Standard library only.
"""

import base64
import json
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


class PrivateServer:
    """What the private XMPP servers share: a directory of their own and a log file."""

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def freeze(self):
        """Stops (SIGSTOP) the processes that handle the traffic: connections stay open and
        what peers write piles up unread in the socket buffers. kill() ends a frozen server."""
        self._settle()
        for pid in self._workers():
            _signal(pid, signal.SIGSTOP)

    def _settle(self):
        """Waits until what the server was told is on disk (a hard stop loses nothing)."""


class Prosody(PrivateServer):
    """A private Prosody on loopback with the boshmux component declared."""

    def __init__(self, domain="localhost", components=None, muc="conference.localhost",
                 log_level="debug", extra_config=""):
        """`extra_config`: Lua appended to the configuration (e.g. another VirtualHost)."""
        if shutil.which("prosody") is None:
            raise AssertionError("prosody is not installed (deploy/local/install-deps.sh --test)")
        self.dir = tempfile.mkdtemp(prefix="boshmux-prosody-")
        self.domain = domain
        self.components = components or {}
        self.muc = muc
        self.log_level = log_level
        self.extra_config = extra_config
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
            DIR=self.dir, LOG_LEVEL=self.log_level, C2S_PORT=self.c2s_port,
            HTTP_PORT=self.http_port, COMPONENT_PORT=self.component_port,
            XMPP_DOMAIN=self.domain, COMPONENT_DOMAIN=first, COMPONENT_SECRET=secret,
            MUC_DOMAIN=self.muc)
        for name, other_secret in others:
            text += f'Component "{name}"\n  component_secret = "{other_secret}"\n'
        text += self.extra_config
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

    def _workers(self):
        return [self.proc.pid] if self.proc else []

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



def _process_group(pgid):
    """Pids of the live (not zombie) processes whose process group is `pgid`."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
        if fields[0] != "Z" and int(fields[2]) == pgid:
            pids.append(int(entry))
    return pids


class Ejabberd(PrivateServer):
    """A private ejabberd (Debian's 23.01) on loopback with the boshmux component declared.

    Same interface as Prosody. Config, spool, logs, Erlang cookie and distribution port are
    private (FIELD-NOTES.md): no epmd, nothing of /etc/ejabberd or /var/lib/ejabberd is used.
    """

    def __init__(self, domain="localhost", components=None, muc="conference.localhost",
                 log_level="debug", extra_config=None):
        """`extra_config`: YAML for the template's MORE_LISTEN, MORE_MODULES and MORE_TOP
        placeholders (more listeners, modules, top-level options), in which ${HTTP_PORT}
        stands for `http_port`, a free port for a listener."""
        if shutil.which("ejabberdctl") is None:
            raise AssertionError("ejabberd is not installed (apt-get install ejabberd, with a "
                                 "policy-rc.d so that its service does not start)")
        import secrets
        self.dir = tempfile.mkdtemp(prefix="boshmux-ejabberd-")
        os.chmod(self.dir, 0o750)
        self.domain = domain
        self.components = components or {}
        self.muc = muc
        self.log_level = log_level
        self.extra_config = extra_config or {}
        self.c2s_port = free_port()
        self.component_port = free_port()
        self.http_port = free_port()
        self.dist_port = free_port()  # Erlang distribution, used by ejabberdctl commands
        self.node = f"boshmux{os.getpid()}x{secrets.token_hex(3)}@localhost"
        self.spool = os.path.join(self.dir, "spool")
        self.logs = os.path.join(self.dir, "logs")
        self.log = os.path.join(self.logs, "ejabberd.log")
        self.proc = None
        self._last_write = -1e9  # time.monotonic() of the last account change
        self._write_config(secrets.token_hex(16))

    def _write_config(self, cookie):
        def yaml_str(value):  # goes between the template's double quotes
            return json.dumps(str(value))[1:-1]

        template_path = os.path.join(REPO_ROOT, "deploy", "ejabberd", "local.yml.in")
        with open(template_path) as f:
            template = string.Template(f.read())
        (first, secret), *others = list(self.components.items()) or [("unused.invalid", "-")]
        more = "".join(f'      "{yaml_str(name)}":\n        password: "{yaml_str(pw)}"\n'
                       for name, pw in others)
        files = {
            "ejabberd.yml": template.substitute(
                DIR=self.dir, LOG_LEVEL=self.log_level, C2S_PORT=self.c2s_port,
                COMPONENT_PORT=self.component_port, XMPP_DOMAIN=yaml_str(self.domain),
                COMPONENT_DOMAIN=yaml_str(first), COMPONENT_SECRET=yaml_str(secret),
                MORE_COMPONENTS=more, MUC_DOMAIN=yaml_str(self.muc),
                **{key: string.Template(self.extra_config.get(key, "")).substitute(
                    HTTP_PORT=self.http_port)
                   for key in ("MORE_LISTEN", "MORE_MODULES", "MORE_TOP")}),
            # Sourced by ejabberdctl. With ERL_DIST_PORT set, no epmd is started or asked.
            "ejabberdctl.cfg": (f"ERL_DIST_PORT={self.dist_port}\n"
                                f"EJABBERD_PID_PATH={self.dir}/ejabberd.pid\n"
                                f"CONTRIB_MODULES_PATH={self.dir}/contrib\n"
                                f"CONTRIB_MODULES_CONF_DIR={self.dir}/contrib/conf\n"
                                "EJABBERD_BYPASS_WARNINGS=true\n"
                                'ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0"\n'),
            # Read by the server and by every ejabberdctl command (a client VM).
            "vm.args": (f"-setcookie {cookie}\n"
                        "-kernel inet_dist_use_interface {127,0,0,1}\n"),
            "inetrc": '{lookup, ["file", "native"]}.\n{host, {127,0,0,1}, ["localhost"]}.\n',
        }
        for sub in (self.spool, self.logs):
            os.makedirs(sub, exist_ok=True)
        for name, text in files.items():
            path = os.path.join(self.dir, name)
            with open(path, "w") as f:
                f.write(text)
            os.chmod(path, 0o600)  # secrets and cookie
        if os.geteuid() == 0:  # ejabberdctl runs as the ejabberd user (see _ctl)
            import pwd
            user = pwd.getpwnam("ejabberd")
            for root, dirs, names in os.walk(self.dir):
                for path in [root] + [os.path.join(root, n) for n in dirs + names]:
                    os.chown(path, user.pw_uid, user.pw_gid)

    def _ctl(self, *args, **popen_kwargs):
        """Runs ejabberdctl on this instance. As root it runs as the ejabberd user from the
        start, rather than letting ejabberdctl `su` to it: su would put the Erlang VM into a
        session of its own, out of reach of kill() and of os.killpg(proc.pid, ...)."""
        import pwd
        kwargs = {"env": dict(os.environ, HOME=self.dir), "cwd": self.spool,
                  "stdin": subprocess.DEVNULL}
        if os.geteuid() == 0:
            kwargs.update(user="ejabberd", group="ejabberd", extra_groups=[])
        elif pwd.getpwuid(os.geteuid()).pw_name != "ejabberd":
            raise AssertionError("ejabberdctl runs only as root or as the ejabberd user")
        kwargs.update(popen_kwargs)
        return subprocess.Popen(
            ["ejabberdctl", "--config-dir", self.dir, "--spool", self.spool, "--logs",
             self.logs, "--node", self.node] + list(args), **kwargs)

    def start(self):
        """Starts (or, after kill() or stop(), restarts) the server; returns once its c2s and
        component ports accept connections."""
        self.proc = self._ctl("foreground", stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)

        def listening():
            if self.proc.poll() is not None:
                raise AssertionError(f"ejabberd exited ({self.proc.returncode}):\n"
                                     f"{self.log_text()[-3000:]}")
            return port_open(self.component_port) and port_open(self.c2s_port)

        try:
            wait_for(listening, 20, "ejabberd to listen", interval=0.05)
        except AssertionError:
            self.kill()
            raise
        return self

    def pids(self):
        """Live processes of this instance: ejabberdctl, the Erlang VM (beam.smp) and its
        erl_child_setup, all in the process group that ejabberdctl leads."""
        return _process_group(self.proc.pid) if self.proc else []

    def _beams(self):
        return [pid for pid in self.pids() if _comm(pid).startswith("beam")]

    def _workers(self):
        return self._beams()  # not ejabberdctl: kill() needs it to reap the VM

    def _settle(self):
        # Mnesia writes its transaction log with a delay of up to 2 s (dets up to 3 s): an
        # account registered just before a SIGKILL (or a SIGSTOP) would be lost, unlike in
        # Prosody.
        time.sleep(max(0.0, self._last_write + 3.5 - time.monotonic()))

    def _reap(self, timeout):
        self.proc.wait(timeout)
        wait_for(lambda: not self.pids(), timeout, "ejabberd's processes to exit")

    def kill(self):
        """Kills ejabberd hard (SIGKILL to the VM and the rest of its process group):
        connections drop without a stream close."""
        if self.proc:
            self._settle()
            # The VM first, so that ejabberdctl (its parent) reaps it once all its threads
            # are gone and its ports closed; then whatever is left (erl_child_setup).
            for pid in self._beams() or [self.proc.pid]:
                _signal(pid, signal.SIGKILL)
            try:
                self.proc.wait(10)
            finally:
                _signal(-self.proc.pid, signal.SIGKILL)
                self._reap(10)
        self.proc = None

    def stop(self):
        """A clean shutdown: SIGTERM to the VM (Erlang then runs init:stop()), SIGKILL when
        that takes longer than 10 s."""
        if not self.proc:
            return
        _signal(-self.proc.pid, signal.SIGCONT)  # in case a test left it stopped
        for pid in self._beams() or [self.proc.pid]:
            _signal(pid, signal.SIGTERM)
        try:
            self._reap(10)
        except (AssertionError, subprocess.TimeoutExpired):
            self.kill()
        self.proc = None

    def register(self, user, password):
        """Creates an account, or sets the password of an existing one (like prosodyctl).
        Each ejabberdctl command boots a client VM: about 0.3 s."""
        out = self._run_ctl("register", user, self.domain, password)
        if out is not None and "conflict" in out:  # exists (change_password would need
            self._run_ctl("unregister", user, self.domain)  # mod_admin_extra)
            out = self._run_ctl("register", user, self.domain, password)
        if out is not None:
            raise AssertionError(f"ejabberdctl register {user}@{self.domain} failed: {out}")
        self._last_write = time.monotonic()

    def _run_ctl(self, *args):
        """Runs an ejabberdctl command against the running node: None on success, else its
        output."""
        ctl = self._ctl(*args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out, _ = ctl.communicate(timeout=30)
        return None if ctl.returncode == 0 else f"({ctl.returncode}) {out.strip()}"



def _comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def _signal(pid, sig):
    """os.kill (a negative pid: the process group), ignoring processes already gone."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def upstream_server(**kwargs):
    """The XMPP server under test: Prosody, or ejabberd when BOSHMUX_TEST_UPSTREAM=ejabberd is
    set in the environment (to re-run a suite against it). Both take the same arguments."""
    kind = os.environ.get("BOSHMUX_TEST_UPSTREAM") or "prosody"
    kinds = {"prosody": Prosody, "ejabberd": Ejabberd}
    if kind not in kinds:
        raise AssertionError(f"BOSHMUX_TEST_UPSTREAM={kind!r}: expected prosody or ejabberd")
    return kinds[kind](**kwargs)


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


def test_binary(name):
    """Path of a test-only executable, given by CTest in BOSHMUX_TEST_BIN_DIR."""
    path = os.path.join(os.environ.get("BOSHMUX_TEST_BIN_DIR", ""), name)
    if not os.access(path, os.X_OK):
        raise AssertionError(f"{name} not built at {path}: set BOSHMUX_TEST_BIN_DIR")
    return path


class EchoServer:
    """The BOSH engine with an echo instead of the XMPP layer (tests/support/bosh_echo_server)."""

    def __init__(self, *args):
        import threading
        self.proc = subprocess.Popen([test_binary("bosh_echo_server")] + list(args),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     start_new_session=True)
        line = self.proc.stdout.readline()
        if not line.startswith("listening "):
            raise AssertionError(f"echo server did not start: {line!r} {self.proc.stderr.read()}")
        self.port = int(line.split()[1])
        self.ended = []
        self.stderr = []
        self._lock = threading.Lock()
        threading.Thread(target=self._read, args=(self.proc.stdout, self.ended),
                         daemon=True).start()
        threading.Thread(target=self._read, args=(self.proc.stderr, self.stderr),
                         daemon=True).start()

    def _read(self, stream, into):
        for line in stream:
            with self._lock:
                into.append(line.rstrip("\n"))

    def ended_sessions(self):
        """{sid: (condition, reason)} of every session that ended so far."""
        with self._lock:
            return {l.split()[1]: tuple(l.split()[2:4]) for l in self.ended
                    if l.startswith("ended ")}

    def stats(self):
        import json
        status, _, body = http_request(self.port, "GET", "/stats")
        assert status == 200, status
        return json.loads(body)

    def stop(self):
        """SIGTERM; returns the exit status (non-zero when a sanitizer found a problem)."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            return self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(10)


def http_request(port, method, path, body=b"", headers=None, timeout=10):
    """One request on a fresh connection; returns (status, headers dict lower-cased, body)."""
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data.decode()
    finally:
        conn.close()


class RawHttp:
    """One keep-alive HTTP/1.1 connection driven by hand: exact bytes out, parsed responses in."""

    def __init__(self, port, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buffer = b""

    def send_raw(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def post(self, body, path="/http-bind", extra_headers=""):
        data = body.encode() if isinstance(body, str) else body
        self.send_raw(f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml; "
                      f"charset=utf-8\r\n{extra_headers}Content-Length: {len(data)}\r\n\r\n"
                      .encode() + data)

    def read_response(self, timeout=10):
        """(status, headers dict lower-cased, raw head, body bytes) of the next response."""
        self.sock.settimeout(timeout)
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed before a response")
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode().split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for l in lines[1:]:
            name, value = l.split(": ", 1)
            headers[name.lower()] = value
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed inside a body")
            self.buffer += chunk
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, headers, head.decode(), body

    def closed_by_peer(self, timeout=5):
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except ConnectionResetError:
            return True

    def close(self):
        self.sock.close()


def test_failed(test):
    """True when the running unittest.TestCase `test` has already failed (for cleanups that
    print diagnostics only then)."""
    result = test._outcome.result
    return any(t is test for t, _ in result.errors + result.failures)


class NativeResponder:
    """A native user of `server` ("alice", available) who answers the first chat message she
    gets with `replies`, sent to its sender's full JID, in a thread. `received` then holds the
    `from` and `body` of that message, or `error`."""

    def __init__(self, server, replies, user="alice", password="alicepw", timeout=25):
        import threading
        server.register(user, password)
        self.client = XmppClient(server.c2s_port, server.domain, user, password)
        self.client.send("<presence/>")  # available: the server delivers bare-JID chat to her
        self.received = {}
        self._thread = threading.Thread(target=self._answer, args=(list(replies), timeout))
        self._thread.start()

    def _answer(self, replies, timeout):
        try:
            m = self.client.wait_for(
                lambda e: e.tag.endswith("message") and e.get("type") == "chat", timeout=timeout)
            self.received["from"] = m.get("from")
            self.received["body"] = m.findtext("{jabber:client}body")
            for reply in replies:  # to the full JID boshmux stamped on the way out
                self.client.send(f"<message to='{m.get('from')}' type='chat'><body>{reply}"
                                 "</body></message>")
        except (AssertionError, OSError) as e:
            self.received["error"] = repr(e)

    def join(self, timeout=30):
        self._thread.join(timeout)
        return self.received

    def close(self):
        self.client.close()


def start_boshmux(test, server, domain, secret, *args):
    """boshmux serving `domain` through `server`'s component port, on a free loopback port,
    stopped when `test` ends; waits until its component link is up. Returns (Boshmux, port)."""
    boshmux = Boshmux(["--domain", domain, "--upstream", f"127.0.0.1:{server.component_port}",
                       "--listen", "127.0.0.1:0"] + list(args),
                      env={"BOSHMUX_SECRET": secret}).start()
    test.addCleanup(boshmux.cleanup)
    boshmux.wait_log("authenticated")
    port = boshmux.wait_log(r"BOSH endpoint http://127\.0\.0\.1:(\d+)/http-bind")[0]
    return boshmux, port
