#include "proto/component/component_stream.hpp"

#include "proto/component/handshake.hpp"

#include <utility>

namespace boshmux::proto::component {

std::string_view to_string(failure_reason r) noexcept {
  switch (r) {
  case failure_reason::none:
    return "none";
  case failure_reason::not_authorized:
    return "not-authorized";
  case failure_reason::host_unknown:
    return "host-unknown";
  case failure_reason::conflict:
    return "conflict";
  case failure_reason::stream_error:
    return "stream-error";
  case failure_reason::invalid_namespace:
    return "invalid-namespace";
  case failure_reason::bad_header:
    return "bad-header";
  case failure_reason::malformed_input:
    return "malformed-input";
  case failure_reason::unexpected_close:
    return "unexpected-close";
  }
  return "unknown";
}

std::string_view to_string(link_state s) noexcept {
  switch (s) {
  case link_state::idle:
    return "idle";
  case link_state::awaiting_header:
    return "awaiting-header";
  case link_state::awaiting_handshake:
    return "awaiting-handshake";
  case link_state::ready:
    return "ready";
  case link_state::closed:
    return "closed";
  case link_state::failed:
    return "failed";
  }
  return "unknown";
}

component_stream::component_stream(std::string domain, std::string secret, const xml_limits& limits)
    : domain_(std::move(domain))
    , secret_(std::move(secret))
    , framer_(limits) {}

std::string component_stream::open() {
  state_ = link_state::awaiting_header;
  return open_stream(domain_);
}

void component_stream::received(std::string_view bytes, std::vector<event>& events,
                                std::string& to_write) {
  if (state_ == link_state::failed || state_ == link_state::closed) {
    return;
  }
  framer_.feed(bytes);
  for (;;) {
    std::error_code ec;
    switch (framer_.next(ec)) {
    case xml::frame::need_more:
      return;
    case xml::frame::header:
      on_header(to_write, events);
      break;
    case xml::frame::element:
      on_element(framer_.element(), events);
      break;
    case xml::frame::closed:
      if (state_ == link_state::ready) {
        state_ = link_state::closed;
        events.push_back({event::kind::closed, {}});
      } else {
        fail(failure_reason::unexpected_close, "stream closed before the handshake", events);
      }
      return;
    case xml::frame::error:
      fail(failure_reason::malformed_input, ec.message(), events);
      return;
    }
    if (state_ == link_state::failed) {
      return;
    }
  }
}

void component_stream::on_header(std::string& to_write, std::vector<event>& events) {
  const xml::stream_header& header = framer_.header();
  scope_.clear();
  for (const auto& [name, value] : header.attributes) {
    if (name == "xmlns") {
      scope_.emplace_back("", value);
    } else if (name.starts_with("xmlns:")) {
      scope_.emplace_back(name.substr(6), value);
    }
  }
  // A server that refuses us may send its header followed by a stream error: only judge
  // the header's namespace, and let a following <stream:error> say why.
  const std::string* xmlns = header.attribute("xmlns");
  const std::string* id = header.attribute("id");
  if (header.name != "stream:stream" || xmlns == nullptr || *xmlns != accept_namespace) {
    fail(failure_reason::invalid_namespace, "server stream is not jabber:component:accept", events);
    return;
  }
  if (id == nullptr || id->empty()) {
    // Without an id no handshake can be computed; a stream error may still follow.
    state_ = link_state::awaiting_handshake;
    return;
  }
  stream_id_ = *id;
  to_write += handshake_element(stream_id_, secret_);
  state_ = link_state::awaiting_handshake;
}

void component_stream::on_element(std::string_view bytes, std::vector<event>& events) {
  // Hot path: an unprefixed message/presence/iq cannot be a stream-level element, so it is
  // passed on without a parse here (the router parses it once).
  if (state_ == link_state::ready) {
    const auto name_end = bytes.find_first_of(" \t\r\n/>", 1);
    const std::string_view name =
        bytes.substr(1, name_end == std::string_view::npos ? std::string_view::npos : name_end - 1);
    if (name == "message" || name == "presence" || name == "iq") {
      events.push_back({event::kind::stanza, std::string(bytes)});
      return;
    }
  }
  std::error_code ec;
  auto doc = xml::document::parse(bytes, ec);
  if (!doc) {
    fail(failure_reason::malformed_input, ec.message(), events);
    return;
  }
  const xml::node& root = doc->root();
  const std::string_view ns = xml::namespace_uri(root, scope_);
  const std::string_view name = xml::local_name(root);
  if (ns == streams_namespace && name == "error") {
    std::string condition = "undefined-condition";
    for (const xml::node* child = root.first_node(); child != nullptr;
         child = child->next_sibling()) {
      if (xml::namespace_uri(*child, scope_) == stream_errors_namespace &&
          xml::local_name(*child) != "text") {
        condition = std::string(xml::local_name(*child));
        break;
      }
    }
    failure_reason reason = failure_reason::stream_error;
    if (condition == "not-authorized") {
      reason = failure_reason::not_authorized;
    } else if (condition == "host-unknown") {
      reason = failure_reason::host_unknown;
    } else if (condition == "conflict") {
      reason = failure_reason::conflict;
    }
    fail(reason, std::move(condition), events);
    return;
  }
  switch (state_) {
  case link_state::awaiting_handshake:
    if (name == "handshake") {
      if (stream_id_.empty()) {
        fail(failure_reason::bad_header, "server stream header has no id", events);
        return;
      }
      state_ = link_state::ready;
      events.push_back({event::kind::ready, {}});
    }
    // Anything else before the handshake (e.g. empty <stream:features/>) is tolerated and
    // ignored (XEP-0114 defines no other traffic before it).
    return;
  case link_state::ready:
    events.push_back({event::kind::stanza, std::string(bytes)});
    return;
  default:
    return;
  }
}

void component_stream::fail(failure_reason reason, std::string condition,
                            std::vector<event>& events) {
  state_ = link_state::failed;
  failure_ = reason;
  condition_ = std::move(condition);
  events.push_back({event::kind::failed, {}});
}

} // namespace boshmux::proto::component
