#include "proto/xml/error.hpp"
#include "proto/xml/stream_framer.hpp"
#include "tests/support/grind.hpp"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>

namespace {

using boshmux::proto::xml_limits;
using boshmux::proto::xml::error;
using boshmux::proto::xml::frame;
namespace xml = boshmux::proto::xml;
using namespace std::string_literals;

/// What a framer reported for one input: a line per frame, and the error that ended it.
struct transcript {
  std::string events;
  std::error_code ec;

  bool operator==(const transcript&) const = default;
};

std::ostream& operator<<(std::ostream& os, const transcript& t) {
  return os << "{" << t.events << "} " << t.ec << " (" << t.ec.message() << ")";
}

/// Feeds `input` in the given chunks to a fresh framer, draining it after every chunk.
transcript run_framer(const boshmux::test::chunks& input, const xml_limits& limits) {
  xml::stream_framer framer{limits};
  transcript t;
  for (const std::string_view chunk : input) {
    framer.feed(chunk);
    for (;;) {
      const frame f = framer.next(t.ec);
      if (f == frame::need_more) {
        break;
      }
      if (f == frame::error) {
        return t;
      }
      if (f == frame::header) {
        t.events += "header " + framer.header().name;
        for (const auto& [name, value] : framer.header().attributes) {
          t.events += " [" + name + "=" + value + "]";
        }
        t.events += "\n";
      } else if (f == frame::element) {
        t.events += "element "s.append(framer.element()) + "\n";
      } else {
        t.events += "closed\n";
      }
    }
  }
  return t;
}

/// The transcript of `input`, checked to be the same in every chunking.
transcript grind_framer(std::string_view input, const xml_limits& limits = {}) {
  return boshmux::test::grind(
      input, [&](const boshmux::test::chunks& c) { return run_framer(c, limits); });
}

std::error_code code(error e) {
  return make_error_code(e);
}

constexpr std::string_view component_header =
    "<stream:stream xmlns='jabber:component:accept' "
    "xmlns:stream='http://etherx.jabber.org/streams' from='bosh.example' id='3BF96D32'>";

constexpr std::string_view component_header_event =
    "header stream:stream [xmlns=jabber:component:accept] "
    "[xmlns:stream=http://etherx.jabber.org/streams] [from=bosh.example] [id=3BF96D32]\n";

constexpr std::string_view message_stanza =
    "<message from='juliet@example.com/balcony' to='romeo@bosh.example' type='chat' "
    "xml:lang='en'><body>Art thou not Romeo, &amp; a Montague? &lt;3 &#x263A; &#9731; "
    "&quot;&apos;&gt;</body><thread xmlns='urn:xmpp:thread'>e0ffe42b</thread>"
    "<x:data xmlns:x='urn:example:data' note=\"it&apos;s &quot;quoted&quot; &lt;&#38;&gt;\">"
    "<![CDATA[</stream:stream> <a> & ]] ]]]></x:data ></message>";

constexpr std::string_view iq_stanza =
    "<iq type=\"get\" id = 'p1'>\r\n  <ping xmlns='urn:xmpp:ping'/>\r\n</iq>";

constexpr std::string_view stream_error =
    "<stream:error><not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
    "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>bye &amp; thanks</text>"
    "</stream:error>";

/// A root of depth 1 wrapping `inner`, for tests about children.
std::string in_stream(std::string_view inner) {
  return "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>"s.append(inner);
}

constexpr std::string_view stream_header_event =
    "header stream:stream [xmlns:stream=http://etherx.jabber.org/streams]\n";

/// An element `<a>xx...x</a>` of exactly `size` bytes (size >= 7).
std::string element_of_size(std::size_t size) {
  return "<a>" + std::string(size - 7, 'x') + "</a>";
}

/// A root start tag `<r p='xx...x'>` of exactly `size` bytes (size >= 8).
std::string root_tag_of_size(std::size_t size) {
  return "<r p='" + std::string(size - 8, 'x') + "'>";
}

/// `depth` nested elements `<e><e>...</e></e>`.
std::string nested(std::size_t depth) {
  std::string out;
  for (std::size_t i = 0; i < depth; ++i) {
    out += "<e>";
  }
  for (std::size_t i = 0; i < depth; ++i) {
    out += "</e>";
  }
  return out;
}

/// An empty element `<name a0='0' a1='1' .../>` with `count` attributes.
std::string with_attributes(std::string_view name, std::size_t count, std::string_view end) {
  std::string out = "<"s.append(name);
  for (std::size_t i = 0; i < count; ++i) {
    out += " a" + std::to_string(i) + "='" + std::to_string(i) + "'";
  }
  return out.append(end);
}

/// An input the framer must reject, and the precise reason.
struct rejection {
  std::string_view what;
  std::string input;
  error expected;
};

std::ostream& operator<<(std::ostream& os, const rejection& r) {
  return os << r.what;
}

const std::vector<rejection> rejections = {
    {"doctype before the root", "<!DOCTYPE stream>", error::restricted_xml},
    {"doctype inside a child", in_stream("<a><!DOCTYPE a></a>"), error::restricted_xml},
    {"entity declaration at stream level", in_stream("<!ENTITY x 'y'>"), error::restricted_xml},
    {"entity declaration before the root", "<!ENTITY x 'y'><r/>", error::restricted_xml},
    {"processing instruction before the root", "<?xml-stylesheet href='a'?><r/>",
     error::restricted_xml},
    {"processing instruction at stream level", in_stream("<?foo bar?>"), error::restricted_xml},
    {"processing instruction inside a child", in_stream("<a><?foo?></a>"), error::restricted_xml},
    {"xml declaration after leading whitespace", " <?xml version='1.0'?><r/>",
     error::restricted_xml},
    {"xml declaration after the root start tag", in_stream("<?xml version='1.0'?>"),
     error::restricted_xml},
    {"comment before the root", "<!-- hi --><r/>", error::restricted_xml},
    {"comment at stream level", in_stream("<!-- hi -->"), error::restricted_xml},
    {"comment inside a child", in_stream("<a>x<!-- hi --></a>"), error::restricted_xml},
    {"undefined entity in text", in_stream("<a>&nbsp;</a>"), error::undefined_entity},
    {"undefined entity with a long name", in_stream("<a>&ampersand;</a>"), error::undefined_entity},
    {"undefined entity in a child attribute", in_stream("<a b='&foo;'/>"), error::undefined_entity},
    {"undefined entity in a header attribute", "<r b='&foo;'>", error::undefined_entity},
    {"character reference to NUL", in_stream("<a>&#0;</a>"), error::not_well_formed},
    {"character reference to a control character", in_stream("<a>&#x1;</a>"),
     error::not_well_formed},
    {"character reference to a surrogate", in_stream("<a>&#xD800;</a>"), error::not_well_formed},
    {"character reference to U+FFFE", in_stream("<a>&#xFFFE;</a>"), error::not_well_formed},
    {"character reference beyond U+10FFFF", in_stream("<a>&#x110000;</a>"), error::not_well_formed},
    {"character reference that overflows", in_stream("<a>&#99999999999999999999999;</a>"),
     error::not_well_formed},
    {"empty decimal character reference", in_stream("<a>&#;</a>"), error::not_well_formed},
    {"empty hexadecimal character reference", in_stream("<a>&#x;</a>"), error::not_well_formed},
    {"character reference with a bad digit", in_stream("<a>&#12a;</a>"), error::not_well_formed},
    {"uppercase X in a character reference", in_stream("<a>&#X41;</a>"), error::not_well_formed},
    {"character reference without ';'", in_stream("<a>&#65 </a>"), error::not_well_formed},
    {"entity reference without ';'", in_stream("<a>&amp </a>"), error::not_well_formed},
    {"empty entity reference", in_stream("<a>&;</a>"), error::not_well_formed},
    {"bare ampersand in text", in_stream("<a>fish & chips</a>"), error::not_well_formed},
    {"bare ampersand in an attribute", in_stream("<a b='&'/>"), error::not_well_formed},
    {"mismatched end tag", in_stream("<a></b>"), error::not_well_formed},
    {"crossed end tags", in_stream("<a><b></a></b>"), error::not_well_formed},
    {"end tag longer than the start tag", in_stream("<a></ab>"), error::not_well_formed},
    {"end tag shorter than the start tag", in_stream("<ab></a>"), error::not_well_formed},
    {"mismatched root end tag", in_stream("</stream:strea>"), error::not_well_formed},
    {"end tag before the root", "</r>", error::not_well_formed},
    {"empty end tag", in_stream("<a></>"), error::not_well_formed},
    {"text before the root", "hello<r/>", error::not_well_formed},
    {"text at stream level", in_stream(" hello"), error::not_well_formed},
    {"reference at stream level", in_stream("&amp;"), error::not_well_formed},
    {"CDATA at stream level", in_stream("<![CDATA[x]]>"), error::not_well_formed},
    {"misspelt CDATA", in_stream("<a><![CDATX[x]]></a>"), error::not_well_formed},
    {"duplicate attribute on the root", "<r a='1' b='2' a='3'>", error::duplicate_attribute},
    {"duplicate namespace declaration on the root", "<r xmlns='a' xmlns='a'>",
     error::duplicate_attribute},
    {"duplicate attribute on a child", in_stream("<a x='1' x=\"1\"/>"), error::duplicate_attribute},
    {"duplicate attribute on a grandchild", in_stream("<a><b y='1' z='' y='2'/></a>"),
     error::duplicate_attribute},
    {"'<' in a header attribute value", "<r a='x<y'>", error::not_well_formed},
    {"'<' in a child attribute value", in_stream("<a b=\"<\"/>"), error::not_well_formed},
    {"data after the root end tag", in_stream("</stream:stream><a/>"), error::not_well_formed},
    {"text after the root end tag", in_stream("</stream:stream> x"), error::not_well_formed},
    {"data after a self-closing root", "<body rid='1'/> <body/>", error::not_well_formed},
    {"attributes without whitespace between", in_stream("<a x='1'y='2'/>"), error::not_well_formed},
    {"unquoted attribute value", in_stream("<a x=1/>"), error::not_well_formed},
    {"attribute without a value", in_stream("<a x/>"), error::not_well_formed},
    {"element name starting with a digit", in_stream("<1a/>"), error::not_well_formed},
    {"element name starting with '-'", in_stream("<-a/>"), error::not_well_formed},
    {"element name starting with '.'", "<.r>", error::not_well_formed},
    {"attribute name starting with a digit", in_stream("<a 1x='1'/>"), error::not_well_formed},
    {"whitespace after '<'", in_stream("< a/>"), error::not_well_formed},
    {"'/' not followed by '>'", in_stream("<a/ >"), error::not_well_formed},
    {"control character in text", in_stream("<a>\x01</a>"), error::not_well_formed},
    {"NUL in an attribute value", in_stream("<a b='\0'/>"s), error::not_well_formed},
};

} // namespace

