#pragma once

#include <string>
#include <string_view>

namespace boshmux::proto::xml {

/// Appends `text` to `out`, escaped for character data (& < > escaped).
void append_escaped_text(std::string& out, std::string_view text);
/// Appends `value` to `out`, escaped for an attribute value in single or double quotes
/// (& < > ' " escaped).
void append_escaped_attribute(std::string& out, std::string_view value);
/// Appends ` name='value'` to `out`, the value escaped.
void append_attribute(std::string& out, std::string_view name, std::string_view value);
/// Returns `text` escaped for an attribute value.
std::string escape_attribute(std::string_view value);

} // namespace boshmux::proto::xml
