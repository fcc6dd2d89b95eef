#include "proto/bosh/body.hpp"

#include "proto/xml/stream_framer.hpp"

#include <limits>

namespace boshmux::proto::bosh {

namespace {

class category final : public std::error_category {
public:
  const char* name() const noexcept override { return "boshmux.bosh"; }
  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
    case error::not_body:
      return "the root element is not <body/> in the httpbind namespace";
    case error::missing_rid:
      return "the request has no rid";
    case error::invalid_attribute:
      return "a <body/> attribute is malformed or out of range";
    }
    return "unknown BOSH error";
  }
};

/// Splits "p:local" into its prefix ("" when unprefixed) and local part.
std::pair<std::string_view, std::string_view> split_qname(std::string_view qname) {
  const auto colon = qname.find(':');
  if (colon == std::string_view::npos) {
    return {{}, qname};
  }
  return {qname.substr(0, colon), qname.substr(colon + 1)};
}

std::string_view lookup(const xml::namespace_scope& scope, std::string_view prefix) {
  for (const auto& [p, uri] : scope) {
    if (p == prefix) {
      return uri;
    }
  }
  return {};
}

} // namespace

const std::error_category& error_category() noexcept {
  static const category instance;
  return instance;
}

std::optional<std::uint64_t> parse_decimal(std::string_view text, std::uint64_t max) {
  if (text.empty() || text.size() > 20) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  for (char ch : text) {
    if (ch < '0' || ch > '9') {
      return std::nullopt;
    }
    const auto digit = static_cast<std::uint64_t>(ch - '0');
    if (value > (max - digit) / 10) {
      return std::nullopt;
    }
    value = value * 10 + digit;
  }
  return value;
}

std::error_code parse_request(std::string_view bytes, const xml_limits& limits, request_body& out) {
  out = request_body{};
  xml::stream_framer framer(limits);
  framer.feed(bytes);
  std::error_code ec;
  bool have_header = false;
  for (;;) {
    switch (framer.next(ec)) {
    case xml::frame::header:
      have_header = true;
      continue;
    case xml::frame::element:
      out.payloads.emplace_back(framer.element());
      continue;
    case xml::frame::closed:
      break;
    case xml::frame::need_more:
      return xml::error::not_well_formed; // truncated document
    case xml::frame::error:
      return ec;
    }
    break;
  }
  if (!have_header) {
    return xml::error::not_well_formed;
  }
  const xml::stream_header& header = framer.header();
  for (const auto& [name, value] : header.attributes) {
    if (name == "xmlns") {
      out.scope.emplace_back("", value);
    } else if (name.starts_with("xmlns:")) {
      out.scope.emplace_back(name.substr(6), value);
    }
  }
  const auto [root_prefix, root_local] = split_qname(header.name);
  if (root_local != "body" || lookup(out.scope, root_prefix) != httpbind_namespace) {
    return error::not_body;
  }

  constexpr auto uint_max = std::numeric_limits<unsigned>::max();
  bool have_rid = false;
  for (const auto& [name, value] : header.attributes) {
    const auto [prefix, local] = split_qname(name);
    if (prefix == "xml") {
      if (local == "lang") {
        out.xml_lang = value;
      }
      continue;
    }
    if (!prefix.empty()) {
      if (lookup(out.scope, prefix) != xbosh_namespace) {
        continue; // xmlns:* declarations and foreign attributes
      }
      if (local == "version") {
        out.xmpp_version = value;
      } else if (local == "restart") {
        if (value != "true" && value != "false" && value != "1" && value != "0") {
          return error::invalid_attribute;
        }
        out.restart = value == "true" || value == "1";
      }
      continue;
    }
    const auto number = [&value = value](std::uint64_t max) { return parse_decimal(value, max); };
    if (local == "rid") {
      const auto rid = number(max_rid);
      if (!rid) {
        return error::invalid_attribute;
      }
      out.rid = *rid;
      have_rid = true;
    } else if (local == "sid") {
      out.sid = value;
    } else if (local == "to") {
      out.to = value;
    } else if (local == "route") {
      out.route = value;
    } else if (local == "from") {
      out.from = value;
    } else if (local == "content") {
      out.content = value;
    } else if (local == "ver") {
      out.ver = value;
    } else if (local == "key") {
      out.key = value;
    } else if (local == "newkey") {
      out.newkey = value;
    } else if (local == "type") {
      out.type = value;
    } else if (local == "stream") {
      out.stream = value;
    } else if (local == "wait" || local == "hold" || local == "pause") {
      const auto v = number(uint_max);
      if (!v) {
        return error::invalid_attribute;
      }
      auto& field = local == "wait" ? out.wait : local == "hold" ? out.hold : out.pause;
      field = static_cast<unsigned>(*v);
    } else if (local == "ack") {
      const auto v = number(max_rid);
      if (!v) {
        return error::invalid_attribute;
      }
      out.ack = *v;
    }
  }
  if (!have_rid) {
    return error::missing_rid;
  }
  return {};
}

} // namespace boshmux::proto::bosh
