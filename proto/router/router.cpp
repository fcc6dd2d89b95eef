#include "proto/router/router.hpp"

#include "proto/common/small_fifo.hpp"
#include "proto/xml/dom.hpp"
#include "proto/xml/escape.hpp"
#include "proto/xmpp/services.hpp"
#include "proto/xmpp/stanza.hpp"
#include "proto/xmpp/stanza_error.hpp"

#include <algorithm>
#include <charconv>

namespace boshmux::proto::router {

namespace {

void count_kind(std::array<std::uint64_t, 3>& counters, std::string_view name) {
  const auto& kinds = router_stats::kinds;
  const auto* it = std::find(kinds.begin(), kinds.end(), name);
  if (it != kinds.end()) {
    ++counters[static_cast<std::size_t>(it - kinds.begin())];
  }
}

bool is_request(const stanza& s) {
  return s.name == "iq" && (s.type == "get" || s.type == "set");
}

/// Broadcast presence: available (no type) or unavailable.
bool is_availability(const stanza& s) {
  return s.name == "presence" && (s.type.empty() || s.type == "unavailable");
}

/// RFC 6121 section 4.7.2.3: -128..127, 0 when absent or not a number.
int priority_of(const xml::node& presence) {
  for (const auto* c = presence.first_node(); c != nullptr; c = c->next_sibling()) {
    if (c->type() == rapidxml::node_element && xml::local_name(*c) == "priority") {
      const std::string text = xml::text(*c);
      int value = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec != std::errc() || end != text.data() + text.size()) {
        return 0;
      }
      return std::clamp(value, -128, 127);
    }
  }
  return 0;
}

std::optional<jid::jid> address(const xml::node& root, std::string_view attr) {
  const auto* a = xml::find_attribute(root, attr);
  if (a == nullptr) {
    return jid::jid{};
  }
  std::error_code ec;
  return jid::parse_jid({a->value(), a->value_size()}, ec);
}

} // namespace

std::optional<stanza> make_stanza(std::string xml) {
  std::error_code ec;
  const auto doc = xml::document::parse(xml, ec);
  if (!doc) {
    return std::nullopt;
  }
  return make_stanza(std::move(xml), doc->root());
}

std::optional<stanza> make_stanza(std::string xml, const xml::node& root) {
  auto from = address(root, "from");
  auto to = address(root, "to");
  if (!from || !to) {
    return std::nullopt;
  }
  stanza s;
  s.name = std::string(xml::local_name(root));
  s.type = std::string(xml::attribute_value(root, "type"));
  s.id = std::string(xml::attribute_value(root, "id"));
  s.from = std::move(*from);
  s.to = std::move(*to);
  s.xml = std::move(xml);
  return s;
}

router::router(router_options options)
    : options_(std::move(options)) {}

std::optional<std::string> router::bind(const std::string& sid, const jid::jid& full,
                                        bool anonymous, router_actions& out) {
  std::optional<std::string> replaced;
  const std::string key = full.full();
  if (const auto it = by_full_.find(key); it != by_full_.end() && it->second.sid != sid) {
    replaced = it->second.sid;
    unbind(*replaced, out);
  }
  unbind(sid, out); // a session binds once; be safe if it ever rebinds
  resource& r = by_full_[key];
  r.sid = sid;
  r.full = full;
  r.anonymous = anonymous;
  by_sid_[sid] = key;
  by_bare_[full.bare()].push_back(&r);
  return replaced;
}

void router::forget(resource& r) {
  const std::string bare = r.full.bare();
  if (auto* list = resources_of(bare)) {
    std::erase(*list, &r);
    if (list->empty()) {
      by_bare_.erase(bare);
    }
  }
  by_sid_.erase(r.sid);
  by_full_.erase(r.full.full());
}

