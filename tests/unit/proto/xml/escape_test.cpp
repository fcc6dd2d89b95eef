#include "proto/xml/dom.hpp"
#include "proto/xml/escape.hpp"
#include "proto/xml/stream_framer.hpp"

#include <boost/test/unit_test.hpp>
#include <string>
#include <string_view>
#include <system_error>

namespace {

namespace xml = boshmux::proto::xml;

/// Strings that need every kind of escaping, and some that need none.
constexpr std::string_view samples[] = {
    "",
    "plain text",
    "&",
    "<>&'\"",
    "&amp; is not decoded twice &lt;",
    "a<b>c&d'e\"f",
    "]]> and <![CDATA[",
    "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80",
    "</stream:stream>",
};

std::string escaped_text(std::string_view text) {
  std::string out;
  xml::append_escaped_text(out, text);
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(escape)

BOOST_AUTO_TEST_CASE(text_escapes_ampersand_and_angle_brackets_only) {
  BOOST_TEST(escaped_text("a&b<c>d'e\"f") == "a&amp;b&lt;c&gt;d'e\"f");
  BOOST_TEST(escaped_text("no specials") == "no specials");
  BOOST_TEST(escaped_text("").empty());
}

BOOST_AUTO_TEST_CASE(attribute_escapes_quotes_too) {
  BOOST_TEST(xml::escape_attribute("a&b<c>d'e\"f") == "a&amp;b&lt;c&gt;d&apos;e&quot;f");
  BOOST_TEST(xml::escape_attribute("&&") == "&amp;&amp;");
  BOOST_TEST(xml::escape_attribute("plain") == "plain");
}

BOOST_AUTO_TEST_CASE(appends_to_existing_output) {
  std::string out = "<a x='";
  xml::append_escaped_attribute(out, "1'2");
  out += "'>";
  xml::append_escaped_text(out, "<3");
  BOOST_TEST(out == "<a x='1&apos;2'>&lt;3");
}

BOOST_AUTO_TEST_CASE(round_trips_through_dom) {
  for (const std::string_view sample : samples) {
    BOOST_TEST_CONTEXT("sample \"" << sample << "\"") {
      for (const char quote : {'\'', '"'}) {
        const std::string input = std::string("<a v=") + quote + xml::escape_attribute(sample) +
                                  quote + ">" + escaped_text(sample) + "</a>";
        std::error_code ec;
        const auto doc = xml::document::parse(input, ec);
        BOOST_TEST_REQUIRE(doc != nullptr);
        BOOST_TEST(xml::attribute_value(doc->root(), "v") == sample);
        BOOST_TEST(xml::text(doc->root()) == sample);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(round_trips_through_stream_framer) {
  for (const std::string_view sample : samples) {
    BOOST_TEST_CONTEXT("sample \"" << sample << "\"") {
      const std::string child = "<t>" + escaped_text(sample) + "</t>";
      xml::stream_framer framer;
      framer.feed("<r v=\"" + xml::escape_attribute(sample) + "\">" + child);
      std::error_code ec;
      BOOST_TEST_REQUIRE((framer.next(ec) == xml::frame::header));
      BOOST_REQUIRE(framer.header().attribute("v") != nullptr);
      BOOST_TEST(*framer.header().attribute("v") == sample);
      BOOST_TEST_REQUIRE((framer.next(ec) == xml::frame::element));
      BOOST_TEST(framer.element() == child);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
