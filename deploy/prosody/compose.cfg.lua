-- Prosody of the compose stack (deploy/docker-compose.yml): XMPP domain localhost, a MUC on
-- conference.localhost, and one XEP-0114 component per boshmux node. The component secret
-- comes from the COMPONENT_SECRET environment variable (ENV_ reads the environment).
log = { info = "*console" }
data_path = "/var/lib/prosody"

interfaces = { "*" }
c2s_ports = { 5222 }
c2s_direct_tls_ports = { }
legacy_ssl_ports = { }
s2s_ports = { }
http_ports = { }
https_ports = { }
component_ports = { 5347 }
component_interfaces = { "*" }

modules_enabled = { "roster", "saslauth", "disco", "ping", "presence", "message", "iq", "offline" }
modules_disabled = { "s2s", "tls" }
-- A demonstration stack on a private network: plain c2s for the test users. In production,
-- give Prosody certificates and drop these two lines.
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_hashed"

VirtualHost "localhost"

-- One component per boshmux node: the node with --node-id n1 serves bosh1.localhost, n2
-- serves bosh2.localhost. Prosody accepts one connection per component domain.
Component "bosh1.localhost"
  component_secret = ENV_COMPONENT_SECRET
Component "bosh2.localhost"
  component_secret = ENV_COMPONENT_SECRET

Component "conference.localhost" "muc"