void router::unbind(const std::string& sid, router_actions& out) {
  const auto it = by_sid_.find(sid);
  if (it == by_sid_.end()) {
    return;
  }
  resource& bound = by_full_.at(it->second);
  const resource gone = bound;
  forget(bound);
  end_presence(gone, out);
  // DESIGN: iqs addressed to the session that it never answered get an error.
  for (const auto& p : gone.pending) {
    if (auto error = make_stanza(xmpp::error_stanza("iq", p.id, gone.full.full(), p.asker, {},
                                                    "cancel", "service-unavailable"))) {
      ++stats_.errors_sent;
      dispatch(std::move(*error), true, out);
    }
  }
}

const jid::jid* router::bound_jid(const std::string& sid) const {
  const auto it = by_sid_.find(sid);
  return it == by_sid_.end() ? nullptr : &by_full_.at(it->second).full;
}

std::vector<router::resource*>* router::resources_of(const std::string& bare) {
  const auto it = by_bare_.find(bare);
  return it == by_bare_.end() ? nullptr : &it->second;
}

void router::from_session(const std::string& sid, stanza s, router_actions& out) {
  const auto it = by_sid_.find(sid);
  if (it == by_sid_.end()) {
    ++stats_.dropped;
    return;
  }
  resource& r = by_full_.at(it->second);
  count_kind(stats_.from_sessions, s.name);
  if (s.name == "iq" && (s.type == "result" || s.type == "error")) {
    const std::string asker = s.to.full();
    std::erase_if(r.pending, [&](const pending_iq& p) { return p.asker == asker && p.id == s.id; });
  }
  if (s.name == "presence" && s.to.domain.empty()) {
    if (is_availability(s)) {
      broadcast_presence(r, std::move(s), out);
    } else {
      ++stats_.dropped; // a probe or subscription without an address means nothing
    }
    return;
  }
  if (is_availability(s)) {
    directed_presence(r, std::move(s), out);
    return;
  }
  if (s.name == "message" && s.to.domain.empty()) {
    // RFC 6120 section 10.3.1: a message without `to` is for the sender's bare JID.
    s.to = r.full;
    s.to.resource.clear();
    s.xml = xmpp::with_attribute(s.xml, "to", s.to.bare());
  }
  dispatch(std::move(s), true, out);
}

void router::from_server(stanza s, router_actions& out) {
  count_kind(stats_.from_server, s.name);
  dispatch(std::move(s), false, out);
}

void router::undeliverable(std::string_view xml, std::string_view condition, router_actions& out) {
  auto s = make_stanza(std::string(xml));
  if (!s || xmpp::must_not_bounce(s->name, s->type) || !by_full_.contains(s->from.full())) {
    ++stats_.dropped;
    return;
  }
  auto error = make_stanza(xmpp::error_stanza(s->name, s->id, s->to.full(), s->from.full(), {},
                                              xmpp::error_type_of(condition), condition));
  if (error) {
    ++stats_.errors_sent;
    deliver_here(std::move(*error), true, out); // not back towards the server it failed to reach
  }
}

void router::dispatch(stanza s, bool from_local, router_actions& out) {
  if (s.to.domain == options_.domain) {
    if (from_local && !options_.local_short_circuit) {
      count_kind(stats_.to_server, s.name);
      out.push_back(action::to_server{std::move(s.xml)});
      return;
    }
    deliver_here(std::move(s), from_local, out);
    return;
  }
  if (!from_local || s.to.domain.empty()) {
    ++stats_.dropped; // the server sent us something for another domain: never loop it back
    return;
  }
  count_kind(stats_.to_server, s.name);
  out.push_back(action::to_server{std::move(s.xml)});
}

void router::deliver_here(stanza s, bool from_local, router_actions& out) {
  if (s.to.local.empty()) {
    to_domain(s, out);
    return;
  }
  if (!s.to.resource.empty()) {
    if (const auto it = by_full_.find(s.to.full()); it != by_full_.end()) {
      deliver(it->second, s, from_local, out);
      return;
    }
    // RFC 6121 section 8.5.3.2: no such resource.
    if (s.name == "iq") {
      if (is_request(s)) {
        reply_error(s, "service-unavailable", out);
      } else {
        ++stats_.dropped;
      }
      return;
    }
    if (s.name == "presence" && (is_availability(s) || s.type == "error")) {
      ++stats_.dropped;
      return;
    }
    if (s.name == "message" && s.type != "chat") {
      // RFC 6121 section 8.5.3.2.1: only chat falls back to the bare JID; normal,
      // groupchat and headline get an error (errors are dropped by reply_error).
      reply_error(s, "service-unavailable", out);
      return;
    }
    // Chat, subscriptions and probes: as if sent to the bare JID.
  }
  static const std::vector<resource*> none;
  const auto* list = resources_of(s.to.bare());
  to_account(s, list ? *list : none, from_local, out);
}

