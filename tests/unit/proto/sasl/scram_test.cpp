#include "proto/common/base64.hpp"
#include "proto/sasl/scram.hpp"

#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <map>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <vector>

namespace sasl = boshmux::proto::sasl;
namespace data = boost::unit_test::data;
using boshmux::proto::base64_decode;
using boshmux::proto::base64_encode;
using sasl::failure_condition;
using sasl::hash_kind;
using kind = sasl::step::kind;

namespace {

/// Accounts with passwords; SCRAM credentials are derived on lookup. Records lookups.
class fake_store final : public sasl::credential_store {
public:
  std::optional<sasl::scram_credentials> scram_credentials_for(std::string_view username,
                                                               hash_kind h) override {
    lookups.emplace_back(username);
    if (const auto broken = broken_accounts.find(username); broken != broken_accounts.end()) {
      return broken->second;
    }
    const auto account = passwords.find(username);
    if (account == passwords.end()) {
      return std::nullopt;
    }
    return sasl::derive_scram_credentials(
        account->second, h == hash_kind::sha1 ? salt_sha1 : salt_sha256, iterations, h);
  }

  std::optional<std::string> verify_plain(std::string_view, std::string_view) override {
    return std::nullopt;
  }

  /// Password of each account, by prepared localpart.
  std::map<std::string, std::string, std::less<>> passwords{{"user", "pencil"},
                                                            {"a,b=c", "pencil"}};
  /// Accounts whose stored credentials are returned as given.
  std::map<std::string, sasl::scram_credentials, std::less<>> broken_accounts;
  /// The salts of RFC 5802 section 5 and RFC 7677 section 3.
  std::string salt_sha1 = *base64_decode("QSXCR+Q6sek8bf92");
  std::string salt_sha256 = *base64_decode("W22ZaJ0SNY7soEsUEjb6gQ==");
  unsigned iterations = 4096;
  /// Every username looked up, in order.
  std::vector<std::string> lookups;
};

/// A deterministic random source: byte k of call c is (c * 31 + k) modulo 256.
struct counting_random {
  std::string operator()(std::size_t count) {
    std::string out;
    for (std::size_t k = 0; k < count; ++k) {
      out += static_cast<char>((*calls * 31 + k) & 0xff);
    }
    ++*calls;
    return out;
  }
  std::shared_ptr<std::size_t> calls = std::make_shared<std::size_t>(0);
};

sasl::mechanism_options test_options() {
  sasl::mechanism_options options;
  options.random_bytes = counting_random{};
  options.scram_unknown_user_key = "0123456789abcdef0123456789abcdef";
  return options;
}

const EVP_MD* md(hash_kind h) {
  return h == hash_kind::sha1 ? EVP_sha1() : EVP_sha256();
}

std::string hmac(hash_kind h, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(md(h), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length);
  return {reinterpret_cast<const char*>(out), length};
}

std::string digest(hash_kind h, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), out, &length, md(h), nullptr);
  return {reinterpret_cast<const char*>(out), length};
}

/// The value of attribute `name` in a comma-separated SCRAM message ("" when absent).
std::string attribute(std::string_view message, char name) {
  std::size_t begin = 0;
  while (begin <= message.size()) {
    auto end = message.find(',', begin);
    if (end == std::string_view::npos) {
      end = message.size();
    }
    const auto part = message.substr(begin, end - begin);
    if (part.size() >= 2 && part[0] == name && part[1] == '=') {
      return std::string(part.substr(2));
    }
    begin = end + 1;
  }
  return {};
}

/// An independent SCRAM client (straight from RFC 5802 section 3, OpenSSL only).
struct scram_client {
  scram_client(hash_kind h, std::string pw, std::string gs2, std::string bare)
      : hash(h)
      , password(std::move(pw))
      , gs2_header(std::move(gs2))
      , first_bare(std::move(bare)) {}

  hash_kind hash;
  std::string password;
  std::string gs2_header;
  std::string first_bare;
  /// Extensions put between r= and p= of client-final, e.g. ",z=ext".
  std::string final_extensions;
  /// Set by final_message: what the server must answer.
  std::string expected_server_final;

  std::string first_message() const { return gs2_header + first_bare; }

