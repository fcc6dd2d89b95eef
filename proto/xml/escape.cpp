#include "proto/xml/escape.hpp"

namespace boshmux::proto::xml {

namespace {

/// Appends `in` to `out`, replacing each character that has an entry in the table by its
/// predefined entity reference. `quotes` selects whether ' and " are escaped too.
void append_escaped(std::string& out, std::string_view in, bool quotes) {
  out.reserve(out.size() + in.size());
  std::size_t plain_start = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    std::string_view replacement;
    switch (in[i]) {
    case '&':
      replacement = "&amp;";
      break;
    case '<':
      replacement = "&lt;";
      break;
    case '>':
      replacement = "&gt;";
      break;
    case '\'':
      if (quotes) {
        replacement = "&apos;";
      }
      break;
    case '"':
      if (quotes) {
        replacement = "&quot;";
      }
      break;
    default:
      break;
    }
    if (!replacement.empty()) {
      out.append(in.substr(plain_start, i - plain_start));
      out.append(replacement);
      plain_start = i + 1;
    }
  }
  out.append(in.substr(plain_start));
}

} // namespace

void append_escaped_text(std::string& out, std::string_view text) {
  append_escaped(out, text, false);
}

void append_escaped_attribute(std::string& out, std::string_view value) {
  append_escaped(out, value, true);
}

void append_attribute(std::string& out, std::string_view name, std::string_view value) {
  out.append(" ").append(name).append("='");
  append_escaped_attribute(out, value);
  out.append("'");
}

std::string escape_attribute(std::string_view value) {
  std::string out;
  append_escaped_attribute(out, value);
  return out;
}

} // namespace boshmux::proto::xml
