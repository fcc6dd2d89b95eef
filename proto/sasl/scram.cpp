#include "proto/sasl/scram.hpp"

#include "proto/common/base64.hpp"
#include "proto/common/sha1.hpp"
#include "proto/jid/jid.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <vector>

namespace boshmux::proto::sasl {

namespace {

const EVP_MD* digest_of(hash_kind h) {
  return h == hash_kind::sha256 ? EVP_sha256() : EVP_sha1();
}

/// Output size of `h` in bytes.
std::size_t digest_bytes(hash_kind h) {
  return h == hash_kind::sha256 ? 32 : 20;
}

const unsigned char* bytes_of(std::string_view s) {
  static constexpr unsigned char empty = 0;
  return s.empty() ? &empty : reinterpret_cast<const unsigned char*>(s.data());
}

/// HMAC-H(key, data); empty on an (impossible) OpenSSL failure, which then fails any check.
std::string hmac(hash_kind h, std::string_view key, std::string_view data) {
  if (key.size() > INT_MAX) {
    return {};
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int length = 0;
  if (HMAC(digest_of(h), bytes_of(key), static_cast<int>(key.size()), bytes_of(data), data.size(),
           out.data(), &length) == nullptr) {
    return {};
  }
  return {reinterpret_cast<const char*>(out.data()), length};
}

/// H(data); empty on an (impossible) OpenSSL failure.
std::string hash(hash_kind h, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  unsigned int length = 0;
  if (EVP_Digest(bytes_of(data), data.size(), out.data(), &length, digest_of(h), nullptr) != 1) {
    return {};
  }
  return {reinterpret_cast<const char*>(out.data()), length};
}

/// Decodes a saslname (RFC 5802 section 7): "=2C" is ',', "=3D" is '='; any other '='
/// and NUL are errors. The caller has already split on ','. nullopt when malformed.
std::optional<std::string> decode_saslname(std::string_view text) {
  if (text.empty()) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\0') {
      return std::nullopt;
    }
    if (c != '=') {
      out += c;
      continue;
    }
    const auto escape = text.substr(i + 1, 2);
    if (escape == "2C") {
      out += ',';
    } else if (escape == "3D") {
      out += '=';
    } else {
      return std::nullopt;
    }
    i += 2;
  }
  if (!detail::utf8_length(out)) {
    return std::nullopt;
  }
  return out;
}

/// True for a non-empty nonce of printable ASCII other than ',' (RFC 5802 section 7).
bool is_printable(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](char c) { return c >= 0x21 && c <= 0x7e && c != ','; });
}

/// True for an optional extension `ALPHA "=" 1*value-char` (RFC 5802 section 7).
bool is_extension(std::string_view attribute) {
  if (attribute.size() < 3 || attribute[1] != '=') {
    return false;
  }
  const char name = attribute[0];
  if (!((name >= 'a' && name <= 'z') || (name >= 'A' && name <= 'Z'))) {
    return false;
  }
  const auto value = attribute.substr(2);
  return value.find('\0') == std::string_view::npos && detail::utf8_length(value).has_value();
}

/// Splits `text` at every ','.
std::vector<std::string_view> split_attributes(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t begin = 0;
  for (;;) {
    const auto comma = text.find(',', begin);
    if (comma == std::string_view::npos) {
      out.push_back(text.substr(begin));
      return out;
    }
    out.push_back(text.substr(begin, comma - begin));
    begin = comma + 1;
  }
}

/// The value of `attribute` when it is `<name>=...`.
std::optional<std::string_view> value_of(std::string_view attribute, char name) {
  if (attribute.size() < 2 || attribute[0] != name || attribute[1] != '=') {
    return std::nullopt;
  }
  return attribute.substr(2);
}

/// The prepared localpart a SCRAM username names, or nullopt when it cannot name one.
std::optional<std::string> username_to_localpart(std::string_view username) {
  const auto sasl_name = jid::saslprep(username);
  auto local = sasl_name ? jid::nodeprep(*sasl_name) : std::nullopt;
  if (!local || local->empty()) {
    return std::nullopt;
  }
  return local;
}

} // namespace

