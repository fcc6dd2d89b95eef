#include "proto/xml/stream_framer.hpp"

#include <algorithm>

namespace boshmux::proto::xml {

namespace {

/// XML's S production: space, tab, CR, LF.
constexpr bool is_space(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

constexpr bool is_ascii_letter(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

constexpr bool is_digit(unsigned char c) {
  return c >= '0' && c <= '9';
}

/// First byte of a name: an ASCII letter, '_', ':' or any byte of a multi-byte UTF-8 sequence.
/// This approximates XML's NameStartChar without decoding UTF-8.
constexpr bool is_name_start(unsigned char c) {
  return is_ascii_letter(c) || c == '_' || c == ':' || c >= 0x80;
}

/// Later bytes of a name: also digits, '-' and '.'.
constexpr bool is_name_char(unsigned char c) {
  return is_name_start(c) || is_digit(c) || c == '-' || c == '.';
}

/// A byte that may appear in character data: XML's Char minus the C0 controls it excludes.
/// Bytes >= 0x80 are accepted as parts of UTF-8 sequences.
constexpr bool is_char_byte(unsigned char c) {
  return c >= 0x20 || c == '\t' || c == '\n' || c == '\r';
}

/// XML 1.0's Char production, for the target of a character reference.
constexpr bool is_xml_char(std::uint32_t code) {
  return code == 0x9 || code == 0xA || code == 0xD || (code >= 0x20 && code <= 0xD7FF) ||
         (code >= 0xE000 && code <= 0xFFFD) || (code >= 0x10000 && code <= 0x10FFFF);
}

/// Value of a hexadecimal digit, or -1.
constexpr int hex_value(unsigned char c) {
  if (is_digit(c)) {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

/// Larger than any code point: character reference values saturate here instead of wrapping.
constexpr std::uint32_t code_overflow = 0x110000;

/// Next value of a character reference being read in `base` after digit `digit`.
constexpr std::uint32_t add_digit(std::uint32_t code, std::uint32_t base, int digit) {
  return std::min(code * base + static_cast<std::uint32_t>(digit), code_overflow);
}

/// Appends the UTF-8 encoding of `code` (a valid XML Char) to `out`.
void append_utf8(std::string& out, std::uint32_t code) {
  if (code < 0x80) {
    out.push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code >> 6)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else if (code < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  }
}

/// Code point of a predefined entity (XML 1.0 section 4.6), or 0 when `name` is not one.
constexpr std::uint32_t predefined_entity(std::string_view name) {
  if (name == "lt") {
    return '<';
  }
  if (name == "gt") {
    return '>';
  }
  if (name == "amp") {
    return '&';
  }
  if (name == "quot") {
    return '"';
  }
  if (name == "apos") {
    return '\'';
  }
  return 0;
}

constexpr std::string_view xml_target = "xml";
constexpr std::string_view cdata_keyword = "CDATA[";

} // namespace

const std::string* stream_header::attribute(std::string_view qname) const {
  for (const auto& [attribute_name, value] : attributes) {
    if (attribute_name == qname) {
      return &value;
    }
  }
  return nullptr;
}

stream_framer::stream_framer(const xml_limits& limits)
    : limits_(limits) {}

void stream_framer::feed(std::string_view bytes) {
  if (error_) {
    return; // dead: keep nothing
  }
  compact();
  buffer_.append(bytes);
}

frame stream_framer::next(std::error_code& ec) {
  element_ = {};
  if (error_) {
    ec = error_;
    return frame::error;
  }
  compact();
  if (pending_closed_) {
    pending_closed_ = false;
    ec.clear();
    return frame::closed;
  }
  const frame result = scan();
  if (result == frame::error) {
    ec = error_;
  } else {
    ec.clear();
  }
  return result;
}

void stream_framer::reset() {
  *this = stream_framer(limits_);
}

void stream_framer::compact() {
  // Moving the unconsumed tail only when the consumed head is at least as long bounds the
  // bytes moved by the bytes discarded, so the total cost stays linear in the input.
  if (consumed_ == 0 || consumed_ < buffer_.size() - consumed_) {
    return;
  }
  buffer_.erase(0, consumed_);
  scan_pos_ -= consumed_;
  consumed_ = 0;
}

frame stream_framer::fail(error e) {
  error_ = e;
  element_ = {};
  return frame::error;
}

std::string_view stream_framer::unit_name(name_span span) const {
  return std::string_view(buffer_).substr(consumed_ + span.offset, span.size);
}

std::string_view stream_framer::open_name() const {
  return depth_ == 1 ? std::string_view(header_.name) : unit_name(open_.back());
}

frame stream_framer::scan() {
  while (scan_pos_ < buffer_.size()) {
    const auto c = static_cast<unsigned char>(buffer_[scan_pos_]);
    ++scan_pos_;
    if (in_unit_) {
      // The unit runs from buffer_[consumed_] to the byte just taken.
      const std::size_t unit_bytes = scan_pos_ - consumed_;
      if (in_root_tag() && unit_bytes > limits_.max_header_bytes) {
        return fail(error::header_too_large);
      }
      if (!in_root_tag() && unit_bytes > limits_.max_element_bytes) {
        return fail(error::element_too_large);
      }
    }
    if (const frame result = step(c); result != frame::need_more) {
      return result;
    }
  }
  return frame::need_more;
}

// Called with scan_pos_ already past `c`: the byte's own offset is scan_pos_ - 1.
frame stream_framer::step(unsigned char c) {
  switch (state_) {
  case state::prolog: {
    const bool first_byte = at_start_;
    at_start_ = false;
    if (is_space(c)) {
      consumed_ = scan_pos_;
      return frame::need_more;
    }
    if (c != '<') {
      return fail(error::not_well_formed);
    }
    decl_allowed_ = first_byte;
    in_unit_ = true;
    state_ = state::tag_open;
    return frame::need_more;
  }

  case state::tag_open: {
    const bool declaration = decl_allowed_;
    decl_allowed_ = false;
    if (c == '/') {
      if (depth_ == 0) {
        return fail(error::not_well_formed); // an end tag before the root
      }
      match_ = 0;
      state_ = state::end_name;
      return frame::need_more;
    }
    if (c == '?') {
      // RFC 6120 section 11.1: no processing instructions; the XML declaration is not one,
      // and may only open the stream.
      if (!declaration) {
        return fail(error::restricted_xml);
      }
      match_ = 0;
      state_ = state::decl_target;
      return frame::need_more;
    }
    if (c == '!') {
      state_ = state::bang;
      return frame::need_more;
    }
    if (!is_name_start(c)) {
      return fail(error::not_well_formed);
    }
    if (depth_ + 1 > limits_.max_depth) {
      return fail(error::too_deep);
    }
    tag_name_ = {scan_pos_ - 1 - consumed_, 0};
    attributes_.clear();
    state_ = state::start_name;
    return frame::need_more;
  }

  case state::decl_target:
    if (match_ < xml_target.size()) {
      if (static_cast<char>(c) != xml_target[match_]) {
        return fail(error::restricted_xml); // another processing instruction
      }
      ++match_;
      return frame::need_more;
    }
    if (!is_space(c)) {
      return fail(error::restricted_xml); // e.g. <?xml-stylesheet ...?>
    }
    state_ = state::decl_body;
    return frame::need_more;

  case state::decl_body:
    if (c == '?') {
      state_ = state::decl_question;
    } else if (!is_char_byte(c)) {
      return fail(error::not_well_formed);
    }
    return frame::need_more;

  case state::decl_question:
    if (c == '>') {
      in_unit_ = false;
      consumed_ = scan_pos_;
      state_ = state::prolog;
    } else if (!is_char_byte(c)) {
      return fail(error::not_well_formed);
    } else if (c != '?') {
      state_ = state::decl_body;
    }
    return frame::need_more;

  case state::bang:
    if (c == '-') {
      state_ = state::bang_dash;
      return frame::need_more;
    }
    if (c == '[') {
      if (depth_ < 2) {
        return fail(error::not_well_formed); // CDATA outside a child element
      }
      match_ = 0;
      state_ = state::cdata_open;
      return frame::need_more;
    }
    if (c >= 'A' && c <= 'Z') {
      return fail(error::restricted_xml); // <!DOCTYPE, <!ENTITY, <!ELEMENT, <!ATTLIST, ...
    }
    return fail(error::not_well_formed);

  case state::bang_dash:
    if (c != '-') {
      return fail(error::not_well_formed);
    }
    return fail(error::restricted_xml); // a comment

  case state::cdata_open:
    if (static_cast<char>(c) != cdata_keyword[match_]) {
      return fail(error::not_well_formed);
    }
    if (++match_ == cdata_keyword.size()) {
      brackets_ = 0;
      state_ = state::cdata;
    }
    return frame::need_more;

  case state::cdata:
    if (c == ']') {
      brackets_ = std::min<std::size_t>(brackets_ + 1, 2);
      return frame::need_more;
    }
    if (c == '>' && brackets_ == 2) {
      state_ = state::content;
      return frame::need_more;
    }
    brackets_ = 0;
    if (!is_char_byte(c)) {
      return fail(error::not_well_formed);
    }
    return frame::need_more;

  case state::start_name:
    if (is_name_char(c)) {
      return frame::need_more;
    }
    if (const frame result = finish_start_name(); result != frame::need_more) {
      return result;
    }
    if (is_space(c)) {
      state_ = state::tag_space;
      return frame::need_more;
    }
    if (c == '>') {
      return finish_start_tag(false);
    }
    if (c == '/') {
      state_ = state::empty_end;
      return frame::need_more;
    }
    return fail(error::not_well_formed);

  case state::tag_space:
    if (is_space(c)) {
      return frame::need_more;
    }
    if (c == '>') {
      return finish_start_tag(false);
    }
    if (c == '/') {
      state_ = state::empty_end;
      return frame::need_more;
    }
    if (!is_name_start(c)) {
      return fail(error::not_well_formed);
    }
    if (attributes_.size() >= limits_.max_attributes) {
      return fail(error::too_many_attributes);
    }
    attributes_.push_back({scan_pos_ - 1 - consumed_, 0});
    if (in_root_tag()) {
      header_.attributes.emplace_back();
    }
    state_ = state::attr_name;
    return frame::need_more;

  case state::after_attribute:
    if (is_space(c)) {
      state_ = state::tag_space;
      return frame::need_more;
    }
    if (c == '>') {
      return finish_start_tag(false);
    }
    if (c == '/') {
      state_ = state::empty_end;
      return frame::need_more;
    }
    return fail(error::not_well_formed); // attributes need whitespace between them

  case state::attr_name:
    if (is_name_char(c)) {
      return frame::need_more;
    }
    if (const frame result = finish_attr_name(); result != frame::need_more) {
      return result;
    }
    if (is_space(c)) {
      state_ = state::attr_after_name;
      return frame::need_more;
    }
    if (c == '=') {
      state_ = state::attr_after_eq;
      return frame::need_more;
    }
    return fail(error::not_well_formed);

  case state::attr_after_name:
    if (is_space(c)) {
      return frame::need_more;
    }
    if (c == '=') {
      state_ = state::attr_after_eq;
      return frame::need_more;
    }
    return fail(error::not_well_formed);

  case state::attr_after_eq:
    if (is_space(c)) {
      return frame::need_more;
    }
    if (c != '"' && c != '\'') {
      return fail(error::not_well_formed);
    }
    quote_ = static_cast<char>(c);
    value_cr_ = false;
    state_ = state::attr_value;
    return frame::need_more;

  case state::attr_value:
    if (static_cast<char>(c) == quote_) {
      state_ = state::after_attribute;
      return frame::need_more;
    }
    if (c == '<' || !is_char_byte(c)) {
      return fail(error::not_well_formed);
    }
    if (c == '&') {
      ref_return_ = state::attr_value;
      state_ = state::ref_start;
      return frame::need_more;
    }
    if (in_root_tag()) {
      // XML 1.0 sections 2.11 and 3.3.3: CR LF becomes LF, then each literal white space
      // character becomes a space.
      const bool crlf = c == '\n' && value_cr_;
      value_cr_ = c == '\r';
      if (!crlf) {
        header_.attributes.back().second.push_back(is_space(c) ? ' ' : static_cast<char>(c));
      }
    }
    return frame::need_more;

  case state::empty_end:
    if (c != '>') {
      return fail(error::not_well_formed);
    }
    return finish_start_tag(true);

  case state::end_name: {
    const std::string_view expected = open_name();
    if (c == '>' || is_space(c)) {
      if (match_ != expected.size()) {
        return fail(error::not_well_formed); // end tag shorter than the open element's name
      }
      if (c == '>') {
        return finish_end_tag();
      }
      state_ = state::end_space;
      return frame::need_more;
    }
    if (match_ >= expected.size() || static_cast<char>(c) != expected[match_]) {
      return fail(error::not_well_formed); // end tag does not match the open element
    }
    ++match_;
    return frame::need_more;
  }

  case state::end_space:
    if (is_space(c)) {
      return frame::need_more;
    }
    if (c != '>') {
      return fail(error::not_well_formed);
    }
    return finish_end_tag();

  case state::content:
    if (c == '<') {
      state_ = state::tag_open;
    } else if (c == '&') {
      ref_return_ = state::content;
      state_ = state::ref_start;
    } else if (!is_char_byte(c)) {
      return fail(error::not_well_formed);
    }
    return frame::need_more;

  case state::stream_level:
    if (is_space(c)) {
      consumed_ = scan_pos_; // whitespace keepalive: drop it at once
      return frame::need_more;
    }
    if (c != '<') {
      return fail(error::not_well_formed); // character data directly inside the root
    }
    in_unit_ = true;
    state_ = state::tag_open;
    return frame::need_more;

  case state::ref_start:
    if (c == '#') {
      state_ = state::ref_hash;
      return frame::need_more;
    }
    if (!is_name_start(c)) {
      return fail(error::not_well_formed); // a bare '&'
    }
    ref_name_[0] = static_cast<char>(c);
    ref_size_ = 1;
    state_ = state::ref_name;
    return frame::need_more;

  case state::ref_name: {
    if (is_name_char(c)) {
      if (ref_size_ < ref_name_.size()) {
        ref_name_[ref_size_] = static_cast<char>(c);
      }
      ++ref_size_;
      return frame::need_more;
    }
    if (c != ';') {
      return fail(error::not_well_formed);
    }
    const std::uint32_t code =
        ref_size_ <= ref_name_.size() ? predefined_entity({ref_name_.data(), ref_size_}) : 0;
    if (code == 0) {
      return fail(error::undefined_entity);
    }
    return finish_reference(code);
  }

  case state::ref_hash:
    if (c == 'x') {
      state_ = state::ref_hex_start;
      return frame::need_more;
    }
    if (!is_digit(c)) {
      return fail(error::not_well_formed);
    }
    code_ = add_digit(0, 10, c - '0');
    state_ = state::ref_decimal;
    return frame::need_more;

  case state::ref_hex_start: {
    const int digit = hex_value(c);
    if (digit < 0) {
      return fail(error::not_well_formed);
    }
    code_ = add_digit(0, 16, digit);
    state_ = state::ref_hex;
    return frame::need_more;
  }

  case state::ref_decimal:
    if (is_digit(c)) {
      code_ = add_digit(code_, 10, c - '0');
      return frame::need_more;
    }
    if (c != ';') {
      return fail(error::not_well_formed);
    }
    return finish_reference(code_);

  case state::ref_hex: {
    const int digit = hex_value(c);
    if (digit >= 0) {
      code_ = add_digit(code_, 16, digit);
      return frame::need_more;
    }
    if (c != ';') {
      return fail(error::not_well_formed);
    }
    return finish_reference(code_);
  }

  case state::epilog:
    if (!is_space(c)) {
      return fail(error::not_well_formed); // data after the root element
    }
    consumed_ = scan_pos_;
    return frame::need_more;
  }
  return fail(error::not_well_formed); // unreachable: every state returns above
}

frame stream_framer::finish_start_name() {
  tag_name_.size = scan_pos_ - 1 - consumed_ - tag_name_.offset;
  if (in_root_tag()) {
    header_.name = unit_name(tag_name_);
  }
  return frame::need_more;
}

frame stream_framer::finish_attr_name() {
  name_span& span = attributes_.back();
  span.size = scan_pos_ - 1 - consumed_ - span.offset;
  const std::string_view name = unit_name(span);
  for (std::size_t i = 0; i + 1 < attributes_.size(); ++i) {
    if (unit_name(attributes_[i]) == name) {
      return fail(error::duplicate_attribute);
    }
  }
  if (in_root_tag()) {
    header_.attributes.back().first = name;
  }
  return frame::need_more;
}

frame stream_framer::finish_start_tag(bool empty) {
  if (in_root_tag()) {
    in_unit_ = false;
    consumed_ = scan_pos_;
    if (empty) {
      pending_closed_ = true; // the next call to next() reports frame::closed
      state_ = state::epilog;
    } else {
      depth_ = 1;
      state_ = state::stream_level;
    }
    return frame::header;
  }
  if (!empty) {
    ++depth_;
    open_.push_back(tag_name_);
    state_ = state::content;
    return frame::need_more;
  }
  if (depth_ > 1) {
    state_ = state::content;
    return frame::need_more;
  }
  in_unit_ = false;
  element_ = std::string_view(buffer_).substr(consumed_, scan_pos_ - consumed_);
  consumed_ = scan_pos_;
  state_ = state::stream_level;
  return frame::element;
}

frame stream_framer::finish_end_tag() {
  if (depth_ == 1) {
    depth_ = 0;
    in_unit_ = false;
    consumed_ = scan_pos_;
    state_ = state::epilog;
    return frame::closed;
  }
  open_.pop_back();
  --depth_;
  if (depth_ > 1) {
    state_ = state::content;
    return frame::need_more;
  }
  in_unit_ = false;
  element_ = std::string_view(buffer_).substr(consumed_, scan_pos_ - consumed_);
  consumed_ = scan_pos_;
  state_ = state::stream_level;
  return frame::element;
}

frame stream_framer::finish_reference(std::uint32_t code) {
  if (!is_xml_char(code)) {
    return fail(error::not_well_formed); // e.g. &#0; or a surrogate
  }
  if (ref_return_ == state::attr_value && in_root_tag()) {
    append_utf8(header_.attributes.back().second, code);
  }
  value_cr_ = false;
  state_ = ref_return_;
  return frame::need_more;
}

} // namespace boshmux::proto::xml
