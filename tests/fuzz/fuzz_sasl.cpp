// Fuzz target: the SASL server mechanisms of proto/sasl (PLAIN, SCRAM-SHA-1, SCRAM-SHA-256,
// ANONYMOUS), fed fuzzed client messages.
//
// Input: byte 0 picks the mechanism and how the exchange runs; then the client messages,
// separated by '\n' (client-first, client-final; PLAIN and ANONYMOUS take everything else as
// their one message). For SCRAM, a mode computes the correct ClientProof for the fuzzed
// client-final (as a real client knowing the password would), so that the code after the
// proof check is reached too.
// Invariants: an exchange ends within its steps; success only with the right password (a
// fuzzed proof never succeeds); a success names the account and a valid authzid; SCRAM's
// server-first extends the client nonce and v= is the true ServerSignature; every call after
// the end fails with malformed-request.

#include "proto/common/base64.hpp"
#include "proto/sasl/mechanism.hpp"
#include "proto/sasl/scram.hpp"
#include "tests/fuzz/fuzz_input.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <optional>
#include <string>
#include <string_view>

namespace {

using boshmux::fuzz::input_reader;
namespace sasl = boshmux::proto::sasl;
using sasl::hash_kind;
using kind = sasl::step::kind;

const EVP_MD* md(hash_kind h) {
  return h == hash_kind::sha1 ? EVP_sha1() : EVP_sha256();
}

std::string hmac(hash_kind h, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned length = 0;
  HMAC(md(h), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &length);
  return {reinterpret_cast<const char*>(out), length};
}

std::string digest(hash_kind h, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned length = 0;
  EVP_Digest(data.data(), data.size(), out, &length, md(h), nullptr);
  return {reinterpret_cast<const char*>(out), length};
}

/// The password of every account, and the salt (RFC 5802 section 5's) and iteration count.
constexpr std::string_view password = "pencil";
constexpr unsigned iterations = 4096;

/// SaltedPassword of `password` for `h`, computed once.
const std::string& salted_password(hash_kind h) {
  static const auto compute = [](hash_kind k) {
    const std::string salt = *boshmux::proto::base64_decode("QSXCR+Q6sek8bf92");
    unsigned char out[EVP_MAX_MD_SIZE];
    const auto size = EVP_MD_get_size(md(k));
    PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                      reinterpret_cast<const unsigned char*>(salt.data()),
                      static_cast<int>(salt.size()), static_cast<int>(iterations), md(k), size,
                      out);
    return std::string(reinterpret_cast<const char*>(out), static_cast<std::size_t>(size));
  };
  static const std::string sha1 = compute(hash_kind::sha1);
  static const std::string sha256 = compute(hash_kind::sha256);
  return h == hash_kind::sha1 ? sha1 : sha256;
}

/// Two accounts, "user" and "a,b=c" (a name that needs SCRAM's escapes), password "pencil".
class fuzz_store final : public sasl::credential_store {
public:
  std::optional<sasl::scram_credentials> scram_credentials_for(std::string_view username,
                                                               hash_kind h) override {
    if (!is_account(username)) {
      return std::nullopt;
    }
    const auto& salted = salted_password(h);
    sasl::scram_credentials c;
    c.salt = *boshmux::proto::base64_decode("QSXCR+Q6sek8bf92");
    c.iterations = iterations;
    c.stored_key = digest(h, hmac(h, salted, "Client Key"));
    c.server_key = hmac(h, salted, "Server Key");
    return c;
  }

  std::optional<std::string> verify_plain(std::string_view authcid,
                                          std::string_view pass) override {
    if (is_account(authcid) && pass == password) {
      return std::string(authcid);
    }
    return std::nullopt;
  }

  static bool is_account(std::string_view name) { return name == "user" || name == "a,b=c"; }
};

sasl::mechanism_options options() {
  sasl::mechanism_options o;
  o.anonymous = true;
  o.random_bytes = [](std::size_t n) { return std::string(n, 'r'); };
  o.scram_unknown_user_key = std::string(32, 'k');
  return o;
}

/// A success is for an account, with an authzid that is empty or that account's bare JID.
void check_success(const sasl::step& s) {
  BOSHMUX_FUZZ_CHECK(fuzz_store::is_account(s.username), "success for a non-account");
  if (!s.authzid.empty()) {
    const auto at = s.authzid.find('@');
    BOSHMUX_FUZZ_CHECK(at != std::string::npos && s.authzid.substr(0, at) == s.username,
                       "authzid of another user");
  }
}

/// Every call after the end fails with malformed-request.
void check_done(sasl::mechanism& m) {
  const auto s = m.next("x");
  BOSHMUX_FUZZ_CHECK(s.what == kind::failure &&
                         s.condition == sasl::failure_condition::malformed_request,
                     "a finished exchange accepts more");
  const auto t = m.start(std::string_view("x"));
  BOSHMUX_FUZZ_CHECK(t.what == kind::failure, "a finished exchange starts again");
}

void run_plain(input_reader& in, fuzz_store& store, const sasl::mechanism_options& o) {
  auto m = sasl::make_mechanism("PLAIN", store, o);
  BOSHMUX_FUZZ_CHECK(m != nullptr, "PLAIN missing");
  const bool initial = in.flag();
  const std::string message(in.rest());
  sasl::step s;
  if (initial) {
    s = m->start(std::string_view(message));
  } else {
    const auto c = m->start(std::nullopt);
    BOSHMUX_FUZZ_CHECK(c.what == kind::challenge && c.data.empty(), "PLAIN: no empty challenge");
    s = m->next(message);
  }
  BOSHMUX_FUZZ_CHECK(s.what != kind::challenge, "PLAIN: a second challenge");
  BOSHMUX_FUZZ_CHECK(message != std::string_view("\0user\0pencil", 12) || s.what == kind::success,
                     "PLAIN: a correct client refused");
  if (s.what == kind::success) {
    check_success(s);
    BOSHMUX_FUZZ_CHECK(s.data.empty(), "PLAIN: success data");
    BOSHMUX_FUZZ_CHECK(message.find(password) != std::string::npos, "PLAIN: no password");
  }
  check_done(*m);
}

