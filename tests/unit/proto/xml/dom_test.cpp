#include "proto/xml/dom.hpp"
#include "proto/xml/error.hpp"

#include <boost/test/unit_test.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

namespace {

namespace xml = boshmux::proto::xml;

constexpr std::string_view streams_ns = "http://etherx.jabber.org/streams";
constexpr std::string_view stanzas_ns = "urn:ietf:params:xml:ns:xmpp-streams";

/// Parses `bytes`, requiring success.
std::unique_ptr<xml::document> parse_ok(std::string_view bytes) {
  std::error_code ec = xml::error::too_deep; // must be cleared on success
  auto doc = xml::document::parse(bytes, ec);
  BOOST_TEST(!ec);
  BOOST_TEST_REQUIRE(doc != nullptr);
  return doc;
}

/// The first child element of `n`, required to exist.
const xml::node& child(const xml::node& n) {
  const xml::node* c = n.first_node();
  while (c != nullptr && c->type() != rapidxml::node_element) {
    c = c->next_sibling();
  }
  BOOST_TEST_REQUIRE(c != nullptr);
  return *c;
}

} // namespace

BOOST_AUTO_TEST_SUITE(document)

BOOST_AUTO_TEST_CASE(exposes_qualified_local_and_prefix_names) {
  const auto doc = parse_ok("<stream:error><not-authorized xmlns='" + std::string(stanzas_ns) +
                            "'/></stream:error>");
  const xml::node& root = doc->root();
  BOOST_TEST(xml::qname(root) == "stream:error");
  BOOST_TEST(xml::local_name(root) == "error");
  BOOST_TEST(xml::prefix(root) == "stream");
  const xml::node& condition = child(root);
  BOOST_TEST(xml::qname(condition) == "not-authorized");
  BOOST_TEST(xml::local_name(condition) == "not-authorized");
  BOOST_TEST(xml::prefix(condition).empty());
}

BOOST_AUTO_TEST_CASE(resolves_stream_prefix_through_outer_scope) {
  const auto doc = parse_ok("<stream:error><not-well-formed xmlns='" + std::string(stanzas_ns) +
                            "'/></stream:error>");
  const xml::namespace_scope outer = {{"", "jabber:component:accept"},
                                      {"stream", std::string(streams_ns)}};
  BOOST_TEST(xml::namespace_uri(doc->root(), outer) == streams_ns);
  BOOST_TEST(xml::namespace_uri(child(doc->root()), outer) == stanzas_ns);
  // Undeclared without the outer scope.
  BOOST_TEST(xml::namespace_uri(doc->root()).empty());
}

BOOST_AUTO_TEST_CASE(inherits_default_namespace_from_ancestors_then_outer_scope) {
  const auto doc = parse_ok("<message xmlns='jabber:client'><body>hi</body></message>");
  const xml::namespace_scope outer = {{"", "jabber:component:accept"}};
  BOOST_TEST(xml::namespace_uri(doc->root(), outer) == "jabber:client");
  BOOST_TEST(xml::namespace_uri(child(doc->root()), outer) == "jabber:client");

  const auto bare = parse_ok("<presence><show>away</show></presence>");
  BOOST_TEST(xml::namespace_uri(child(bare->root()), outer) == "jabber:component:accept");
  BOOST_TEST(xml::namespace_uri(child(bare->root())).empty());
}

BOOST_AUTO_TEST_CASE(nearest_declaration_wins) {
  const auto doc = parse_ok("<a xmlns='urn:a' xmlns:p='urn:p1'><p:b xmlns:p='urn:p2'>"
                            "<p:c/><d xmlns=''/></p:b></a>");
  const xml::node& b = child(doc->root());
  BOOST_TEST(xml::namespace_uri(b) == "urn:p2");
  BOOST_TEST(xml::namespace_uri(child(b)) == "urn:p2");
  const xml::node* d = child(b).next_sibling();
  BOOST_TEST_REQUIRE(d != nullptr);
  BOOST_TEST(xml::namespace_uri(*d, {{"", "urn:outer"}}).empty()); // xmlns='' undeclares
  BOOST_TEST(xml::namespace_uri(doc->root(), {{"", "urn:outer"}}) == "urn:a");
}

BOOST_AUTO_TEST_CASE(binds_xml_prefix_by_definition) {
  const auto doc = parse_ok("<xml:x/>");
  BOOST_TEST(xml::namespace_uri(doc->root()) == "http://www.w3.org/XML/1998/namespace");
}

BOOST_AUTO_TEST_CASE(text_decodes_entities_and_cdata) {
  const auto doc = parse_ok("<body>a &amp; b &lt;&#x263A;&#65;&quot;&apos;&gt;"
                            "<![CDATA[<raw> &amp; ]]>tail</body>");
  BOOST_TEST(xml::text(doc->root()) == "a & b <\xE2\x98\xBA"
                                       "A\"'><raw> &amp; tail");
}

BOOST_AUTO_TEST_CASE(text_skips_child_elements) {
  const auto doc = parse_ok("<a>x<b>y</b>z</a>");
  BOOST_TEST(xml::text(doc->root()) == "xz");
  BOOST_TEST(xml::text(child(doc->root())) == "y");
  BOOST_TEST(xml::text(parse_ok("<empty/>")->root()).empty());
}

BOOST_AUTO_TEST_CASE(finds_attributes_with_decoded_values) {
  const auto doc = parse_ok("<iq type='get' id=\"a&apos;b&amp;c\" xml:lang='en'/>");
  const xml::node& root = doc->root();
  const xml::attribute* type = xml::find_attribute(root, "type");
  BOOST_TEST_REQUIRE(type != nullptr);
  BOOST_TEST(std::string_view(type->value(), type->value_size()) == "get");
  BOOST_TEST(xml::attribute_value(root, "id") == "a'b&c");
  BOOST_TEST(xml::attribute_value(root, "xml:lang") == "en");
  BOOST_TEST(xml::find_attribute(root, "lang") == nullptr);
  BOOST_TEST(xml::find_attribute(root, "typ") == nullptr);
  BOOST_TEST(xml::attribute_value(root, "to").empty());
  BOOST_TEST(xml::attribute_value(root, "to", "fallback") == "fallback");
}

BOOST_AUTO_TEST_CASE(owns_a_copy_of_the_input) {
  auto input = std::make_unique<std::string>("<message to='romeo@example.net'><body>x</body>"
                                             "</message>");
  std::error_code ec;
  const auto doc = xml::document::parse(*input, ec);
  BOOST_TEST_REQUIRE(doc != nullptr);
  input->assign(input->size(), '#');
  input.reset();
  BOOST_TEST(xml::qname(doc->root()) == "message");
  BOOST_TEST(xml::attribute_value(doc->root(), "to") == "romeo@example.net");
  BOOST_TEST(xml::text(child(doc->root())) == "x");
}

BOOST_AUTO_TEST_CASE(returns_null_with_not_well_formed_on_parse_failure) {
  for (const std::string_view bad :
       {std::string_view("<a></b>"), std::string_view("<a>"), std::string_view(""),
        std::string_view("   "), std::string_view("<a/><b/>"), std::string_view("<a/>text"),
        std::string_view("text"), std::string_view("<a b='1></a>"),
        std::string_view("<a>\0</a>", 8), std::string_view("<a/>\0<b/>", 9)}) {
    BOOST_TEST_CONTEXT("input \"" << bad << "\"") {
      std::error_code ec;
      const auto doc = xml::document::parse(bad, ec);
      BOOST_TEST((doc == nullptr));
      BOOST_TEST(ec == make_error_code(xml::error::not_well_formed));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
