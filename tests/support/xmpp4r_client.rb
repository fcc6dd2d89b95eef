#!/usr/bin/env ruby
# frozen_string_literal: true
#
# An end-to-end test client: Debian's ruby-xmpp4r 0.5.6 HTTP binding client
# (Jabber::HTTPBinding::Client), a legacy BOSH client that sends neither `ver` nor
# `xmpp:version` when it opens the session.
#
#   ruby xmpp4r_client.rb --url http://127.0.0.1:5280/http-bind --jid romeo@bosh.example \
#        (--password secret | --anonymous) [--resource R] [--send-to JID --body TEXT] \
#        [--expect N] [--linger S] [--timeout S] [--debug]
#
# It logs in (xmpp4r 0.5.6 knows SASL DIGEST-MD5, PLAIN and ANONYMOUS, and prefers them in
# that order; boshmux offers PLAIN for users-file accounts), binds, sends initial presence,
# sends one chat message if asked to, waits for N chat messages with a body, pings the domain
# (so that everything sent has left xmpp4r's buffer) and logs out (xmpp4r's own
# `type='terminate'` request). One JSON object per line on stdout:
#   {"event":"connected","jid":"romeo@bosh.example/xmpp4r"}
#   {"event":"sent","to":"...","body":"..."}
#   {"event":"message","from":"...","to":"...","type":"chat","body":"..."}
#   {"event":"closed"}                                    (after a ping round trip)
#   {"event":"error","stage":"...","error":"..."}        (on failure)
# Exit status: 0 success, 2 authentication refused, 3 timeout, 1 any other failure.
# --debug sends xmpp4r's own log (every HTTP request and response body) to stderr.

require 'json'
require 'optparse'
require 'timeout'

require 'xmpp4r'
require 'xmpp4r/httpbinding'

# Client bug, not a server one: xmpp4r's rexmladdons.rb redefines REXML::IOSource#position to
# return 0 (an old workaround for REXML in Ruby 1.8.3). REXML >= 3.2.6 (Debian 12 ships 3.3.9)
# parses every String through an IOSource and rewinds with `position`, so with the override
# any document with two sibling elements fails ("Missing end tag for ..."): xmpp4r cannot parse
# a single BOSH response. Dropping the override restores REXML's own Source#position.
if REXML::IOSource.instance_methods(false).include?(:position)
  REXML::IOSource.send(:remove_method, :position)
end

options = { resource: 'xmpp4r', expect: 0, timeout: 20.0 }
OptionParser.new do |o|
  o.on('--url URL', 'BOSH endpoint') { |v| options[:url] = v }
  o.on('--jid JID', 'user@domain (a /resource is used for binding)') { |v| options[:jid] = v }
  o.on('--password PASSWORD') { |v| options[:password] = v }
  o.on('--anonymous', 'SASL ANONYMOUS (--jid: just the domain)') { options[:anonymous] = true }
  o.on('--resource RESOURCE') { |v| options[:resource] = v }
  o.on('--send-to JID') { |v| options[:send_to] = v }
  o.on('--body TEXT') { |v| options[:body] = v }
  o.on('--expect N', Integer, 'chat messages to wait for') { |v| options[:expect] = v }
  o.on('--timeout SECONDS', Float, 'for the whole run') { |v| options[:timeout] = v }
  o.on('--linger SECONDS', Float, 'stay online before logging out') { |v| options[:linger] = v }
  o.on('--debug', "xmpp4r's protocol log on stderr") { options[:debug] = true }
end.parse!

# Client bug: HTTPBinding::Client#send_data has `elsif # limited_by_polling && @authenticated`,
# so its condition is the next line, `Jabber::debuglog(...)`, which is nil unless debugging is
# on; the "can't happen" branch then calls the undefined Jabber::errorlog and the NoMethodError
# aborts the process (its threads set abort_on_exception). Debugging therefore stays on, and
# the log goes nowhere unless --debug.
require 'logger'
Jabber.logger = Logger.new(options[:debug] ? $stderr : IO::NULL)
Jabber.debug = true

def emit(obj)
  $stdout.puts(JSON.generate(obj))
  $stdout.flush
end

%i[url jid password].each do |key|
  next if options[key] || (key == :password && options[:anonymous])

  emit(event: 'error', stage: 'options', error: "--#{key} is required")
  exit 1
end

jid = Jabber::JID.new(options[:jid])
jid.resource = options[:resource] if jid.resource.nil? || jid.resource.empty?
client = Jabber::HTTPBinding::Client.new(jid)
messages = Queue.new
client.add_message_callback do |m|
  messages << m if m.type == :chat && m.body
end

stage = 'connect'
status = 0
begin
  Timeout.timeout(options[:timeout]) do
    client.connect(options[:url])
    stage = 'auth'
    begin
      # SASL, stream restart, bind (and session if offered)
      if options[:anonymous]
        client.auth_anonymous_sasl
        # Client bug: only Client#auth sets @authenticated; auth_anonymous_sasl does not, and
        # without it the HTTP binding client never keeps a request pending (no long-poll), so
        # anything the server sends after the last answered request is never fetched.
        client.instance_variable_set(:@authenticated, true)
      else
        client.auth(options[:password])
      end
    rescue Jabber::ClientAuthenticationFailure => e
      emit(event: 'error', stage: stage, error: "authentication failed: #{e.message}")
      status = 2
      raise
    end
    emit(event: 'connected', jid: client.jid.to_s)

    stage = 'presence'
    client.send(Jabber::Presence.new)
    if options[:send_to]
      stage = 'send'
      message = Jabber::Message.new(options[:send_to], options[:body] || 'hello')
      message.type = :chat
      client.send(message)
      emit(event: 'sent', to: options[:send_to], body: message.body)
    end

    stage = 'receive'
    options[:expect].times do
      m = messages.pop
      emit(event: 'message', from: m.from.to_s, to: m.to.to_s, type: m.type.to_s, body: m.body)
    end

    sleep(options[:linger]) if options[:linger]

    # Client bug: xmpp4r's close posts <body type='terminate'> at once, with the next rid, while
    # a stanza given to send() may still wait in its send buffer (or for its 50 ms pacing) and
    # then goes out after the session ended (item-not-found): the stanza is lost. An XEP-0199
    # ping to the domain, answered, flushes everything sent before it (rid order).
    stage = 'flush'
    ping = Jabber::Iq.new(:get, client.jid.domain)
    ping.add(REXML::Element.new('ping')).add_namespace('urn:xmpp:ping')
    client.send_with_id(ping)

    stage = 'close'
    client.close # <body type='terminate'> with unavailable presence, then xmpp4r sleeps 3 s
    emit(event: 'closed')
  end
rescue Timeout::Error
  emit(event: 'error', stage: stage, error: "timed out after #{options[:timeout]}s")
  status = 3
rescue Exception => e # rubocop:disable Lint/RescueException -- xmpp4r threads abort into main
  raise if e.is_a?(SystemExit)

  emit(event: 'error', stage: stage, error: "#{e.class}: #{e.message}") if status.zero?
  status = 1 if status.zero?
end
# xmpp4r's HTTP threads may still hold a long-poll: do not wait for them.
exit!(status)