  std::string final_message(std::string_view server_first) {
    const std::string salt = *base64_decode(attribute(server_first, 's'));
    const int iterations = std::stoi(attribute(server_first, 'i'));
    std::string salted(digest(hash, "").size(), '\0');
    PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                      reinterpret_cast<const unsigned char*>(salt.data()),
                      static_cast<int>(salt.size()), iterations, md(hash),
                      static_cast<int>(salted.size()),
                      reinterpret_cast<unsigned char*>(salted.data()));
    const std::string client_key = hmac(hash, salted, "Client Key");
    const std::string without_proof =
        "c=" + base64_encode(gs2_header) + ",r=" + attribute(server_first, 'r') + final_extensions;
    const std::string auth_message =
        first_bare + "," + std::string(server_first) + "," + without_proof;
    const std::string signature = hmac(hash, digest(hash, client_key), auth_message);
    std::string proof = client_key;
    for (std::size_t i = 0; i < proof.size(); ++i) {
      proof[i] = static_cast<char>(proof[i] ^ signature[i]);
    }
    expected_server_final =
        "v=" + base64_encode(hmac(hash, hmac(hash, salted, "Server Key"), auth_message));
    return without_proof + ",p=" + base64_encode(proof);
  }
};

/// A mechanism with its store, and helpers to run exchanges.
struct fixture {
  fake_store store;
  sasl::mechanism_options options = test_options();