std::optional<scram_credentials> derive_scram_credentials(std::string_view password,
                                                          std::string_view salt,
                                                          unsigned iterations, hash_kind h) {
  if (iterations == 0 || iterations > INT_MAX || salt.size() > INT_MAX) {
    return std::nullopt;
  }
  const auto prepared = jid::saslprep(password);
  if (!prepared || prepared->size() > INT_MAX) {
    return std::nullopt;
  }
  std::string salted(digest_bytes(h), '\0');
  if (PKCS5_PBKDF2_HMAC(prepared->data(), static_cast<int>(prepared->size()), bytes_of(salt),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), digest_of(h),
                        static_cast<int>(salted.size()),
                        reinterpret_cast<unsigned char*>(salted.data())) != 1) {
    return std::nullopt;
  }
  scram_credentials out;
  out.salt = std::string(salt);
  out.iterations = iterations;
  out.stored_key = hash(h, hmac(h, salted, "Client Key"));
  out.server_key = hmac(h, salted, "Server Key");
  if (out.stored_key.size() != digest_bytes(h) || out.server_key.size() != digest_bytes(h)) {
    return std::nullopt;
  }
  return out;
}

scram_mechanism::scram_mechanism(hash_kind h, credential_store& store,
                                 const mechanism_options& options)
    : hash_(h)
    , store_(store)
    , random_bytes_(options.random_bytes)
    , unknown_iterations_(std::max(options.scram_iterations_for_unknown_users, 1u))
    , unknown_salt_bytes_(
          std::clamp<std::size_t>(options.scram_salt_bytes_for_unknown_users, 1, 64))
    , unknown_user_key_(options.scram_unknown_user_key) {}

void scram_mechanism::set_server_nonce_for_test(std::string nonce) {
  server_nonce_for_test_ = std::move(nonce);
}

step scram_mechanism::start(std::optional<std::string_view> initial_response) {
  if (state_ != state::initial) {
    state_ = state::done;
    return step::failure(failure_condition::malformed_request);
  }
  if (!initial_response) {
    state_ = state::awaiting_client_first;
    return step::challenge({});
  }
  return on_client_first(*initial_response);
}

step scram_mechanism::next(std::string_view response) {
  switch (state_) {
  case state::awaiting_client_first:
    return on_client_first(response);
  case state::awaiting_client_final:
    return on_client_final(response);
  case state::initial:
  case state::done:
    break;
  }
  state_ = state::done;
  return step::failure(failure_condition::malformed_request);
}

step scram_mechanism::on_client_first(std::string_view message) {
  state_ = state::done;
  const auto malformed = step::failure(failure_condition::malformed_request);
  if (message.size() > max_message_bytes) {
    return malformed;
  }
  // gs2-header = gs2-cbind-flag "," [ authzid ] ","
  // gs2-cbind-flag = ("p=" cb-name) / "n" / "y". "y" is fine: no -PLUS is ever offered.
  if (!(message.starts_with("n,") || message.starts_with("y,"))) {
    return malformed; // Includes "p=": channel binding is not supported.
  }
  const auto header_end = message.find(',', 2);
  if (header_end == std::string_view::npos) {
    return malformed;
  }
  const auto authzid_field = message.substr(2, header_end - 2);
  if (!authzid_field.empty()) {
    const auto value = value_of(authzid_field, 'a');
    auto authzid = value ? decode_saslname(*value) : std::nullopt;
    if (!authzid || authzid->size() > max_authzid_bytes) {
      return malformed;
    }
    authzid_ = std::move(*authzid);
  }
  gs2_header_ = std::string(message.substr(0, header_end + 1));

  // client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
  const auto bare = message.substr(header_end + 1);
  const auto attributes = split_attributes(bare);
  if (attributes.size() < 2) {
    return malformed; // Also a leading "m=": it pushes the username out of place.
  }
  const auto username_value = value_of(attributes[0], 'n');
  const auto username = username_value ? decode_saslname(*username_value) : std::nullopt;
  if (!username || username->size() > max_authcid_bytes) {
    return malformed;
  }
  const auto client_nonce = value_of(attributes[1], 'r');
  if (!client_nonce || !is_printable(*client_nonce)) {
    return malformed;
  }
  if (!std::all_of(attributes.begin() + 2, attributes.end(), is_extension)) {
    return malformed;
  }

  std::string server_nonce;
  if (server_nonce_for_test_) {
    server_nonce = *server_nonce_for_test_;
  } else {
    const auto random = detail::draw_random(random_bytes_, server_nonce_bytes);
    if (!random) {
      return step::failure(failure_condition::temporary_auth_failure);
    }
    server_nonce = base64_encode(*random);
  }
  client_first_bare_ = std::string(bare);
  nonce_ = std::string(*client_nonce) + server_nonce;

  const auto local = username_to_localpart(*username);
  auto credentials = local ? store_.scram_credentials_for(*local, hash_) : std::nullopt;
  known_user_ = credentials && credentials->iterations != 0 &&
                credentials->stored_key.size() == digest_bytes(hash_) &&
                credentials->server_key.size() == digest_bytes(hash_);
  if (known_user_) {
    username_ = *local;
    credentials_ = std::move(*credentials);
  } else {
    // Key the stand-in by the name as an account would be found, so that spellings of one
    // unknown name get one salt just as they reach one real account.
    use_unknown_user_credentials(local ? std::string_view(*local) : std::string_view(*username));
  }

  server_first_ = "r=" + nonce_ + ",s=" + base64_encode(credentials_.salt) +
                  ",i=" + std::to_string(credentials_.iterations);
  state_ = state::awaiting_client_final;
  return step::challenge(server_first_);
}