BOOST_AUTO_TEST_SUITE(stream_framer)

BOOST_AUTO_TEST_CASE(frames_component_stream_identically_in_any_chunking) {
  const std::string input = std::string(component_header) + "<handshake/>" + " \n\t " +
                            std::string(message_stanza) + "\r\n" + std::string(iq_stanza) + "  " +
                            std::string(stream_error) + "\n</stream:stream>\n";
  const transcript t = grind_framer(input);
  BOOST_TEST(t.ec == std::error_code{});
  BOOST_TEST(t.events == std::string(component_header_event) + "element <handshake/>\n" +
                             "element " + std::string(message_stanza) + "\n" + "element " +
                             std::string(iq_stanza) + "\n" + "element " +
                             std::string(stream_error) + "\n" + "closed\n");
}

BOOST_AUTO_TEST_CASE(hands_out_exact_element_bytes_and_drops_them) {
  xml::stream_framer framer;
  std::error_code ec;
  framer.feed(component_header);
  framer.feed(" <handshake/> <message><body>x</body></message>\n<pa");
  BOOST_TEST((framer.next(ec) == frame::header));
  BOOST_TEST(framer.header().name == "stream:stream");
  BOOST_TEST((framer.next(ec) == frame::element));
  BOOST_TEST(framer.element() == "<handshake/>");
  BOOST_TEST((framer.next(ec) == frame::element));
  BOOST_TEST(framer.element() == "<message><body>x</body></message>");
  BOOST_TEST((framer.next(ec) == frame::need_more));
  BOOST_TEST(!ec);
  BOOST_TEST(framer.element().empty());
  BOOST_TEST(framer.buffered_bytes() == 3u); // "<pa": the keepalive newline is gone
  framer.feed("ss/>");
  BOOST_TEST((framer.next(ec) == frame::element));
  BOOST_TEST(framer.element() == "<pass/>");
  BOOST_TEST(framer.buffered_bytes() == 0u);
}

