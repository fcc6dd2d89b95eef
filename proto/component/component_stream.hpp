#pragma once

#include "proto/common/limits.hpp"
#include "proto/xml/dom.hpp"
#include "proto/xml/stream_framer.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace boshmux::proto::component {

/// Where the component side of one XEP-0114 stream stands.
enum class link_state {
  idle,               ///< nothing sent yet (before open())
  awaiting_header,    ///< our header is sent; waiting for the server's
  awaiting_handshake, ///< our <handshake> is sent; waiting for the empty <handshake/>
  ready,              ///< authenticated: stanzas flow both ways
  closed,             ///< the server closed the stream cleanly
  failed,             ///< the stream failed; see component_stream::failure()
};

/// Why a component stream failed.
enum class failure_reason {
  none,
  not_authorized,    ///< wrong secret (<not-authorized/> stream error)
  host_unknown,      ///< the server does not know our domain (<host-unknown/>)
  conflict,          ///< another component holds the domain (<conflict/>)
  stream_error,      ///< any other stream error from the server
  invalid_namespace, ///< the server's header is not a jabber:component:accept stream
  bad_header,        ///< the server's header lacks an id
  malformed_input,   ///< the server sent XML we cannot accept
  unexpected_close,  ///< the server closed the stream before the handshake succeeded
};

/// Short stable name of a failure reason, for logs and metrics ("not-authorized", ...).
std::string_view to_string(failure_reason r) noexcept;
/// Name of a link state, for logs.
std::string_view to_string(link_state s) noexcept;

/// Sans-IO XEP-0114 component stream (the connecting side): produces the bytes to write,
/// consumes the bytes read and reports what happened. One object per TCP connection.
class component_stream {
public:
  /// What received() found.
  struct event {
    enum class kind {
      ready,  ///< the handshake succeeded
      stanza, ///< a stanza from the server; `bytes` holds its raw bytes
      failed, ///< the stream failed; see failure() and condition()
      closed, ///< the server closed the stream cleanly (after ready)
    };
    kind what;
    std::string bytes;
  };

  component_stream(std::string domain, std::string secret, const xml_limits& limits = {});

  /// Starts the stream: returns the header to write. State becomes awaiting_header.
  std::string open();

  /// Consumes bytes read from the server. Appends events to `events` and the bytes to write
  /// (the handshake) to `to_write`. After a failed or closed event nothing more happens.
  void received(std::string_view bytes, std::vector<event>& events, std::string& to_write);

  /// The bytes that close our side of the stream.
  static std::string_view close() noexcept { return "</stream:stream>"; }

  link_state state() const noexcept { return state_; }
  failure_reason failure() const noexcept { return failure_; }
  /// The stream error condition (e.g. "not-authorized") or a description of the failure.
  const std::string& condition() const noexcept { return condition_; }
  /// The id the server gave the stream.
  const std::string& stream_id() const noexcept { return stream_id_; }
  /// Namespace prefixes declared on the server's stream header; stanzas inherit them.
  const xml::namespace_scope& scope() const noexcept { return scope_; }

private:
  void on_header(std::string& to_write, std::vector<event>& events);
  void on_element(std::string_view bytes, std::vector<event>& events);
  void fail(failure_reason reason, std::string condition, std::vector<event>& events);

  std::string domain_;
  std::string secret_;
  xml::stream_framer framer_;
  link_state state_ = link_state::idle;
  failure_reason failure_ = failure_reason::none;
  std::string condition_;
  std::string stream_id_;
  xml::namespace_scope scope_;
};

} // namespace boshmux::proto::component
