// boshmux demo: logs in anonymously (SASL ANONYMOUS: a JID without a local part) through the
// BOSH endpoint with Strophe.js, sends available presence, and chats.
const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
$("bosh").value = params.get("bosh") || "http://127.0.0.1:5280/http-bind";
$("domain").value = params.get("domain") || "bosh.localhost";
$("to").value = params.get("to") || "alice@localhost";
let connection = null;

function setStatus(text, kind) {
  $("status").textContent = text;
  $("status").className = `status ${kind}`;
}

function addLine(who, text, direction) {
  const li = document.createElement("li");
  li.className = direction;
  const name = document.createElement("span");
  name.className = "who";
  name.textContent = who;
  li.append(name, document.createTextNode(text));
  $("log").append(li);
}

function setChatEnabled(enabled) {
  for (const id of ["to", "text", "send"]) $(id).disabled = !enabled;
  $("login").disabled = enabled;
}

function onMessage(message) {
  const body = message.getElementsByTagName("body")[0];
  if (body) {
    const from = Strophe.getBareJidFromJid(message.getAttribute("from"));
    const error = message.getAttribute("type") === "error";
    addLine(error ? `${from} (error)` : from, Strophe.getText(body), "in");
  }
  return true; // keep the handler
}

function onStatus(status, condition) {
  const S = Strophe.Status;
  if (status === S.CONNECTING) {
    setStatus("connecting…", "offline");
  } else if (status === S.CONNECTED) {
    setStatus(`online as ${connection.jid}`, "online");
    connection.addHandler(onMessage, null, "message");
    connection.send($pres());
    setChatEnabled(true);
    $("text").focus();
  } else if (status === S.AUTHFAIL || status === S.CONNFAIL || status === S.ERROR) {
    setStatus(`failed: ${condition || "connection failed"}`, "error");
  } else if (status === S.DISCONNECTED) {
    if (!$("status").classList.contains("error")) setStatus("offline", "offline");
    setChatEnabled(false);
  }
}

$("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  connection = new Strophe.Connection($("bosh").value);
  connection.connect($("domain").value, null, onStatus);
});

$("chat-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const to = $("to").value.trim();
  const text = $("text").value;
  connection.send($msg({ to, type: "chat" }).c("body").t(text));
  addLine(`me → ${to}`, text, "out");
  $("text").value = "";
});
