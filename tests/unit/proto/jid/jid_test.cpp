#include "proto/jid/jid.hpp"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <cstring>
#include <optional>
#include <random>
#include <stringprep.h>

namespace jid = boshmux::proto::jid;
namespace data = boost::unit_test::data;

namespace {

struct valid_vector {
  std::string input;
  std::string local;
  std::string domain;
  std::string resource;
};
std::ostream& operator<<(std::ostream& os, const valid_vector& v) {
  return os << v.input;
}

const valid_vector valid_vectors[] = {
    {"juliet@example.com", "juliet", "example.com", ""},
    {"example.com", "", "example.com", ""},
    {"example.com/orchard", "", "example.com", "orchard"},
    {"juliet@example.com/balcony", "juliet", "example.com", "balcony"},
    // Case folding of local and domain; the resource keeps its case.
    {"Juliet@Example.COM/Balcony", "juliet", "example.com", "Balcony"},
    {"JULIET@EXAMPLE.COM", "juliet", "example.com", ""},
    // Everything after the first '/' is the resource, '@' and '/' included.
    {"juliet@example.com/foo@bar/baz", "juliet", "example.com", "foo@bar/baz"},
    {"example.com/user@host", "", "example.com", "user@host"},
    // Resourceprep allows ASCII space and keeps it.
    {"juliet@example.com/a b c", "juliet", "example.com", "a b c"},
    // One trailing dot is removed from the domain.
    {"juliet@example.com.", "juliet", "example.com", ""},
    {"example.com./r", "", "example.com", "r"},
    // Nodeprep: B.2 case folding ("ß" -> "ss"), NFKC (fullwidth letters), B.1 deletion
    // (soft hyphen).
    {"Stra\xc3\x9f"
     "e@example.com",
     "strasse", "example.com", ""},
    {"\xef\xbc\xaa\xef\xbc\xb5\xef\xbc\xac\xef\xbc\xa9\xef\xbc\xa5\xef\xbc\xb4@example.com",
     "juliet", "example.com", ""},
    {"ju\xc2\xadliet@example.com", "juliet", "example.com", ""},
    {"CAF\xc3\x89@example.com", "caf\xc3\xa9", "example.com", ""},
    // Characters nodeprep allows that look odd: ',', '=', '+', '!', '#'.
    {"a,b=c+d!e#f@example.com", "a,b=c+d!e#f", "example.com", ""},
    // Nameprep of the domain: lower case of non-ASCII, IDNA label separators.
    {"juliet@CAF\xc3\x89.example", "juliet", "caf\xc3\xa9.example", ""},
    {"juliet@xn--caf-dma.example", "juliet", "xn--caf-dma.example", ""},
    {"juliet@example\xe3\x80\x82"
     "com",
     "juliet", "example.com", ""},
    {"juliet@example\xef\xbc\x8e"
     "com",
     "juliet", "example.com", ""},
    {"juliet@example\xef\xbd\xa1"
     "com",
     "juliet", "example.com", ""},
    // Resourceprep: NFKC and B.1 deletion, but no case folding.
    {"example.com/\xef\xbc\xa1"
     "b",
     "", "example.com", "Ab"},
    {"example.com/B\xc2\xad"
     "alcony",
     "", "example.com", "Balcony"},
    {"example.com/\xe2\x99\x9a", "", "example.com", "\xe2\x99\x9a"},
    // IP literals.
    {"juliet@127.0.0.1/r", "juliet", "127.0.0.1", "r"},
    {"juliet@[::1]/r", "juliet", "[::1]", "r"},
    {"[2001:DB8::1]", "", "[2001:db8::1]", ""},
    // Hyphens inside labels, digits, single-label hosts.
    {"a@my-host.example-1.org", "a", "my-host.example-1.org", ""},
    {"localhost", "", "localhost", ""},
};

struct invalid_vector {
  std::string input;
  jid::error expected;
};
std::ostream& operator<<(std::ostream& os, const invalid_vector& v) {
  return os << v.input;
}

const invalid_vector invalid_vectors[] = {
    {"", jid::error::domain_missing},
    {"/resource", jid::error::domain_missing},
    {"juliet@", jid::error::domain_missing},
    {"juliet@/r", jid::error::domain_missing},
    {"@", jid::error::local_empty},
    {"@example.com", jid::error::local_empty},
    {"\xc2\xad@example.com", jid::error::local_empty},
    {"example.com/", jid::error::resource_empty},
    {"juliet@example.com/", jid::error::resource_empty},
    {"example.com/\xc2\xad", jid::error::resource_empty},
    // Nodeprep prohibits space and " & ' : < > (A.5 of RFC 3920), controls, and more.
    {"ju liet@example.com", jid::error::local_invalid},
    {"ju\"liet@example.com", jid::error::local_invalid},
    {"ju&liet@example.com", jid::error::local_invalid},
    {"ju'liet@example.com", jid::error::local_invalid},
    {"ju:liet@example.com", jid::error::local_invalid},
    {"ju<liet@example.com", jid::error::local_invalid},
    {"ju>liet@example.com", jid::error::local_invalid},
    {"ju\x01liet@example.com", jid::error::local_invalid},
    {"ju\x7fliet@example.com", jid::error::local_invalid},
    {"ju\xc2\xa0liet@example.com", jid::error::local_invalid},     // U+00A0 non-ASCII space
    {"ju\xee\x80\x80liet@example.com", jid::error::local_invalid}, // U+E000 private use
    {"ju\xef\xbf\xbfliet@example.com", jid::error::local_invalid}, // U+FFFF non-character
    {std::string("ju\0liet@example.com", 19), jid::error::local_invalid},
    // Invalid UTF-8: overlong '/', lone continuation, surrogate, truncated, above U+10FFFF.
    {"\xc0\xaf@example.com", jid::error::local_invalid},
    {"\x80@example.com", jid::error::local_invalid},
    {"\xed\xa0\x80@example.com", jid::error::local_invalid},
    {"\xe2\x82@example.com", jid::error::local_invalid},
    {"\xf4\x90\x80\x80@example.com", jid::error::local_invalid},
    // Bidi rule: right-to-left and left-to-right characters mixed.
    {"\xd7\x90"
     "a@example.com",
     jid::error::local_invalid},
    // Domain: not a host name under IDNA with the STD3 ASCII rules.
    {"juliet@exa mple.com", jid::error::domain_invalid},
    {"juliet@exa_mple.com", jid::error::domain_invalid},
    {"juliet@example..com", jid::error::domain_invalid},
    {"juliet@.example.com", jid::error::domain_invalid},
    {"juliet@example.com..", jid::error::domain_invalid},
    {"juliet@.", jid::error::domain_invalid},
    {"juliet@-example.com", jid::error::domain_invalid},
    {"juliet@example-.com", jid::error::domain_invalid},
    {"juliet@romeo@example.com", jid::error::domain_invalid},
    {"juliet@exa<mple.com", jid::error::domain_invalid},
    {"juliet@" + std::string(64, 'a') + ".com", jid::error::domain_invalid},
    {"juliet@exa\x01mple.com", jid::error::domain_invalid},
    {"juliet@\xc0\xaf.com", jid::error::domain_invalid},
    {"juliet@[::1", jid::error::domain_invalid},
    {"juliet@[]", jid::error::domain_invalid},
    {"juliet@[example.com]", jid::error::domain_invalid},
    {"juliet@[127.0.0.1]", jid::error::domain_invalid},
    {std::string("juliet@exa\0mple.com", 19), jid::error::domain_invalid},
    // Resourceprep prohibits controls, non-ASCII spaces, non-characters, invalid UTF-8.
    {"example.com/a\x07", jid::error::resource_invalid},
    {"example.com/a\xe2\x80\xa8"
     "b",
     jid::error::resource_invalid}, // U+2028
    {"example.com/a\xe2\x80\x8e"
     "b",
     jid::error::resource_invalid}, // U+200E
    {"example.com/\xef\xbf\xbe", jid::error::resource_invalid},
    {"example.com/\xc3", jid::error::resource_invalid},
    {std::string("example.com/a\0b", 15), jid::error::resource_invalid},
};

/// A valid host name of exactly `length` bytes (labels of at most 63 bytes).
std::string domain_of_length(std::size_t length) {
  std::string out;
  while (length - out.size() > 63) {
    out += std::string(62, 'd') + '.';
  }
  out += std::string(length - out.size(), 'e');
  return out;
}

/// A UTF-8 string of `count` copies of `unit`.
std::string repeat(std::string_view unit, std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    out += unit;
  }
  return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(jid_parse)

BOOST_DATA_TEST_CASE(prepares_valid_jids, data::make(valid_vectors), v) {
  std::error_code ec = jid::error::domain_invalid;
  const auto parsed = jid::parse_jid(v.input, ec);
  BOOST_TEST(!ec);
  BOOST_REQUIRE(parsed.has_value());
  BOOST_TEST(parsed->local == v.local);
  BOOST_TEST(parsed->domain == v.domain);
  BOOST_TEST(parsed->resource == v.resource);
}

BOOST_DATA_TEST_CASE(rejects_invalid_jids_with_reason, data::make(invalid_vectors), v) {
  std::error_code ec;
  const auto parsed = jid::parse_jid(v.input, ec);
  BOOST_TEST(!parsed.has_value());
  BOOST_TEST(ec == make_error_code(v.expected), ec.message());
}

BOOST_DATA_TEST_CASE(prepared_jids_are_fixed_points, data::make(valid_vectors), v) {
  std::error_code ec;
  const auto once = jid::parse_jid(v.input, ec);
  BOOST_REQUIRE(once.has_value());
  const auto twice = jid::parse_jid(once->full(), ec);
  BOOST_REQUIRE(twice.has_value());
  BOOST_TEST(once->full() == twice->full());
  BOOST_TEST((*once == *twice));
}

BOOST_AUTO_TEST_CASE(bare_full_and_is_bare) {
  std::error_code ec;
  const auto full = jid::parse_jid("Juliet@Example.com/Balcony", ec).value();
  BOOST_TEST(full.bare() == "juliet@example.com");
  BOOST_TEST(full.full() == "juliet@example.com/Balcony");
  BOOST_TEST(!full.is_bare());
  const auto bare = jid::parse_jid("juliet@example.com", ec).value();
  BOOST_TEST(bare.bare() == "juliet@example.com");
  BOOST_TEST(bare.full() == "juliet@example.com");
  BOOST_TEST(bare.is_bare());
  const auto domain = jid::parse_jid("example.com/r", ec).value();
  BOOST_TEST(domain.bare() == "example.com");
  BOOST_TEST(domain.full() == "example.com/r");
}

BOOST_AUTO_TEST_CASE(success_clears_a_previous_error) {
  std::error_code ec = jid::error::local_invalid;
  BOOST_TEST(jid::parse_jid("a@b", ec).has_value());
  BOOST_TEST(!ec);
}

BOOST_AUTO_TEST_CASE(localpart_limit_is_1023_bytes) {
  std::error_code ec;
  BOOST_TEST(jid::parse_jid(std::string(1022, 'a') + "@example.com", ec).has_value());
  BOOST_TEST(jid::parse_jid(std::string(1023, 'a') + "@example.com", ec).has_value());
  BOOST_TEST(!jid::parse_jid(std::string(1024, 'a') + "@example.com", ec).has_value());
  BOOST_TEST(ec == jid::error::local_too_long);
}

BOOST_AUTO_TEST_CASE(resourcepart_limit_is_1023_bytes) {
  std::error_code ec;
  BOOST_TEST(jid::parse_jid("example.com/" + std::string(1022, 'r'), ec).has_value());
  BOOST_TEST(jid::parse_jid("example.com/" + std::string(1023, 'r'), ec).has_value());
  BOOST_TEST(!jid::parse_jid("example.com/" + std::string(1024, 'r'), ec).has_value());
  BOOST_TEST(ec == jid::error::resource_too_long);
}

BOOST_AUTO_TEST_CASE(domainpart_limit_is_1023_bytes) {
  std::error_code ec;
  BOOST_TEST(domain_of_length(1023).size() == 1023u);
  BOOST_TEST(jid::parse_jid("a@" + domain_of_length(1022), ec).has_value());
  BOOST_TEST(jid::parse_jid("a@" + domain_of_length(1023), ec).has_value());
  BOOST_TEST(!jid::parse_jid("a@" + domain_of_length(1024), ec).has_value());
  BOOST_TEST(ec == jid::error::domain_too_long);
  // The trailing dot does not count: it is removed before the limit applies.
  const auto dotted = jid::parse_jid("a@" + domain_of_length(1023) + ".", ec);
  BOOST_REQUIRE(dotted.has_value());
  BOOST_TEST(dotted->domain == domain_of_length(1023));
}

BOOST_AUTO_TEST_CASE(limits_count_bytes_after_preparation) {
  std::error_code ec;
  // Two-byte characters: the limit is in bytes, not characters.
  BOOST_TEST(jid::parse_jid("example.com/" + std::string(1021, 'r') + "\xc3\xa9", ec).has_value());
  BOOST_TEST(!jid::parse_jid("example.com/" + std::string(1022, 'r') + "\xc3\xa9", ec).has_value());
  BOOST_TEST(ec == jid::error::resource_too_long);
  // "ß" (2 bytes) becomes "ss" (2 bytes); "ﬀ" U+FB00 (3 bytes) becomes "ff" (2 bytes).
  BOOST_TEST(jid::parse_jid(repeat("\xc3\x9f", 511) + "a@example.com", ec).has_value());
  BOOST_TEST(!jid::parse_jid(repeat("\xc3\x9f", 512) + "@example.com", ec).has_value());
  BOOST_TEST(ec == jid::error::local_too_long);
  const auto shrunk = jid::parse_jid(repeat("\xef\xac\x80", 511) + "a@example.com", ec);
  BOOST_REQUIRE(shrunk.has_value());
  BOOST_TEST(shrunk->local.size() == 1023u);
  // Deleted characters do not count either: 1023 letters and 100 soft hyphens pass.
  BOOST_TEST(jid::parse_jid(std::string(1023, 'a') + repeat("\xc2\xad", 100) + "@example.com", ec)
                 .has_value());
}

BOOST_AUTO_TEST_CASE(inputs_beyond_the_preparation_bound_are_too_long) {
  std::error_code ec;
  // Soft hyphens are deleted by Nodeprep, so only the input bound can stop this input.
  const std::string at_bound = repeat("\xc2\xad", jid::max_prep_input_bytes / 2 - 1) + "ab";
  BOOST_TEST(at_bound.size() == jid::max_prep_input_bytes);
  const auto parsed = jid::parse_jid(at_bound + "@example.com", ec);
  BOOST_REQUIRE(parsed.has_value());
  BOOST_TEST(parsed->local == "ab");
  BOOST_TEST(!jid::parse_jid(at_bound + "c@example.com", ec).has_value());
  BOOST_TEST(ec == jid::error::local_too_long);
}

BOOST_AUTO_TEST_CASE(stored_mode_rejects_unassigned_code_points) {
  // U+0221 was unassigned in Unicode 3.2 (RFC 3454 table A.1).
  std::error_code ec;
  BOOST_TEST(jid::parse_jid("\xc8\xa1@example.com", ec, jid::prep_mode::query).has_value());
  BOOST_TEST(!jid::parse_jid("\xc8\xa1@example.com", ec, jid::prep_mode::stored).has_value());
  BOOST_TEST(ec == jid::error::local_invalid);
  BOOST_TEST(!jid::parse_jid("example.com/\xc8\xa1", ec, jid::prep_mode::stored).has_value());
  BOOST_TEST(ec == jid::error::resource_invalid);
  BOOST_TEST(jid::parse_jid("example.com/\xc8\xa1", ec, jid::prep_mode::query).has_value());
  BOOST_TEST(jid::nodeprep("\xc8\xa1").has_value());
  BOOST_TEST(!jid::nodeprep("\xc8\xa1", jid::prep_mode::stored).has_value());
}

BOOST_AUTO_TEST_CASE(error_category_names_every_error) {
  const std::error_code ec = jid::error::local_invalid;
  BOOST_TEST(ec.category().name() == std::string("boshmux.jid"));
  for (int e = static_cast<int>(jid::error::domain_missing);
       e <= static_cast<int>(jid::error::resource_too_long); ++e) {
    const std::string message = jid::error_category().message(e);
    BOOST_TEST(!message.empty());
    BOOST_TEST(message.find("unknown") == std::string::npos);
  }
  BOOST_TEST(jid::error_category().message(0) == "unknown boshmux.jid error");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(jid_profiles)

BOOST_AUTO_TEST_CASE(nodeprep_folds_case_and_rejects_prohibited) {
  BOOST_TEST(jid::nodeprep("JuLiEt").value() == "juliet");
  BOOST_TEST(jid::nodeprep("").value() == "");
  BOOST_TEST(!jid::nodeprep("a@b").has_value());
  BOOST_TEST(!jid::nodeprep("a/b").has_value());
  BOOST_TEST(!jid::nodeprep("a b").has_value());
  BOOST_TEST(jid::nodeprep(std::string(1023, 'a')).has_value());
  BOOST_TEST(!jid::nodeprep(std::string(1024, 'a')).has_value());
}

BOOST_AUTO_TEST_CASE(resourceprep_keeps_case_and_allows_at_and_slash) {
  BOOST_TEST(jid::resourceprep("Home/Office@Work").value() == "Home/Office@Work");
  BOOST_TEST(jid::resourceprep("a b").value() == "a b");
  BOOST_TEST(!jid::resourceprep("a\tb").has_value());
}

BOOST_AUTO_TEST_CASE(nameprep_is_the_profile_only) {
  BOOST_TEST(jid::nameprep("EXAMPLE.Com").value() == "example.com");
  BOOST_TEST(jid::nameprep("example.com.").value() == "example.com.");
  BOOST_TEST(jid::nameprep("CAF\xc3\x89").value() == "caf\xc3\xa9");
  // NFKC turns U+00A0 into an ASCII space, which the profile itself allows.
  BOOST_TEST(jid::nameprep("a\xc2\xa0"
                           "b")
                 .value() == "a b");
  BOOST_TEST(!jid::nameprep("a\xe2\x80\xa8"
                            "b")
                  .has_value());
}

// RFC 4013 section 3 examples, plus mapping of non-ASCII space to ASCII space.
BOOST_AUTO_TEST_CASE(saslprep_follows_rfc4013_examples) {
  BOOST_TEST(jid::saslprep("I\xc2\xadX").value() == "IX");
  BOOST_TEST(jid::saslprep("user").value() == "user");
  BOOST_TEST(jid::saslprep("USER").value() == "USER");
  BOOST_TEST(jid::saslprep("\xc2\xaa").value() == "a");
  BOOST_TEST(jid::saslprep("\xe2\x85\xa8").value() == "IX");
  BOOST_TEST(!jid::saslprep("\x07").has_value());
  BOOST_TEST(!jid::saslprep("\xd8\xa7"
                            "1")
                  .has_value());
  BOOST_TEST(jid::saslprep("a\xc2\xa0"
                           "b")
                 .value() == "a b");
  BOOST_TEST(jid::saslprep("").value() == "");
  BOOST_TEST(!jid::saslprep(std::string("a\0b", 3)).has_value());
  BOOST_TEST(!jid::saslprep("\xc0\xaf").has_value());
  BOOST_TEST(jid::saslprep("\xc8\xa1").has_value());
  BOOST_TEST(!jid::saslprep("\xc8\xa1", jid::prep_mode::stored).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

// The ASCII fast path of the three profiles must agree with libidn exactly: every ASCII string
// of up to two characters, and random longer ones, through each profile, compared with
// libidn's own stringprep().
namespace {

std::optional<std::string> libidn(const std::string& in, const Stringprep_profile* profile) {
  std::string buffer(in.size() + 64, '\0');
  in.copy(buffer.data(), in.size());
  if (stringprep(buffer.data(), buffer.size(), Stringprep_profile_flags{}, profile) !=
      STRINGPREP_OK) {
    return std::nullopt;
  }
  buffer.resize(std::strlen(buffer.c_str()));
  return buffer;
}

void agree(const std::string& in) {
  BOOST_TEST_CONTEXT("input \"" << in << "\"") {
    BOOST_TEST((jid::nodeprep(in) == libidn(in, stringprep_xmpp_nodeprep)));
    BOOST_TEST((jid::resourceprep(in) == libidn(in, stringprep_xmpp_resourceprep)));
    BOOST_TEST((jid::nameprep(in) == libidn(in, stringprep_nameprep)));
  }
}

} // namespace

BOOST_AUTO_TEST_CASE(ascii_fast_path_agrees_with_libidn) {
  for (int a = 1; a < 128; ++a) {
    agree(std::string(1, static_cast<char>(a)));
    for (int b = 1; b < 128; ++b) {
      agree(std::string{static_cast<char>(a), static_cast<char>(b)});
    }
  }
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> byte(1, 127);
  std::uniform_int_distribution<int> length(3, 40);
  for (int i = 0; i < 20000; ++i) {
    std::string s(static_cast<std::size_t>(length(rng)), ' ');
    for (char& c : s) {
      c = static_cast<char>(byte(rng));
    }
    agree(s);
  }
}
