#pragma once

#include "proto/common/limits.hpp"
#include "proto/xml/error.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace boshmux::proto::xml {

/// The root start tag of a stream (`<stream:stream ...>`, or a BOSH `<body ...>`).
struct stream_header {
  /// Qualified name as written, e.g. "stream:stream".
  std::string name;
  /// Attributes in document order, values already unescaped. Namespace declarations
  /// (`xmlns`, `xmlns:p`) are included.
  std::vector<std::pair<std::string, std::string>> attributes;

  /// Value of the attribute with this qualified name, or nullptr when absent.
  const std::string* attribute(std::string_view qname) const;
};

/// What stream_framer::next() found.
enum class frame {
  need_more, ///< the buffered bytes hold no complete unit yet: feed more
  header,    ///< the root start tag is complete: see header()
  element,   ///< a complete child of the root: see element()
  closed,    ///< the root was closed (`</stream:stream>`, or a self-closing root)
  error,     ///< malformed or over a limit: see the error_code; the framer is then dead
};

/// Incremental framer for an XML stream (RFC 6120 section 4): splits a byte stream of any
/// chunking into the root start tag, each complete top-level child element and the root's end.
///
/// It is a resumable tokenizer: bytes are scanned once, whatever the chunk sizes (even one
/// byte at a time). It checks well-formedness of tags, attribute syntax, end-tag matching,
/// entity and character references, and rejects comments, processing instructions (except an
/// XML declaration before the root), DOCTYPEs and entity declarations. Whitespace between
/// top-level elements is allowed (keepalives); other character data at stream level is not.
/// It also frames a complete document such as a BOSH `<body/>`: root, children, close.
///
/// Sans-IO: it never touches a socket, never allocates without bound, never throws.
class stream_framer {
public:
  explicit stream_framer(const xml_limits& limits = {});

  /// Appends bytes to the input. Cheap; all work happens in next().
  void feed(std::string_view bytes);

  /// Extracts the next unit. After frame::error, `ec` holds the reason and every further call
  /// returns frame::error again.
  frame next(std::error_code& ec);

  /// The stream header; valid once next() returned frame::header.
  const stream_header& header() const { return header_; }

  /// Raw bytes of the element that next() just returned, exactly as received (prefixes and
  /// namespace declarations untouched). Valid until the next call to feed() or next().
  std::string_view element() const { return element_; }

  /// Forgets all state and input: ready for a new stream (e.g. after a reconnect).
  void reset();

  /// Bytes received but not yet returned as a unit.
  std::size_t buffered_bytes() const { return buffer_.size() - consumed_; }

private:
  /// Where the tokenizer is; each state knows what the next byte may be.
  enum class state : unsigned char {
    prolog,          ///< before the root: whitespace, the XML declaration, the root start tag
    decl_target,     ///< after `<?` at the very start: matching "xml"
    decl_body,       ///< inside the XML declaration
    decl_question,   ///< after a '?' inside the XML declaration
    tag_open,        ///< after '<'
    bang,            ///< after `<!`
    bang_dash,       ///< after `<!-`
    cdata_open,      ///< matching "CDATA[" after `<![`
    cdata,           ///< inside a CDATA section
    start_name,      ///< inside a start tag's name
    tag_space,       ///< inside a start tag after whitespace: attribute, '>' or "/>"
    after_attribute, ///< right after an attribute value: whitespace, '>' or "/>"
    attr_name,       ///< inside an attribute name
    attr_after_name, ///< after an attribute name: '='
    attr_after_eq,   ///< after '=': the opening quote
    attr_value,      ///< inside a quoted attribute value
    empty_end,       ///< after '/' in a start tag: '>'
    end_name,        ///< inside an end tag's name, matched against the open element
    end_space,       ///< after an end tag's name: whitespace, then '>'
    content,         ///< character data inside a child of the root
    stream_level,    ///< between children of the root: whitespace or '<'
    ref_start,       ///< after '&'
    ref_name,        ///< inside an entity reference's name
    ref_hash,        ///< after `&#`
    ref_hex_start,   ///< after `&#x`: the first hex digit
    ref_decimal,     ///< inside a decimal character reference
    ref_hex,         ///< inside a hexadecimal character reference
    epilog,          ///< after the root was closed: whitespace only
  };

  /// Name of an open element or attribute: offset from the start of the current unit, length.
  struct name_span {
    std::size_t offset = 0; ///< from the first byte of the unit (buffer_[consumed_])
    std::size_t size = 0;   ///< in bytes
  };

  /// Runs the tokenizer over the unscanned bytes until a unit is complete or input runs out.
  frame scan();
  /// Consumes one byte; returns frame::need_more to go on, any other value to stop.
  frame step(unsigned char c);
  /// Records `e` as the framer's final state and returns frame::error.
  frame fail(error e);
  /// Drops handed-out bytes once they are at least half of the buffer (amortised O(1) per byte).
  void compact();
  /// Bytes of the name at `span` in the current unit.
  std::string_view unit_name(name_span span) const;
  /// Name of the innermost open element (the one an end tag must close).
  std::string_view open_name() const;
  /// Called on the byte that ends a start tag's name.
  frame finish_start_name();
  /// Called on the byte that ends an attribute name.
  frame finish_attr_name();
  /// Called on the '>' that ends a start tag; `empty` for "/>".
  frame finish_start_tag(bool empty);
  /// Called on the '>' that ends an end tag.
  frame finish_end_tag();
  /// Called on the ';' that ends a reference whose code point is `code`.
  frame finish_reference(std::uint32_t code);
  /// No element is open yet: a tag being scanned is the root start tag (or the declaration).
  bool in_root_tag() const { return depth_ == 0; }

  xml_limits limits_;        ///< size, depth and count limits enforced while scanning
  std::string buffer_;       ///< received bytes; [consumed_, size()) is still pending
  std::size_t consumed_ = 0; ///< bytes of buffer_ handed out or discarded; a unit starts here
  std::size_t scan_pos_ = 0; ///< next byte of buffer_ the tokenizer looks at
  std::string_view element_; ///< the element next() just returned, a view into buffer_
  stream_header header_;     ///< the root start tag, filled in while it is scanned
  std::error_code error_;    ///< set once on the first error; the framer is then dead

  state state_ = state::prolog;
  state ref_return_ = state::content; ///< where a reference returns to (content or attr_value)
  bool at_start_ = true;              ///< no byte of the stream scanned yet
  bool decl_allowed_ = false;         ///< the current '<' is the stream's first byte
  bool in_unit_ = false;              ///< a markup unit (tag, declaration) is being scanned
  bool pending_closed_ = false;       ///< the root was self-closing: next() reports closed
  bool value_cr_ = false;             ///< the last attribute value byte was a literal CR
  char quote_ = '"';                  ///< quote that ends the current attribute value
  std::size_t depth_ = 0;             ///< open elements, the root included
  std::size_t match_ = 0;             ///< bytes matched of a literal or of an end tag name
  std::size_t brackets_ = 0;          ///< consecutive ']' seen inside CDATA (at most 2)
  std::uint32_t code_ = 0;            ///< value of the character reference being read
  std::size_t ref_size_ = 0;          ///< bytes of the entity name being read
  std::array<char, 4> ref_name_{};    ///< its first bytes (the predefined names are short)
  name_span tag_name_;                ///< name of the start tag being read
  std::vector<name_span> open_;       ///< names of open elements below the root
  std::vector<name_span> attributes_; ///< attribute names of the start tag being read
};

} // namespace boshmux::proto::xml
