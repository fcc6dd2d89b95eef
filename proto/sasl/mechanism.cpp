#include "proto/sasl/mechanism.hpp"

#include "proto/jid/jid.hpp"
#include "proto/sasl/anonymous.hpp"
#include "proto/sasl/plain.hpp"
#include "proto/sasl/scram.hpp"

#include <system_error>

namespace boshmux::proto::sasl {

std::string_view to_string(failure_condition c) noexcept {
  switch (c) {
  case failure_condition::aborted:
    return "aborted";
  case failure_condition::account_disabled:
    return "account-disabled";
  case failure_condition::credentials_expired:
    return "credentials-expired";
  case failure_condition::encryption_required:
    return "encryption-required";
  case failure_condition::incorrect_encoding:
    return "incorrect-encoding";
  case failure_condition::invalid_authzid:
    return "invalid-authzid";
  case failure_condition::invalid_mechanism:
    return "invalid-mechanism";
  case failure_condition::malformed_request:
    return "malformed-request";
  case failure_condition::mechanism_too_weak:
    return "mechanism-too-weak";
  case failure_condition::not_authorized:
    return "not-authorized";
  case failure_condition::temporary_auth_failure:
    return "temporary-auth-failure";
  }
  return "not-authorized";
}

std::string_view scram_mechanism_name(hash_kind h) noexcept {
  return h == hash_kind::sha256 ? "SCRAM-SHA-256" : "SCRAM-SHA-1";
}

step step::challenge(std::string data) {
  step s;
  s.what = kind::challenge;
  s.data = std::move(data);
  return s;
}

step step::success(std::string data, std::string username, std::string authzid) {
  step s;
  s.what = kind::success;
  s.data = std::move(data);
  s.username = std::move(username);
  s.authzid = std::move(authzid);
  return s;
}

step step::failure(failure_condition c) {
  step s;
  s.what = kind::failure;
  s.condition = c;
  return s;
}

std::vector<std::string> mechanism_names(const mechanism_options& options) {
  std::vector<std::string> names;
  const bool have_random = static_cast<bool>(options.random_bytes);
  if (options.scram && have_random) {
    names.emplace_back(scram_mechanism_name(hash_kind::sha256));
    names.emplace_back(scram_mechanism_name(hash_kind::sha1));
  }
  if (options.plain) {
    names.emplace_back(plain_mechanism::name);
  }
  if (options.anonymous && have_random) {
    names.emplace_back(anonymous_mechanism::name);
  }
  return names;
}

std::unique_ptr<mechanism> make_mechanism(std::string_view name, credential_store& store,
                                          const mechanism_options& options) {
  const bool have_random = static_cast<bool>(options.random_bytes);
  if (options.scram && have_random) {
    for (const hash_kind h : {hash_kind::sha256, hash_kind::sha1}) {
      if (name == scram_mechanism_name(h)) {
        return std::make_unique<scram_mechanism>(h, store, options);
      }
    }
  }
  if (options.plain && name == plain_mechanism::name) {
    return std::make_unique<plain_mechanism>(store);
  }
  if (options.anonymous && have_random && name == anonymous_mechanism::name) {
    return std::make_unique<anonymous_mechanism>(options);
  }
  return nullptr;
}

namespace detail {

std::optional<std::string> check_authzid(std::string_view authzid, std::string_view username) {
  if (authzid.empty()) {
    return std::string();
  }
  std::error_code ec;
  const auto parsed = jid::parse_jid(authzid, ec);
  if (!parsed || !parsed->is_bare() || parsed->local.empty() || parsed->local != username) {
    return std::nullopt;
  }
  return parsed->bare();
}

std::optional<std::string> draw_random(const std::function<std::string(std::size_t)>& random_bytes,
                                       std::size_t count) {
  if (!random_bytes) {
    return std::nullopt;
  }
  std::string bytes = random_bytes(count);
  if (bytes.size() != count) {
    return std::nullopt;
  }
  return bytes;
}

std::optional<std::size_t> utf8_length(std::string_view text) noexcept {
  std::size_t count = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    char32_t code_point = 0;
    char32_t minimum = 0;
    if (lead < 0x80) {
      code_point = lead;
    } else if (lead >= 0xc2 && lead <= 0xdf) {
      extra = 1;
      code_point = lead & 0x1fu;
      minimum = 0x80;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      extra = 2;
      code_point = lead & 0x0fu;
      minimum = 0x800;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      extra = 3;
      code_point = lead & 0x07u;
      minimum = 0x10000;
    } else {
      return std::nullopt; // A continuation byte, 0xc0/0xc1, or 0xf5 and above.
    }
    if (text.size() - i - 1 < extra) {
      return std::nullopt;
    }
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0u) != 0x80u) {
        return std::nullopt;
      }
      code_point = (code_point << 6) | (next & 0x3fu);
    }
    if (code_point < minimum || code_point > 0x10ffff ||
        (code_point >= 0xd800 && code_point <= 0xdfff)) {
      return std::nullopt;
    }
    i += 1 + extra;
    ++count;
  }
  return count;
}

} // namespace detail

} // namespace boshmux::proto::sasl