void router::to_domain(const stanza& s, router_actions& out) {
  if (is_request(s) && s.to.resource.empty()) {
    std::error_code ec;
    const auto doc = xml::document::parse(s.xml, ec);
    if (doc) {
      auto reply = make_stanza(xmpp::answer_service_iq(doc->root(), xmpp::service_target::domain,
                                                       s.to.full(), s.from.full(), {}));
      if (reply) {
        dispatch(std::move(*reply), true, out);
      }
    }
    return;
  }
  if (is_request(s) || (s.name == "message" && s.type != "error")) {
    reply_error(s, "service-unavailable", out);
    return;
  }
  ++stats_.dropped; // presence, results and errors for the domain: nothing to do
}

void router::to_account(const stanza& s, const std::vector<resource*>& resources, bool from_local,
                        router_actions& out) {
  std::vector<resource*> available;
  for (auto* r : resources) {
    if (r->available) {
      available.push_back(r);
    }
  }
  if (s.name == "message") {
    // RFC 6121 section 8.5.2: never to negative priorities; chat and normal to the highest.
    std::erase_if(available, [](const resource* r) { return r->priority < 0; });
    if (s.type == "error") {
      ++stats_.dropped;
    } else if (s.type == "groupchat") {
      reply_error(s, "service-unavailable", out);
    } else if (s.type == "headline") {
      for (auto* r : available) {
        deliver(*r, s, from_local, out);
      }
      if (available.empty()) {
        ++stats_.dropped;
      }
    } else if (available.empty()) {
      reply_error(s, "service-unavailable", out); // no offline storage (RFC 6121 8.5.2.2.1)
    } else {
      int top = -1;
      for (const auto* r : available) {
        top = std::max(top, r->priority);
      }
      for (auto* r : available) {
        if (r->priority == top) {
          deliver(*r, s, from_local, out);
        }
      }
    }
    return;
  }
  if (s.name == "presence") {
    if (s.type == "probe") {
      // RFC 6121 section 4.3.2: answered from the current state, never passed on.
      for (const auto* r : available) {
        send_to(r->presence, s.from.full(), out);
      }
      if (available.empty()) {
        std::string unavailable = "<presence type='unavailable'";
        xml::append_attribute(unavailable, "from", s.to.bare());
        xml::append_attribute(unavailable, "to", s.from.full());
        if (auto reply = make_stanza(unavailable + "/>")) {
          dispatch(std::move(*reply), true, out);
        }
      }
      return;
    }
    if (s.type == "error" || available.empty()) {
      ++stats_.dropped;
      return;
    }
    for (auto* r : available) {
      deliver(*r, s, from_local, out); // availability and subscription presence
    }
    return;
  }
  // An iq for the account is answered on its behalf (RFC 6120 section 10.3.3).
  if (!is_request(s)) {
    ++stats_.dropped;
    return;
  }
  if (resources.empty()) {
    reply_error(s, "service-unavailable", out); // no such account right now
    return;
  }
  std::error_code ec;
  const auto doc = xml::document::parse(s.xml, ec);
  if (!doc) {
    return;
  }
  const auto target = resources.front()->anonymous ? xmpp::service_target::anonymous_account
                                                   : xmpp::service_target::registered_account;
  if (auto reply = make_stanza(
          xmpp::answer_service_iq(doc->root(), target, s.to.bare(), s.from.full(), {}))) {
    dispatch(std::move(*reply), true, out);
  }
}