void run_anonymous(input_reader& in, fuzz_store& store, const sasl::mechanism_options& o) {
  auto m = sasl::make_mechanism("ANONYMOUS", store, o);
  BOSHMUX_FUZZ_CHECK(m != nullptr, "ANONYMOUS missing");
  const std::string message(in.rest());
  const auto s = m->start(std::string_view(message));
  if (s.what == kind::success) {
    BOSHMUX_FUZZ_CHECK(!s.username.empty() && !fuzz_store::is_account(s.username),
                       "ANONYMOUS: bad user");
  }
  check_done(*m);
}

void run_scram(input_reader& in, fuzz_store& store, const sasl::mechanism_options& o, hash_kind h) {
  auto m = sasl::make_mechanism(sasl::scram_mechanism_name(h), store, o);
  BOSHMUX_FUZZ_CHECK(m != nullptr, "SCRAM missing");
  const auto flags = in.byte();
  const bool initial = (flags & 1U) != 0;
  const bool compute_proof = (flags & 2U) != 0;
  const std::string first(in.until("\n"));
  const std::string final_message(in.rest());

  sasl::step s;
  if (initial) {
    s = m->start(std::string_view(first));
  } else {
    const auto c = m->start(std::nullopt);
    BOSHMUX_FUZZ_CHECK(c.what == kind::challenge && c.data.empty(), "SCRAM: no empty challenge");
    s = m->next(first);
  }
  BOSHMUX_FUZZ_CHECK(s.what != kind::success, "SCRAM: success after client-first");
  if (s.what == kind::failure) {
    check_done(*m);
    return;
  }
  // server-first = r=<client nonce><server nonce>,s=<salt>,i=<count>
  const std::string server_first = s.data;
  BOSHMUX_FUZZ_CHECK(server_first.starts_with("r="), "SCRAM: server-first without r=");
  const auto cnonce_at = first.find(",r=");
  BOSHMUX_FUZZ_CHECK(cnonce_at != std::string::npos, "SCRAM: accepted client-first without r=");
  const auto s_at = server_first.find(",s=");
  BOSHMUX_FUZZ_CHECK(s_at != std::string::npos && server_first.find(",i=") != std::string::npos,
                     "SCRAM: server-first without s= or i=");
  const std::string nonce = server_first.substr(2, s_at - 2);
  const auto cnonce_end = first.find(',', cnonce_at + 3);
  const std::string cnonce =
      first.substr(cnonce_at + 3, cnonce_end == std::string::npos ? std::string::npos
                                                                  : cnonce_end - cnonce_at - 3);
  BOSHMUX_FUZZ_CHECK(nonce.starts_with(cnonce) && nonce.size() > cnonce.size(),
                     "SCRAM: server nonce does not extend the client nonce");

  // client-first-message-bare: after the gs2 header (two commas in).
  const auto comma1 = first.find(',');
  const auto comma2 = first.find(',', comma1 + 1);
  const std::string bare = first.substr(comma2 + 1);
  std::string message = final_message;
  std::string auth_message;
  if (compute_proof) {
    auth_message = bare + "," + server_first + "," + final_message;
    const auto& salted = salted_password(h);
    const auto client_key = hmac(h, salted, "Client Key");
    const auto signature = hmac(h, digest(h, client_key), auth_message);
    std::string proof = client_key;
    for (std::size_t i = 0; i < proof.size(); ++i) {
      proof[i] = static_cast<char>(proof[i] ^ signature[i]);
    }
    message += ",p=" + boshmux::proto::base64_encode(proof);
  }
  const auto last = m->next(message);
  // A correct client of a real account always gets in: plain gs2 header, username, nonce,
  // then exactly c= and r= with the right proof.
  const std::string gs2 = first.substr(0, comma2 + 1);
  const bool textbook = compute_proof && (gs2 == "n,," || gs2 == "y,,") &&
                        (bare == "n=user,r=" + cnonce || bare == "n=a=2Cb=3Dc,r=" + cnonce) &&
                        final_message == "c=" + boshmux::proto::base64_encode(gs2) + ",r=" + nonce;
  BOSHMUX_FUZZ_CHECK(!textbook || last.what == kind::success, "SCRAM: a correct client refused");
  BOSHMUX_FUZZ_CHECK(last.what != kind::challenge, "SCRAM: a challenge after client-final");
  if (last.what == kind::success) {
    BOSHMUX_FUZZ_CHECK(compute_proof, "SCRAM: success with a fuzzed proof");
    check_success(last);
    const auto v = "v=" + boshmux::proto::base64_encode(
                              hmac(h, hmac(h, salted_password(h), "Server Key"), auth_message));
    BOSHMUX_FUZZ_CHECK(last.data == v, "SCRAM: wrong ServerSignature");
  }
  check_done(*m);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto opts = options();
  fuzz_store store;
  input_reader in(data, size);
  switch (in.below(4)) {
  case 0:
    run_plain(in, store, opts);
    break;
  case 1:
    run_scram(in, store, opts, hash_kind::sha1);
    break;
  case 2:
    run_scram(in, store, opts, hash_kind::sha256);
    break;
  default:
    run_anonymous(in, store, opts);
    break;
  }
  return 0;
}