void scram_mechanism::use_unknown_user_credentials(std::string_view name) {
  // Every derived value is an HMAC-SHA-256 under the per-process key, so it is stable per
  // name and cannot be predicted without the key. The hash of the mechanism is left out:
  // the users file keeps one salt and count per account for both SCRAM variants.
  const auto derive = [&](std::string_view label) {
    std::string input = "boshmux-scram-unknown-user:";
    input.append(label).append(1, '\0').append(name);
    return hmac(hash_kind::sha256, unknown_user_key_, input);
  };
  std::string salt = derive("salt-1") + derive("salt-2");
  salt.resize(unknown_salt_bytes_);
  credentials_.salt = std::move(salt);
  credentials_.iterations = unknown_iterations_;
  credentials_.stored_key = derive("stored-key").substr(0, digest_bytes(hash_));
  credentials_.server_key = derive("server-key").substr(0, digest_bytes(hash_));
  username_.clear();
}

step scram_mechanism::on_client_final(std::string_view message) {
  state_ = state::done;
  const auto malformed = step::failure(failure_condition::malformed_request);
  if (message.size() > max_message_bytes) {
    return malformed;
  }
  // client-final-message = channel-binding "," nonce ["," extensions] "," proof
  const auto last_comma = message.rfind(',');
  if (last_comma == std::string_view::npos) {
    return malformed;
  }
  const auto without_proof = message.substr(0, last_comma);
  const auto proof_value = value_of(message.substr(last_comma + 1), 'p');
  const auto attributes = split_attributes(without_proof);
  if (!proof_value || attributes.size() < 2) {
    return malformed;
  }
  const auto binding_value = value_of(attributes[0], 'c');
  const auto binding = binding_value ? base64_decode(*binding_value) : std::nullopt;
  // No channel binding: c= carries exactly the gs2 header of client-first.
  if (!binding || *binding != gs2_header_) {
    return malformed;
  }
  const auto nonce = value_of(attributes[1], 'r');
  if (!nonce || *nonce != nonce_) {
    return malformed;
  }
  if (!std::all_of(attributes.begin() + 2, attributes.end(), is_extension)) {
    return malformed;
  }
  const auto proof = base64_decode(*proof_value);
  if (!proof || proof->size() != digest_bytes(hash_)) {
    return malformed;
  }

  // RFC 5802 section 3: ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage), and
  // H(ClientKey) must be StoredKey. The same work is done for unknown users.
  std::string auth_message = client_first_bare_;
  auth_message.append(1, ',').append(server_first_).append(1, ',').append(without_proof);
  const std::string client_signature = hmac(hash_, credentials_.stored_key, auth_message);
  std::string client_key = *proof;
  for (std::size_t i = 0; i < client_key.size() && i < client_signature.size(); ++i) {
    client_key[i] = static_cast<char>(client_key[i] ^ client_signature[i]);
  }
  const bool proof_matches = constant_time_equal(hash(hash_, client_key), credentials_.stored_key);
  if (!proof_matches || !known_user_) {
    return step::failure(failure_condition::not_authorized);
  }
  auto authorized = detail::check_authzid(authzid_, username_);
  if (!authorized) {
    return step::failure(failure_condition::invalid_authzid);
  }
  const std::string server_signature = hmac(hash_, credentials_.server_key, auth_message);
  return step::success("v=" + base64_encode(server_signature), username_, std::move(*authorized));
}

} // namespace boshmux::proto::sasl