void router::deliver(resource& r, const stanza& s, bool from_local, router_actions& out) {
  if (is_request(s)) {
    if (r.pending.size() >= options_.max_pending_iqs) {
      pop_front(r.pending);
    }
    r.pending.push_back({s.from.full(), s.id});
  }
  count_kind(stats_.to_sessions, s.name);
  if (from_local) {
    ++stats_.short_circuited;
  }
  out.push_back(action::to_session{r.sid, s.xml});
}

void router::reply_error(const stanza& s, std::string_view condition, router_actions& out) {
  // RFC 6120 section 8.3.1: never an error for an error or a result; presence is not bounced.
  if (xmpp::must_not_bounce(s.name, s.type) || s.from.domain.empty()) {
    ++stats_.dropped;
    return;
  }
  auto error = make_stanza(xmpp::error_stanza(s.name, s.id, s.to.full(), s.from.full(), {},
                                              xmpp::error_type_of(condition), condition));
  if (error) {
    ++stats_.errors_sent;
    dispatch(std::move(*error), true, out);
  }
}

void router::broadcast_presence(resource& from, stanza s, router_actions& out) {
  const bool available = s.type.empty();
  if (available) {
    std::error_code ec;
    const auto doc = xml::document::parse(s.xml, ec);
    from.priority = doc ? priority_of(doc->root()) : 0;
    if (!from.available) {
      // A newly available resource learns about the account's other available ones, as it
      // would from a probe of its own bare JID.
      for (const auto* other : *resources_of(from.full.bare())) {
        if (other != &from && other->available) {
          count_kind(stats_.to_sessions, "presence");
          out.push_back(action::to_session{
              from.sid, xmpp::with_attribute(other->presence, "to", from.full.full())});
        }
      }
    }
    from.available = true;
    from.presence = s.xml;
  }
  // RFC 6121 sections 4.2.2 and 4.5.2: to every available resource of the account, the
  // sender included (there is no roster, so no contacts to tell).
  to_available_resources(from.full.bare(), s.xml, out);
  if (!available) {
    // Section 4.6.3: unavailable presence also ends every directed presence.
    auto directed = std::move(from.directed);
    from.directed.clear();
    for (const auto& to : directed) {
      send_to(s.xml, to, out);
    }
    from.available = false;
    from.presence.clear();
  }
}

void router::to_available_resources(const std::string& bare, std::string_view xml,
                                    router_actions& out) {
  if (auto* list = resources_of(bare)) {
    for (const auto* r : *list) {
      if (r->available) {
        count_kind(stats_.to_sessions, "presence");
        out.push_back(action::to_session{r->sid, xmpp::with_attribute(xml, "to", r->full.full())});
      }
    }
  }
}

void router::send_to(std::string_view xml, std::string_view to, router_actions& out) {
  if (auto copy = make_stanza(xmpp::with_attribute(xml, "to", to))) {
    dispatch(std::move(*copy), true, out);
  }
}

void router::directed_presence(resource& from, stanza s, router_actions& out) {
  const std::string to = s.to.full();
  if (s.type.empty()) {
    if (!from.directed.contains(to) && from.directed.size() >= options_.max_directed) {
      ++stats_.errors_sent;
      out.push_back(
          action::to_session{from.sid, xmpp::error_stanza("presence", s.id, to, from.full.full(),
                                                          {}, "wait", "resource-constraint")});
      return;
    }
    from.directed.insert(to);
  } else {
    from.directed.erase(to);
  }
  dispatch(std::move(s), true, out);
}

void router::end_presence(const resource& r, router_actions& out) {
  if (!r.available && r.directed.empty()) {
    return;
  }
  ++stats_.presence_cleanups;
  // RFC 6121 section 4.5.2: as if the client had sent unavailable presence (the resource is
  // already unbound, so its own session is not among the recipients).
  std::string unavailable = "<presence type='unavailable'";
  xml::append_attribute(unavailable, "from", r.full.full());
  unavailable.append("/>");
  if (r.available) {
    to_available_resources(r.full.bare(), unavailable, out);
  }
  for (const auto& to : r.directed) {
    send_to(unavailable, to, out);
  }
}

} // namespace boshmux::proto::router