  sasl::scram_mechanism make(hash_kind h = hash_kind::sha256) {
    return sasl::scram_mechanism(h, store, options);
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(scram)

BOOST_FIXTURE_TEST_CASE(sha1_exchange_matches_rfc5802_vector, fixture) {
  sasl::scram_mechanism m(hash_kind::sha1, store, options);
  m.set_server_nonce_for_test("3rfcNHYJY1ZVvWVs7j");
  const auto first = m.start("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
  BOOST_REQUIRE(first.what == kind::challenge);
  BOOST_TEST(first.data ==
             "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096");
  const auto last = m.next("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
                           "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
  BOOST_REQUIRE(last.what == kind::success);
  BOOST_TEST(last.data == "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=");
  BOOST_TEST(last.username == "user");
  BOOST_TEST(last.authzid == "");
  BOOST_TEST(store.lookups == std::vector<std::string>{"user"});
}

BOOST_FIXTURE_TEST_CASE(sha256_exchange_matches_rfc7677_vector, fixture) {
  sasl::scram_mechanism m(hash_kind::sha256, store, options);
  m.set_server_nonce_for_test("%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
  const auto first = m.start("n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  BOOST_REQUIRE(first.what == kind::challenge);
  BOOST_TEST(first.data == "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                           "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
  const auto last = m.next("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                           "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  BOOST_REQUIRE(last.what == kind::success);
  BOOST_TEST(last.data == "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
  BOOST_TEST(last.username == "user");
}

BOOST_FIXTURE_TEST_CASE(test_client_reproduces_the_vectors, fixture) {
  // Cross-checks the helper client used below against the published proof.
  scram_client client(hash_kind::sha1, "pencil", "n,,", "n=user,r=fyko+d2lbbFgONRv9qkxdawL");
  BOOST_TEST(client.final_message("r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
                                  "s=QSXCR+Q6sek8bf92,i=4096") ==
             "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
             "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
  BOOST_TEST(client.expected_server_final == "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=");
}

BOOST_FIXTURE_TEST_CASE(random_server_nonce_is_base64_of_18_bytes_after_client_nonce, fixture) {
  for (const hash_kind h : {hash_kind::sha1, hash_kind::sha256}) {
    auto m = make(h);
    scram_client client(h, "pencil", "n,,", "n=user,r=abcdef");
    const auto first = m.start(client.first_message());
    BOOST_REQUIRE(first.what == kind::challenge);
    const std::string nonce = attribute(first.data, 'r');
    BOOST_TEST(nonce.starts_with("abcdef"));
    const auto server_part = base64_decode(nonce.substr(6));
    BOOST_REQUIRE(server_part.has_value());
    BOOST_TEST(server_part->size() == sasl::scram_mechanism::server_nonce_bytes);
    const auto last = m.next(client.final_message(first.data));
    BOOST_REQUIRE(last.what == kind::success);
    BOOST_TEST(last.data == client.expected_server_final);
  }
}

BOOST_FIXTURE_TEST_CASE(each_exchange_draws_a_fresh_server_nonce, fixture) {
  auto a = make();
  auto b = make();
  BOOST_TEST(a.start("n,,n=user,r=abc").data != b.start("n,,n=user,r=abc").data);
}

BOOST_FIXTURE_TEST_CASE(no_initial_response_gets_an_empty_challenge_first, fixture) {
  auto m = make();
  const auto empty = m.start(std::nullopt);
  BOOST_REQUIRE(empty.what == kind::challenge);
  BOOST_TEST(empty.data == "");
  scram_client client(hash_kind::sha256, "pencil", "n,,", "n=user,r=xyz");
  const auto first = m.next(client.first_message());
  BOOST_REQUIRE(first.what == kind::challenge);
  const auto last = m.next(client.final_message(first.data));
  BOOST_REQUIRE(last.what == kind::success);
  BOOST_TEST(last.data == client.expected_server_final);
}

BOOST_FIXTURE_TEST_CASE(empty_initial_response_is_malformed, fixture) {
  auto m = make();
  const auto s = m.start(std::string_view());
  BOOST_TEST((s.what == kind::failure));
  BOOST_TEST((s.condition == failure_condition::malformed_request));
}

BOOST_FIXTURE_TEST_CASE(y_flag_is_accepted_and_bound_in_c, fixture) {
  auto m = make();
  scram_client client(hash_kind::sha256, "pencil", "y,,", "n=user,r=abc");
  const auto first = m.start(client.first_message());
  BOOST_REQUIRE(first.what == kind::challenge);
  const auto final_message = client.final_message(first.data);
  BOOST_TEST(final_message.starts_with("c=eSws,"));
  const auto last = m.next(final_message);
  BOOST_REQUIRE(last.what == kind::success);
  BOOST_TEST(last.data == client.expected_server_final);
}

BOOST_FIXTURE_TEST_CASE(channel_binding_request_is_malformed, fixture) {
  auto m = make();
  const auto s = m.start("p=tls-unique,,n=user,r=abc");
  BOOST_TEST((s.what == kind::failure));
  BOOST_TEST((s.condition == failure_condition::malformed_request));
  BOOST_TEST(store.lookups.empty());
}

BOOST_FIXTURE_TEST_CASE(wrong_password_fails_not_authorized_at_the_end, fixture) {
  auto m = make();
  scram_client client(hash_kind::sha256, "pencil!", "n,,", "n=user,r=abc");
  const auto first = m.start(client.first_message());
  BOOST_REQUIRE(first.what == kind::challenge);
  const auto last = m.next(client.final_message(first.data));
  BOOST_TEST((last.what == kind::failure));
  BOOST_TEST((last.condition == failure_condition::not_authorized));
  BOOST_TEST(last.data.empty());
}

BOOST_FIXTURE_TEST_CASE(flipped_proof_bit_fails_not_authorized, fixture) {
  sasl::scram_mechanism m(hash_kind::sha1, store, options);
  m.set_server_nonce_for_test("3rfcNHYJY1ZVvWVs7j");
  BOOST_REQUIRE(m.start("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL").what == kind::challenge);
  const auto last = m.next("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
                           "p=w0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
  BOOST_TEST((last.condition == failure_condition::not_authorized));
}

BOOST_FIXTURE_TEST_CASE(unknown_user_looks_like_a_real_one_until_the_end, fixture) {
  for (const hash_kind h : {hash_kind::sha1, hash_kind::sha256}) {
    // Real accounts in this store use 16-byte salts and 4096 iterations, as do the defaults
    // for unknown users.
    store.salt_sha1 = store.salt_sha256 = std::string(16, 's');
    auto known = make(h);
    auto unknown = make(h);
    scram_client good(h, "pencil", "n,,", "n=user,r=abc");
    scram_client stranger(h, "pencil", "n,,", "n=nobody,r=abc");
    const auto known_first = known.start(good.first_message());
    const auto unknown_first = unknown.start(stranger.first_message());
    BOOST_REQUIRE(known_first.what == kind::challenge);
    BOOST_REQUIRE(unknown_first.what == kind::challenge);
    BOOST_TEST(known_first.data.size() == unknown_first.data.size());
    BOOST_TEST(attribute(known_first.data, 'i') == attribute(unknown_first.data, 'i'));
    BOOST_TEST(attribute(known_first.data, 's').size() ==
               attribute(unknown_first.data, 's').size());
    BOOST_TEST(attribute(unknown_first.data, 's') != attribute(known_first.data, 's'));

    const auto unknown_last = unknown.next(stranger.final_message(unknown_first.data));
    BOOST_TEST((unknown_last.what == kind::failure));
    BOOST_TEST((unknown_last.condition == failure_condition::not_authorized));

    // A wrong password for the real account ends exactly the same way.
    auto wrong = make(h);
    scram_client guesser(h, "guess", "n,,", "n=user,r=abc");
    const auto wrong_first = wrong.start(guesser.first_message());
    const auto wrong_last = wrong.next(guesser.final_message(wrong_first.data));
    BOOST_TEST((wrong_last.what == unknown_last.what));
    BOOST_TEST((wrong_last.condition == unknown_last.condition));
    BOOST_TEST(wrong_last.data == unknown_last.data);
  }
}

BOOST_FIXTURE_TEST_CASE(unknown_user_salt_is_stable_per_name_and_keyed, fixture) {
  const auto salt_of = [&](std::string_view name, const sasl::mechanism_options& o,
                           hash_kind h = hash_kind::sha256) {
    sasl::scram_mechanism m(h, store, o);
    return attribute(m.start("n,,n=" + std::string(name) + ",r=abc").data, 's');
  };
  const std::string salt = salt_of("nobody", options);
  BOOST_TEST(base64_decode(salt)->size() == 16u);
  BOOST_TEST(salt_of("nobody", options) == salt);
  // Spellings that reach the same account get the same salt, as a real account would.
  BOOST_TEST(salt_of("NoBody", options) == salt);
  BOOST_TEST(salt_of("nobody", options, hash_kind::sha1) == salt);
  BOOST_TEST(salt_of("somebody", options) != salt);
  auto other_key = options;
  other_key.scram_unknown_user_key = "another process, another key....";
  BOOST_TEST(salt_of("nobody", other_key) != salt);
  auto shaped = options;
  shaped.scram_salt_bytes_for_unknown_users = 24;
  shaped.scram_iterations_for_unknown_users = 10000;
  sasl::scram_mechanism m(hash_kind::sha256, store, shaped);
  const auto first = m.start("n,,n=nobody,r=abc");
  BOOST_TEST(base64_decode(attribute(first.data, 's'))->size() == 24u);
  BOOST_TEST(attribute(first.data, 'i') == "10000");
}

BOOST_FIXTURE_TEST_CASE(username_that_cannot_be_an_account_fails_only_at_the_end, fixture) {
  // A space is prohibited by Nodeprep; a control character by SASLprep.
  for (const std::string name : {"us er", "us\x07"
                                          "er"}) {
    auto m = make();
    scram_client client(hash_kind::sha256, "pencil", "n,,", "n=" + name + ",r=abc");
    const auto first = m.start(client.first_message());
    BOOST_REQUIRE(first.what == kind::challenge);
    const auto last = m.next(client.final_message(first.data));
    BOOST_TEST((last.condition == failure_condition::not_authorized));
  }
  BOOST_TEST(store.lookups.empty());
}

BOOST_FIXTURE_TEST_CASE(username_is_prepared_before_lookup, fixture) {
  auto m = make();
  scram_client client(hash_kind::sha256, "pencil", "n,,", "n=USER,r=abc");
  const auto first = m.start(client.first_message());
  const auto last = m.next(client.final_message(first.data));
  BOOST_REQUIRE(last.what == kind::success);
  BOOST_TEST(last.username == "user");
  BOOST_TEST(store.lookups == std::vector<std::string>{"user"});
}

BOOST_FIXTURE_TEST_CASE(username_escapes_are_decoded, fixture) {
  auto m = make();
  scram_client client(hash_kind::sha256, "pencil", "n,,", "n=a=2Cb=3Dc,r=abc");
  const auto first = m.start(client.first_message());
  const auto last = m.next(client.final_message(first.data));
  BOOST_REQUIRE(last.what == kind::success);
  BOOST_TEST(last.username == "a,b=c");
  BOOST_TEST(store.lookups == std::vector<std::string>{"a,b=c"});
}

BOOST_FIXTURE_TEST_CASE(matching_authzid_is_reported, fixture) {
  auto m = make();
  scram_client client(hash_kind::sha256, "pencil", "n,a=User@Example.com,", "n=user,r=abc");
  const auto first = m.start(client.first_message());
  const auto last = m.next(client.final_message(first.data));
  BOOST_REQUIRE(last.what == kind::success);
  BOOST_TEST(last.username == "user");
  BOOST_TEST(last.authzid == "user@example.com");
}

BOOST_FIXTURE_TEST_CASE(escaped_authzid_is_decoded, fixture) {
  auto m = make();
  scram_client client(hash_kind::sha256, "pencil", "n,a=a=2Cb=3Dc@example.com,",
                      "n=a=2Cb=3Dc,r=abc");
  const auto first = m.start(client.first_message());
  const auto last = m.next(client.final_message(first.data));
  BOOST_REQUIRE(last.what == kind::success);
  BOOST_TEST(last.authzid == "a,b=c@example.com");
}

BOOST_FIXTURE_TEST_CASE(authzid_mismatch_fails_invalid_authzid_after_the_proof, fixture) {
  for (const std::string authzid :
       {"other@example.com", "user@example.com/res", "example.com", "user", "us er@example.com"}) {
    BOOST_TEST_CONTEXT(authzid) {
      auto m = make();
      scram_client client(hash_kind::sha256, "pencil", "n,a=" + authzid + ",", "n=user,r=abc");
      const auto first = m.start(client.first_message());
      BOOST_REQUIRE(first.what == kind::challenge);
      const auto last = m.next(client.final_message(first.data));
      BOOST_TEST((last.condition == failure_condition::invalid_authzid));
      // With a wrong password the proof fails first.
      auto guess = make();
      scram_client guesser(hash_kind::sha256, "guess", "n,a=" + authzid + ",", "n=user,r=abc");
      const auto guess_first = guess.start(guesser.first_message());
      const auto guess_last = guess.next(guesser.final_message(guess_first.data));
      BOOST_TEST((guess_last.condition == failure_condition::not_authorized));
    }
  }
}

BOOST_FIXTURE_TEST_CASE(extensions_are_ignored_but_authenticated, fixture) {
  auto m = make();
  scram_client client(hash_kind::sha256, "pencil", "n,,", "n=user,r=abc,x=1,Y=two");
  client.final_extensions = ",z=ext,q=a=b";
  const auto first = m.start(client.first_message());
  BOOST_REQUIRE(first.what == kind::challenge);
  const std::string final_message = client.final_message(first.data);
  const auto last = m.next(final_message);
  BOOST_REQUIRE(last.what == kind::success);
  BOOST_TEST(last.data == client.expected_server_final);

  // Extensions are part of AuthMessage: dropping one breaks the proof.
  auto again = make();
  scram_client other(hash_kind::sha256, "pencil", "n,,", "n=user,r=abc");
  other.final_extensions = ",z=ext";
  const auto other_first = again.start(other.first_message());
  std::string tampered = other.final_message(other_first.data);
  tampered.erase(tampered.find(",z=ext"), 6);
  BOOST_TEST((again.next(tampered).condition == failure_condition::not_authorized));
}

BOOST_FIXTURE_TEST_CASE(username_limit_is_255_bytes, fixture) {
  auto at_limit = make();
  BOOST_TEST((at_limit.start("n,,n=" + std::string(255, 'u') + ",r=abc").what == kind::challenge));
  // An escape counts as the one byte it decodes to.
  auto escaped = make();
  BOOST_TEST(
      (escaped.start("n,,n=" + std::string(254, 'u') + "=2C,r=abc").what == kind::challenge));
  auto over = make();
  const auto s = over.start("n,,n=" + std::string(256, 'u') + ",r=abc");
  BOOST_TEST((s.condition == failure_condition::malformed_request));
}

BOOST_FIXTURE_TEST_CASE(message_limit_is_4096_bytes, fixture) {
  const std::string head = "n,,n=user,r=";
  auto at_limit = make();
  BOOST_TEST((at_limit.start(head + std::string(4096 - head.size(), 'x')).what == kind::challenge));
  auto over = make();
  BOOST_TEST((over.start(head + std::string(4097 - head.size(), 'x')).condition ==
              failure_condition::malformed_request));

  auto final_over = make();
  const auto first = final_over.start("n,,n=user,r=abc");
  const std::string nonce = attribute(first.data, 'r');
  const std::string final_message = "c=biws,r=" + nonce + ",x=" + std::string(4096, 'x') +
                                    ",p=" + base64_encode(std::string(32, 'p'));
  BOOST_TEST((final_over.next(final_message).condition == failure_condition::malformed_request));
}

const char* const malformed_client_first[] = {
    "",
    "n",
    "n,",
    "n,,",
    "n,,n=user",
    "n,,n=user,",
    "n,,n=user,r=",
    "n,,n=,r=abc",
    "n,,r=abc,n=user",
    "n,,m=ext,n=user,r=abc",
    "n,,n=user,r=ab c",
    "n,,n=user,r=ab\x7f",
    "n,,n=user,r=ab\xc3\xa9",
    "n,,n=user,r=abc,",
    "n,,n=user,r=abc,,x=y",
    "n,,n=user,r=abc,1=x",
    "n,,n=user,r=abc,xx=y",
    "n,,n=user,r=abc,x=",
    "n,,n=user,r=abc,x",
    "x,,n=user,r=abc",
    "N,,n=user,r=abc",
    " n,,n=user,r=abc",
    "n ,,n=user,r=abc",
    "y,n=user,r=abc",
    "p=tls-unique,,n=user,r=abc",
    "p=tls-server-end-point,a=user@example.com,n=user,r=abc",
    "n,x,n=user,r=abc",
    "n,a=,n=user,r=abc",
    "n,a=x=41,n=user,r=abc",
    "n,,n=us=2cer,r=abc",
    "n,,n=us=3der,r=abc",
    "n,,n=us=41er,r=abc",
    "n,,n=user=,r=abc",
    "n,,n=user=2,r=abc",
    "n,,n=\xc0\xaf,r=abc",
    "n,,n=\xed\xa0\x80,r=abc",
    "n,,n=user\xc3,r=abc",
    "n,,N=user,r=abc",
    "n,,n=user,R=abc",
    "n,,n:user,r=abc",
};

BOOST_DATA_TEST_CASE(malformed_client_first_fails_malformed_request,
                     data::make(malformed_client_first), message) {
  fake_store store;
  sasl::scram_mechanism m(hash_kind::sha256, store, test_options());
  const auto s = m.start(message);
  BOOST_TEST((s.what == kind::failure));
  BOOST_TEST((s.condition == failure_condition::malformed_request));
}

BOOST_AUTO_TEST_CASE(nul_bytes_in_client_first_are_malformed) {
  for (const auto& message : std::vector<std::string>{
           std::string("n,,n=us\0er,r=abc", 16), std::string("n,,n=user,r=a\0c", 15),
           std::string("n,a=u\0@example.com,n=user,r=abc", 31),
           std::string("n,,n=user,r=abc,x=\0", 19)}) {
    fake_store store;
    sasl::scram_mechanism m(hash_kind::sha256, store, test_options());
    BOOST_TEST((m.start(message).condition == failure_condition::malformed_request));
  }
}

// Client-final variants for the RFC 5802 exchange; NONCE and PROOF stand for the correct
// values.
const char* const malformed_client_final[] = {
    "",
    "c=biws,r=NONCE",
    "c=biws,p=PROOF",
    "r=NONCE,c=biws,p=PROOF",
    "c=biws,r=NONCE,p=PROOF,x=y",
    "c=eSws,r=NONCE,p=PROOF",
    "c=biwsbiws,r=NONCE,p=PROOF",
    "c=biws=,r=NONCE,p=PROOF",
    "c=biw,r=NONCE,p=PROOF",
    "c=,r=NONCE,p=PROOF",
    "c=cCx0bHMtdW5pcXVlLCw=,r=NONCE,p=PROOF",
    "c=biws,r=NONCEx,p=PROOF",
    "c=biws,r=fyko+d2lbbFgONRv9qkxdawL,p=PROOF",
    "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7,p=PROOF",
    "c=biws,r=,p=PROOF",
    "c=biws,r=NONCE,p=",
    "c=biws,r=NONCE,p=AAAA",
    "c=biws,r=NONCE,p=PROOFAAAA",
    "c=biws,r=NONCE,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts",
    "c=biws,r=NONCE,p=v0X8v3Bz2T0CJGbJQyF0X-HI4Ts=",
    "c=biws,r=NONCE,,p=PROOF",
    "c=biws,r=NONCE,1=x,p=PROOF",
    "c=biws,r=NONCE,P=PROOF",
    "C=biws,r=NONCE,p=PROOF",
    "c=biws,,r=NONCE,p=PROOF",
    ",c=biws,r=NONCE,p=PROOF",
    "c=biws r=NONCE,p=PROOF",
};

BOOST_DATA_TEST_CASE(malformed_client_final_fails_malformed_request,
                     data::make(malformed_client_final), pattern) {
  fake_store store;
  sasl::scram_mechanism m(hash_kind::sha1, store, test_options());
  m.set_server_nonce_for_test("3rfcNHYJY1ZVvWVs7j");
  BOOST_REQUIRE(m.start("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL").what == kind::challenge);
  std::string message = pattern;
  const auto replace = [&](std::string_view what, std::string_view with) {
    if (const auto at = message.find(what); at != std::string::npos) {
      message.replace(at, what.size(), with);
    }
  };
  replace("NONCE", "fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j");
  replace("PROOF", "v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
  const auto s = m.next(message);
  BOOST_TEST((s.what == kind::failure));
  BOOST_TEST((s.condition == failure_condition::malformed_request));
}

BOOST_FIXTURE_TEST_CASE(malformed_client_final_is_malformed_for_unknown_users_too, fixture) {
  auto m = make(hash_kind::sha1);
  m.set_server_nonce_for_test("3rfcNHYJY1ZVvWVs7j");
  BOOST_REQUIRE(m.start("n,,n=nobody,r=fyko+d2lbbFgONRv9qkxdawL").what == kind::challenge);
  BOOST_TEST((m.next("c=eSws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
                     "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=")
                  .condition == failure_condition::malformed_request));
}

BOOST_FIXTURE_TEST_CASE(c_must_repeat_the_exact_gs2_header, fixture) {
  auto m = make();
  scram_client client(hash_kind::sha256, "pencil", "n,a=user@example.com,", "n=user,r=abc");
  const auto first = m.start(client.first_message());
  BOOST_REQUIRE(first.what == kind::challenge);
  // The client claims a header without the authzid.
  client.gs2_header = "n,,";
  BOOST_TEST(
      (m.next(client.final_message(first.data)).condition == failure_condition::malformed_request));
}

BOOST_FIXTURE_TEST_CASE(calls_after_the_end_fail_malformed_request, fixture) {
  sasl::scram_mechanism done(hash_kind::sha1, store, options);
  done.set_server_nonce_for_test("3rfcNHYJY1ZVvWVs7j");
  (void)done.start("n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL");
  const auto success = done.next("c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
                                 "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
  BOOST_REQUIRE(success.what == kind::success);
  BOOST_TEST((done.next("c=biws").condition == failure_condition::malformed_request));
  BOOST_TEST((done.next("").what == kind::failure));
  BOOST_TEST((done.start("n,,n=user,r=abc").condition == failure_condition::malformed_request));

  auto failed = make();
  BOOST_REQUIRE(failed.start("garbage").what == kind::failure);
  BOOST_TEST((failed.next("n,,n=user,r=abc").condition == failure_condition::malformed_request));

  auto not_started = make();
  BOOST_TEST(
      (not_started.next("n,,n=user,r=abc").condition == failure_condition::malformed_request));
  BOOST_TEST((not_started.start("n,,n=user,r=abc").what == kind::failure));

  auto twice = make();
  BOOST_REQUIRE(twice.start("n,,n=user,r=abc").what == kind::challenge);
  BOOST_TEST((twice.start("n,,n=user,r=abc").condition == failure_condition::malformed_request));
  BOOST_TEST((twice.next("c=biws").condition == failure_condition::malformed_request));
}

BOOST_FIXTURE_TEST_CASE(missing_or_short_randomness_is_a_temporary_failure, fixture) {
  options.random_bytes = nullptr;
  BOOST_TEST(
      (make().start("n,,n=user,r=abc").condition == failure_condition::temporary_auth_failure));
  options.random_bytes = [](std::size_t n) { return std::string(n - 1, 'x'); };
  BOOST_TEST(
      (make().start("n,,n=user,r=abc").condition == failure_condition::temporary_auth_failure));
}

BOOST_FIXTURE_TEST_CASE(unusable_stored_credentials_count_as_no_account, fixture) {
  auto good = sasl::derive_scram_credentials("pencil", "salt", 4096, hash_kind::sha256).value();
  auto short_key = good;
  short_key.stored_key.pop_back();
  auto no_iterations = good;
  no_iterations.iterations = 0;
  store.broken_accounts = {{"short", short_key}, {"zero", no_iterations}};
  for (const std::string name : {"short", "zero"}) {
    auto m = make();
    scram_client client(hash_kind::sha256, "pencil", "n,,", "n=" + name + ",r=abc");
    const auto first = m.start(client.first_message());
    BOOST_REQUIRE(first.what == kind::challenge);
    BOOST_TEST(attribute(first.data, 'i') == "4096");
    BOOST_TEST(
        (m.next(client.final_message(first.data)).condition == failure_condition::not_authorized));
  }
}

BOOST_AUTO_TEST_CASE(derive_applies_saslprep_and_checks_arguments) {
  const auto plain = sasl::derive_scram_credentials("IX", "salt", 4096, hash_kind::sha256);
  const auto mapped = sasl::derive_scram_credentials("I\xc2\xadX", "salt", 4096, hash_kind::sha256);
  BOOST_REQUIRE(plain.has_value());
  BOOST_REQUIRE(mapped.has_value());
  BOOST_TEST(plain->stored_key == mapped->stored_key);
  BOOST_TEST(plain->server_key == mapped->server_key);
  BOOST_TEST(plain->stored_key.size() == 32u);
  BOOST_TEST(plain->salt == "salt");
  BOOST_TEST(plain->iterations == 4096u);
  const auto sha1 = sasl::derive_scram_credentials("IX", "salt", 4096, hash_kind::sha1);
  BOOST_TEST(sha1->stored_key.size() == 20u);
  BOOST_TEST(sha1->server_key.size() == 20u);
  BOOST_TEST(!sasl::derive_scram_credentials("a\x07", "salt", 4096, hash_kind::sha1));
  BOOST_TEST(!sasl::derive_scram_credentials("pencil", "salt", 0, hash_kind::sha1));
  BOOST_TEST(
      !sasl::derive_scram_credentials("pencil", "salt", 1u + INT_MAX, hash_kind::sha1).has_value());
  BOOST_TEST(sasl::derive_scram_credentials("", "salt", 1, hash_kind::sha1).has_value());
}

BOOST_AUTO_TEST_CASE(derive_matches_rfc5802_stored_values) {
  // StoredKey/ServerKey recomputed from the published SaltedPassword of the RFC 5802
  // example (HMAC-SHA-1 PBKDF2 of "pencil" with salt QSXCR+Q6sek8bf92, 4096 iterations).
  const auto creds = sasl::derive_scram_credentials("pencil", *base64_decode("QSXCR+Q6sek8bf92"),
                                                    4096, hash_kind::sha1);
  BOOST_REQUIRE(creds.has_value());
  scram_client client(hash_kind::sha1, "pencil", "n,,", "n=user,r=x");
  (void)client.final_message("r=xy,s=QSXCR+Q6sek8bf92,i=4096");
  // The independent client and derive agree on ServerKey through ServerSignature.
  const std::string auth = "n=user,r=x,r=xy,s=QSXCR+Q6sek8bf92,i=4096,c=biws,r=xy";
  BOOST_TEST(client.expected_server_final ==
             "v=" + base64_encode(hmac(hash_kind::sha1, creds->server_key, auth)));
}

BOOST_AUTO_TEST_SUITE_END()