BOOST_AUTO_TEST_CASE(reports_header_then_closed_for_self_closing_root) {
  const transcript t = grind_framer(
      "<body rid='1' xmlns='http://jabber.org/protocol/httpbind' type='terminate'/>\r\n");
  BOOST_TEST(t.ec == std::error_code{});
  BOOST_TEST(t.events == "header body [rid=1] [xmlns=http://jabber.org/protocol/httpbind] "
                         "[type=terminate]\nclosed\n");
}

BOOST_AUTO_TEST_CASE(frames_bosh_body_with_two_children) {
  const transcript t = grind_framer(
      "<body rid='1249243564' sid='SomeSID' xmlns='http://jabber.org/protocol/httpbind'>"
      "<message to='contact@example.com' xmlns='jabber:client'><body>Good morning!</body>"
      "</message><presence xmlns='jabber:client'/></body>");
  BOOST_TEST(t.ec == std::error_code{});
  BOOST_TEST(t.events == "header body [rid=1249243564] [sid=SomeSID] "
                         "[xmlns=http://jabber.org/protocol/httpbind]\n"
                         "element <message to='contact@example.com' xmlns='jabber:client'>"
                         "<body>Good morning!</body></message>\n"
                         "element <presence xmlns='jabber:client'/>\n"
                         "closed\n");
}

