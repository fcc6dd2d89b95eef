-- Example: the lines a production Prosody (0.12) needs for one boshmux node. Add them to
-- /etc/prosody/prosody.cfg.lua (or a file in /etc/prosody/conf.d/) and reload Prosody.
-- boshmux then runs with --domain bosh.example.com --upstream xmpp.example.com:5347
-- --secret-file FILE (FILE holding the same secret).

-- The XEP-0114 component listener. Keep it off the internet: only boshmux connects here.
component_ports = { 5347 }
component_interfaces = { "10.0.0.5" } -- an address on the private network boshmux uses

-- One block per boshmux domain; the secret must match boshmux's --secret-file.
Component "bosh.example.com"
  component_secret = "replace with a long random secret"

-- A group chat service the BOSH users can join (optional).
Component "conference.example.com" "muc"
