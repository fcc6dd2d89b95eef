#pragma once

#include "proto/xml/dom.hpp"

#include <string>
#include <string_view>

namespace boshmux::proto::xmpp {

/// Rewrites the start tag of a top-level stanza for another stream, copying the rest of
/// `raw` untouched: drops its default namespace declaration and its `from`, puts `from`
/// (when not empty) and `xmlns` (when not empty) instead, and declares every prefix of
/// `outer` that the element uses but does not declare itself (checklist P15), so the
/// stanza stays namespace-well-formed outside the element that carried it.
/// `root` is `raw` parsed.
std::string restamp(std::string_view raw, const xml::node& root, std::string_view from,
                    std::string_view xmlns, const xml::namespace_scope& outer);

/// `stanza` (whose top-level element declares no default namespace, as restamp() makes it
/// when given none) with `xmlns='ns'` added to its start tag.
/// Takes `stanza` by value so that a caller done with it can move it in: the declaration is
/// then inserted in place.
std::string with_default_namespace(std::string stanza, std::string_view ns);

/// `stanza` with the attribute `name` of its top-level start tag set to `value` (an existing
/// one is replaced, wherever it stood; the rest is copied untouched).
std::string with_attribute(std::string_view stanza, std::string_view name, std::string_view value);

/// Offset just past the '>' ending the start tag of the element in `raw` (quotes honoured);
/// raw.size() when there is none.
std::size_t start_tag_end(std::string_view raw) noexcept;

} // namespace boshmux::proto::xmpp