BOOST_AUTO_TEST_CASE(accepts_xml_declaration_at_the_very_start) {
  const transcript t = grind_framer("<?xml version='1.0' encoding='UTF-8'?>\n<r a='?>'></r>");
  BOOST_TEST(t.ec == std::error_code{});
  BOOST_TEST(t.events == "header r [a=?>]\nclosed\n");
}

BOOST_AUTO_TEST_CASE(unescapes_header_attribute_values) {
  xml::stream_framer framer;
  std::error_code ec;
  framer.feed("<stream:stream to='a&amp;b' x=\"&lt;&#65;&#x42;&quot;&apos;&gt;\" "
              "y='tab\there\r\nline&#10;&#x9;' z=\"it's\" w='say \"hi\"' e=''>");
  BOOST_TEST((framer.next(ec) == frame::header));
  const auto& h = framer.header();
  BOOST_TEST(h.attributes.size() == 6u);
  BOOST_REQUIRE(h.attribute("to") != nullptr);
  BOOST_TEST(*h.attribute("to") == "a&b");
  BOOST_TEST(*h.attribute("x") == "<AB\"'>");
  // Literal white space is normalised to spaces (CR LF to one), references are kept.
  BOOST_TEST(*h.attribute("y") == "tab here line\n\t");
  BOOST_TEST(*h.attribute("z") == "it's");
  BOOST_TEST(*h.attribute("w") == "say \"hi\"");
  BOOST_TEST(*h.attribute("e") == "");
  BOOST_TEST(h.attribute("missing") == nullptr);
}

BOOST_AUTO_TEST_CASE(decodes_multibyte_character_references_in_header) {
  xml::stream_framer framer;
  std::error_code ec;
  framer.feed("<r a='&#xE9;&#x20AC;&#x1F600;&#1114111;'>");
  BOOST_TEST((framer.next(ec) == frame::header));
  BOOST_TEST(*framer.header().attribute("a") ==
             "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF");
}

BOOST_AUTO_TEST_CASE(accepts_cdata_brackets_and_end_tags_with_whitespace) {
  const std::string child = "<a><![CDATA[]]><![CDATA[x]]]]><![CDATA[]><b>] ]>]]]></a  >";
  const transcript t = grind_framer(in_stream(child + "</stream:stream \n>"));
  BOOST_TEST(t.ec == std::error_code{});
  BOOST_TEST(t.events == std::string(stream_header_event) + "element " + child + "\nclosed\n");
}

BOOST_AUTO_TEST_CASE(accepts_names_with_utf8_digits_dots_and_dashes) {
  const std::string child = "<_a.b-c:d9 \xC3\xA9t\xC3\xA9='\xE2\x82\xAC' x-1.y='2'>"
                            "caf\xC3\xA9</_a.b-c:d9>";
  const transcript t = grind_framer(in_stream(child));
  BOOST_TEST(t.ec == std::error_code{});
  BOOST_TEST(t.events == std::string(stream_header_event) + "element " + child + "\n");
}

