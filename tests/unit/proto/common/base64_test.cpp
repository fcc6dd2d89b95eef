#include "proto/common/base64.hpp"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

using namespace boshmux::proto;
namespace data = boost::unit_test::data;

namespace {

struct vector {
  const char* plain;
  const char* standard;
  const char* url;
};
std::ostream& operator<<(std::ostream& os, const vector& v) {
  return os << '"' << v.plain << '"';
}

// RFC 4648 section 10.
const vector rfc4648_vectors[] = {
    {"", "", ""},
    {"f", "Zg==", "Zg"},
    {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

/// Every byte value, so that both alphabets are exercised completely.
std::string all_bytes() {
  std::string out;
  for (int i = 0; i < 256; ++i) {
    out += static_cast<char>(i);
  }
  return out;
}

const char* const rejected_standard[] = {
    "Zg",           // missing padding
    "Zg=",          // length not a multiple of 4
    "Z===",         // three padding characters
    "====",         // padding only
    "Zg==Zg==",     // padding in the middle
    "Zm=9",         // '=' before data
    "Zh==",         // non-zero unused bits (4 bits)
    "Zm9=",         // non-zero unused bits (2 bits)
    " Zg=",         // leading space
    "Zg==\n",       // trailing line feed
    "Zm9v\r\nYg==", // line break inside
    "Zm 9v",        // inner space
    "-_8=",         // URL-safe alphabet
    "Zm9v\tYmFy",   // tab
    "Zm9v*mFy",     // character outside both alphabets
    "A",            // single character
};

const char* const rejected_url[] = {
    "Zg==",  // padding
    "Zg=",   // padding
    "+/8",   // standard alphabet
    "Z",     // length 1 modulo 4
    "Zm9vY", // length 1 modulo 4
    "Zh",    // non-zero unused bits
    "Zm9",   // non-zero unused bits
    "Zm 9v", // space
    "Zm9v\n",
};

} // namespace

BOOST_AUTO_TEST_SUITE(base64)

BOOST_DATA_TEST_CASE(encodes_rfc4648_vectors, data::make(rfc4648_vectors), v) {
  BOOST_TEST(base64_encode(v.plain) == v.standard);
  BOOST_TEST(base64url_encode(v.plain) == v.url);
}

BOOST_DATA_TEST_CASE(decodes_rfc4648_vectors, data::make(rfc4648_vectors), v) {
  const auto standard = base64_decode(v.standard);
  BOOST_REQUIRE(standard.has_value());
  BOOST_TEST(*standard == v.plain);
  const auto url = base64url_decode(v.url);
  BOOST_REQUIRE(url.has_value());
  BOOST_TEST(*url == v.plain);
}

BOOST_AUTO_TEST_CASE(empty_string_decodes_to_empty_string) {
  BOOST_TEST(base64_decode("").value() == "");
  BOOST_TEST(base64url_decode("").value() == "");
}

BOOST_AUTO_TEST_CASE(alphabets_differ_only_in_the_last_two_characters) {
  BOOST_TEST(base64_encode("\xfb\xff") == "+/8=");
  BOOST_TEST(base64url_encode("\xfb\xff") == "-_8");
  BOOST_TEST(base64_decode("+/8=").value() == "\xfb\xff");
  BOOST_TEST(base64url_decode("-_8").value() == "\xfb\xff");
}

BOOST_AUTO_TEST_CASE(round_trips_every_byte_at_every_length) {
  const std::string bytes = all_bytes();
  for (std::size_t length = 0; length <= bytes.size(); ++length) {
    BOOST_TEST_CONTEXT("length " << length) {
      // Rotate so that every byte value also appears at every position modulo 3.
      const std::string input = (bytes.substr(length % 3) + bytes).substr(0, length);
      BOOST_TEST(base64_decode(base64_encode(input)).value() == input);
      BOOST_TEST(base64url_decode(base64url_encode(input)).value() == input);
      BOOST_TEST(base64_encode(input).size() == (length + 2) / 3 * 4);
      BOOST_TEST(base64url_encode(input).find('=') == std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_CASE(embedded_nul_bytes_are_data) {
  const std::string input("\0juliet\0r0m30myr0m30", 20);
  BOOST_TEST(base64_encode(input) == "AGp1bGlldAByMG0zMG15cjBtMzA=");
  BOOST_TEST(base64_decode("AGp1bGlldAByMG0zMG15cjBtMzA=").value() == input);
}

BOOST_DATA_TEST_CASE(standard_decoder_rejects_non_canonical_input, data::make(rejected_standard),
                     text) {
  BOOST_TEST(!base64_decode(text).has_value());
}

BOOST_DATA_TEST_CASE(url_decoder_rejects_non_canonical_input, data::make(rejected_url), text) {
  BOOST_TEST(!base64url_decode(text).has_value());
}

BOOST_AUTO_TEST_CASE(rejects_nul_and_non_ascii_bytes) {
  BOOST_TEST(!base64_decode(std::string("Zm9\0", 4)).has_value());
  BOOST_TEST(!base64_decode("Zm9\x80").has_value());
  BOOST_TEST(!base64url_decode(std::string("Zm\0", 3)).has_value());
}

BOOST_AUTO_TEST_CASE(every_non_alphabet_byte_is_rejected) {
  const std::string standard_alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::string url_alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (int i = 0; i < 256; ++i) {
    const char c = static_cast<char>(i);
    BOOST_TEST_CONTEXT("byte " << i) {
      const std::string group = std::string("AA") + c + "A";
      BOOST_TEST(base64_decode(group).has_value() ==
                 (standard_alphabet.find(c) != std::string::npos));
      BOOST_TEST(base64url_decode(group).has_value() ==
                 (url_alphabet.find(c) != std::string::npos));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