BOOST_DATA_TEST_CASE(rejects_input_with_precise_error, boost::unit_test::data::make(rejections),
                     r) {
  const transcript t = grind_framer(r.input);
  BOOST_TEST(t.ec == code(r.expected));
  BOOST_TEST(t.ec.category().name() == std::string_view("boshmux.xml"));
  BOOST_TEST(!t.ec.message().empty());
  BOOST_TEST(t.ec.message().find("unknown") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(accepts_element_up_to_max_element_bytes) {
  const xml_limits limits{.max_element_bytes = 64};
  for (const std::size_t size : {std::size_t{63}, std::size_t{64}}) {
    BOOST_TEST_CONTEXT("element of " << size << " bytes") {
      const std::string element = element_of_size(size);
      BOOST_TEST(element.size() == size);
      const transcript t = grind_framer(in_stream(element), limits);
      BOOST_TEST(t.ec == std::error_code{});
      BOOST_TEST(t.events == std::string(stream_header_event) + "element " + element + "\n");
    }
  }
}

BOOST_AUTO_TEST_CASE(rejects_element_over_max_element_bytes) {
  const xml_limits limits{.max_element_bytes = 64};
  const transcript t = grind_framer(in_stream(element_of_size(65)), limits);
  BOOST_TEST(t.ec == code(error::element_too_large));
  BOOST_TEST(t.events == stream_header_event);
}

BOOST_AUTO_TEST_CASE(rejects_oversized_element_before_its_end_arrives) {
  const xml_limits limits{.max_element_bytes = 64};
  xml::stream_framer framer{limits};
  std::error_code ec;
  framer.feed(in_stream(""));
  BOOST_TEST((framer.next(ec) == frame::header));
  const std::string start = element_of_size(1000).substr(0, 64);
  framer.feed(start);
  BOOST_TEST((framer.next(ec) == frame::need_more));
  framer.feed("x");
  BOOST_TEST((framer.next(ec) == frame::error));
  BOOST_TEST(ec == code(error::element_too_large));
}

BOOST_AUTO_TEST_CASE(counts_root_end_tag_against_max_element_bytes) {
  const xml_limits limits{.max_element_bytes = 16};
  const transcript ok = grind_framer(in_stream("</stream:stream>"), limits);
  BOOST_TEST(ok.ec == std::error_code{});
  const transcript over = grind_framer(in_stream("</stream:stream >"), limits);
  BOOST_TEST(over.ec == code(error::element_too_large));
}

BOOST_AUTO_TEST_CASE(accepts_header_up_to_max_header_bytes) {
  const xml_limits limits{.max_header_bytes = 64};
  for (const std::size_t size : {std::size_t{63}, std::size_t{64}}) {
    BOOST_TEST_CONTEXT("header of " << size << " bytes") {
      const std::string tag = root_tag_of_size(size);
      BOOST_TEST(tag.size() == size);
      const transcript t = grind_framer(tag, limits);
      BOOST_TEST(t.ec == std::error_code{});
      BOOST_TEST(t.events == "header r [p=" + std::string(size - 8, 'x') + "]\n");
    }
  }
}

BOOST_AUTO_TEST_CASE(rejects_header_over_max_header_bytes) {
  const xml_limits limits{.max_header_bytes = 64};
  const transcript t = grind_framer(root_tag_of_size(65), limits);
  BOOST_TEST(t.ec == code(error::header_too_large));
  BOOST_TEST(t.events.empty());
  // Detected as soon as the limit is passed, without waiting for '>'.
  const transcript unterminated = grind_framer(root_tag_of_size(200).substr(0, 65), limits);
  BOOST_TEST(unterminated.ec == code(error::header_too_large));
}

BOOST_AUTO_TEST_CASE(accepts_nesting_up_to_max_depth) {
  const xml_limits limits{.max_depth = 4};
  for (const std::size_t depth : {std::size_t{3}, std::size_t{4}}) {
    BOOST_TEST_CONTEXT("depth " << depth) {
      const std::string child = nested(depth - 1); // the root is depth 1
      const transcript t = grind_framer(in_stream(child), limits);
      BOOST_TEST(t.ec == std::error_code{});
      BOOST_TEST(t.events == std::string(stream_header_event) + "element " + child + "\n");
    }
  }
}

BOOST_AUTO_TEST_CASE(rejects_nesting_over_max_depth) {
  const xml_limits limits{.max_depth = 4};
  const transcript t = grind_framer(in_stream(nested(4)), limits);
  BOOST_TEST(t.ec == code(error::too_deep));
  const xml_limits root_only{.max_depth = 1};
  BOOST_TEST(grind_framer(in_stream("<a/>"), root_only).ec == code(error::too_deep));
  BOOST_TEST(grind_framer("<r/>", root_only).ec == std::error_code{});
}

BOOST_AUTO_TEST_CASE(accepts_attributes_up_to_max_attributes) {
  const xml_limits limits{.max_attributes = 3};
  for (const std::size_t count : {std::size_t{2}, std::size_t{3}}) {
    BOOST_TEST_CONTEXT(count << " attributes") {
      const std::string child = "<a>" + with_attributes("b", count, "/>") + "</a>";
      const transcript t = grind_framer(with_attributes("r", count, ">") + child, limits);
      BOOST_TEST(t.ec == std::error_code{});
      BOOST_TEST(t.events.ends_with("element " + child + "\n"));
    }
  }
}

BOOST_AUTO_TEST_CASE(rejects_attributes_over_max_attributes) {
  const xml_limits limits{.max_attributes = 3};
  BOOST_TEST(grind_framer(with_attributes("r", 4, ">"), limits).ec ==
             code(error::too_many_attributes));
  BOOST_TEST(grind_framer("<r>" + with_attributes("a", 4, "/>"), limits).ec ==
             code(error::too_many_attributes));
}

BOOST_AUTO_TEST_CASE(drops_whitespace_keepalives_without_buffering_them) {
  xml::stream_framer framer;
  std::error_code ec;
  framer.feed(component_header);
  BOOST_TEST((framer.next(ec) == frame::header));
  BOOST_TEST(framer.buffered_bytes() == 0u);
  for (int i = 0; i < 10000; ++i) {
    framer.feed(" \n");
    BOOST_TEST_REQUIRE((framer.next(ec) == frame::need_more));
    BOOST_TEST_REQUIRE(framer.buffered_bytes() == 0u);
  }
  framer.feed(std::string(100000, ' ') + "<a/>");
  BOOST_TEST((framer.next(ec) == frame::element));
  BOOST_TEST(framer.element() == "<a/>");
  BOOST_TEST(framer.buffered_bytes() == 0u);
}

BOOST_AUTO_TEST_CASE(keeps_returning_the_same_error_after_failure) {
  xml::stream_framer framer;
  std::error_code ec;
  framer.feed("<r><!-- no -->");
  BOOST_TEST((framer.next(ec) == frame::header));
  BOOST_TEST((framer.next(ec) == frame::error));
  BOOST_TEST(ec == code(error::restricted_xml));
  framer.feed("<a/></r>");
  for (int i = 0; i < 3; ++i) {
    ec.clear();
    BOOST_TEST((framer.next(ec) == frame::error));
    BOOST_TEST(ec == code(error::restricted_xml));
    BOOST_TEST(framer.element().empty());
  }
}

BOOST_AUTO_TEST_CASE(reset_starts_a_new_stream) {
  xml::stream_framer framer;
  std::error_code ec;
  framer.feed("<r a='1'>junk");
  BOOST_TEST((framer.next(ec) == frame::header));
  BOOST_TEST((framer.next(ec) == frame::error));
  framer.reset();
  BOOST_TEST(framer.buffered_bytes() == 0u);
  // The XML declaration is allowed again: it is the start of a new stream.
  framer.feed("<?xml version='1.0'?><s b='2'><x/></s>");
  BOOST_TEST((framer.next(ec) == frame::header));
  BOOST_TEST(!ec);
  BOOST_TEST(framer.header().name == "s");
  BOOST_TEST(framer.header().attributes.size() == 1u);
  BOOST_TEST((framer.next(ec) == frame::element));
  BOOST_TEST(framer.element() == "<x/>");
  BOOST_TEST((framer.next(ec) == frame::closed));
  BOOST_TEST((framer.next(ec) == frame::need_more));
}

BOOST_AUTO_TEST_CASE(waits_for_more_after_the_root_is_closed) {
  xml::stream_framer framer;
  std::error_code ec;
  framer.feed("<r></r>");
  BOOST_TEST((framer.next(ec) == frame::header));
  BOOST_TEST((framer.next(ec) == frame::closed));
  framer.feed(" \r\n");
  BOOST_TEST((framer.next(ec) == frame::need_more));
  BOOST_TEST(framer.buffered_bytes() == 0u);
  framer.feed("<r>");
  BOOST_TEST((framer.next(ec) == frame::error));
  BOOST_TEST(ec == code(error::not_well_formed));
}

BOOST_AUTO_TEST_SUITE_END()
