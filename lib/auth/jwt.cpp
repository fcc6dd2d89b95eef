#include "lib/auth/jwt.hpp"

#include "proto/common/base64.hpp"
#include "proto/common/sha1.hpp"
#include "proto/jid/jid.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <cmath>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdexcept>
#include <utility>

namespace boshmux::auth {

namespace {

using json = nlohmann::json;

/// The category behind jwt_error.
class jwt_category final : public std::error_category {
public:
  const char* name() const noexcept override { return "boshmux.jwt"; }

  std::string message(int ev) const override {
    switch (static_cast<jwt_error>(ev)) {
    case jwt_error::too_long:
      return "token too long";
    case jwt_error::malformed:
      return "token is not three base64url segments";
    case jwt_error::bad_header:
      return "token header is not a valid JSON object";
    case jwt_error::unsupported_algorithm:
      return "token algorithm is not HS256";
    case jwt_error::unsupported_critical_header:
      return "token has critical header parameters";
    case jwt_error::bad_signature:
      return "token signature does not match";
    case jwt_error::bad_payload:
      return "token payload is not a valid JSON object";
    case jwt_error::missing_expiry:
      return "token has no valid exp claim";
    case jwt_error::expired:
      return "token expired";
    case jwt_error::not_yet_valid:
      return "token not valid yet (nbf)";
    case jwt_error::issued_in_future:
      return "token issued in the future (iat)";
    case jwt_error::wrong_issuer:
      return "token issuer not accepted";
    case jwt_error::wrong_audience:
      return "token audience not accepted";
    case jwt_error::missing_user:
      return "token has no user claim";
    case jwt_error::invalid_user:
      return "token user is not a valid localpart";
    case jwt_error::user_mismatch:
      return "token user differs from the authentication identity";
    }
    return "unknown boshmux.jwt error";
  }
};

/// Largest NumericDate accepted (9999-12-31T23:59:59Z), which keeps arithmetic in range.
constexpr std::int64_t max_numeric_date = 253'402'300'799;
/// Largest clock skew honoured.
constexpr std::chrono::seconds max_clock_skew{3600};
/// Largest key file read, in bytes.
constexpr std::size_t max_key_file_bytes = 64 * 1024;

/// True for the bytes of the base64url alphabet (RFC 4648 section 5).
bool is_base64url_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

/// The three segments of a compact JWS, or nullopt unless there are exactly three non-empty
/// segments of base64url characters.
std::optional<std::array<std::string_view, 3>> split_segments(std::string_view token) noexcept {
  const auto first = token.find('.');
  if (first == std::string_view::npos) {
    return std::nullopt;
  }
  const auto second = token.find('.', first + 1);
  if (second == std::string_view::npos) {
    return std::nullopt;
  }
  std::array<std::string_view, 3> parts{token.substr(0, first),
                                        token.substr(first + 1, second - first - 1),
                                        token.substr(second + 1)};
  for (const auto part : parts) {
    if (part.empty() || !std::all_of(part.begin(), part.end(), is_base64url_char)) {
      return std::nullopt;
    }
  }
  return parts;
}

/// A NumericDate (RFC 7519 section 2) in whole seconds, rounded towards `round_up`; nullopt
/// when `value` is not a number from 0 to max_numeric_date.
std::optional<std::int64_t> numeric_date(const json& value, bool round_up) {
  if (value.is_number_unsigned()) {
    const auto n = value.get<std::uint64_t>();
    if (n > static_cast<std::uint64_t>(max_numeric_date)) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(n);
  }
  if (value.is_number_integer()) {
    const auto n = value.get<std::int64_t>();
    if (n < 0 || n > max_numeric_date) {
      return std::nullopt;
    }
    return n;
  }
  if (value.is_number_float()) {
    const auto d = value.get<double>();
    if (!std::isfinite(d) || d < 0 || d > static_cast<double>(max_numeric_date)) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(round_up ? std::ceil(d) : std::floor(d));
  }
  return std::nullopt;
}

/// HMAC-SHA256 of `data` with `key`; empty when OpenSSL fails.
std::string hmac_sha256(std::string_view key, std::string_view data) {
  std::string out(EVP_MAX_MD_SIZE, '\0');
  unsigned length = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(),
           reinterpret_cast<unsigned char*>(out.data()), &length) == nullptr) {
    return {};
  }
  out.resize(length);
  return out;
}

/// Parses `text` as a JSON object; nullopt when it is not one.
std::optional<json> parse_object(std::string_view text) {
  auto value = json::parse(text, nullptr, false);
  if (value.is_discarded() || !value.is_object()) {
    return std::nullopt;
  }
  return value;
}

/// The current system time in seconds since the epoch.
std::int64_t system_now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

} // namespace

const std::error_category& jwt_error_category() noexcept {
  static const jwt_category category;
  return category;
}

jwt_verifier::jwt_verifier(jwt_options options, clock now_seconds)
    : options_(std::move(options))
    , now_seconds_(now_seconds ? std::move(now_seconds) : clock(system_now_seconds)) {
  if (options_.key.size() < min_key_bytes || options_.key.size() > INT_MAX) {
    throw std::invalid_argument("the JWT key must be at least " + std::to_string(min_key_bytes) +
                                " bytes");
  }
  options_.clock_skew = std::clamp(options_.clock_skew, std::chrono::seconds{0}, max_clock_skew);
}

std::optional<std::string> jwt_verifier::read_key_file(const std::filesystem::path& path,
                                                       std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path.string() + ": cannot open";
    return std::nullopt;
  }
  std::string key;
  char buffer[4096];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    key.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (key.size() > max_key_file_bytes) {
      error = path.string() + ": larger than " + std::to_string(max_key_file_bytes) + " bytes";
      return std::nullopt;
    }
  }
  if (in.bad()) {
    error = path.string() + ": read error";
    return std::nullopt;
  }
  if (key.ends_with('\n')) {
    key.pop_back();
    if (key.ends_with('\r')) {
      key.pop_back();
    }
  }
  if (key.size() < min_key_bytes) {
    error = path.string() + ": the key must be at least " + std::to_string(min_key_bytes) +
            " bytes (RFC 7518 section 3.2)";
    return std::nullopt;
  }
  error.clear();
  return key;
}

bool jwt_verifier::looks_like_jwt(std::string_view text) {
  const auto parts = split_segments(text);
  if (!parts) {
    return false;
  }
  const auto header = proto::base64url_decode((*parts)[0]);
  return header && header->starts_with('{');
}

std::optional<std::string> jwt_verifier::verify(std::string_view token, std::string_view authcid,
                                                std::error_code& ec) const {
  const auto fail = [&ec](jwt_error e) -> std::optional<std::string> {
    ec = e;
    return std::nullopt;
  };
  if (token.size() > options_.max_token_bytes) {
    return fail(jwt_error::too_long);
  }
  const auto parts = split_segments(token);
  if (!parts) {
    return fail(jwt_error::malformed);
  }
  const auto header_text = proto::base64url_decode((*parts)[0]);
  const auto payload_text = proto::base64url_decode((*parts)[1]);
  const auto signature = proto::base64url_decode((*parts)[2]);
  if (!header_text || !payload_text || !signature) {
    return fail(jwt_error::malformed);
  }

  try {
    // The header decides nothing but whether this is HS256: the key and the algorithm come
    // from configuration.
    const auto header = parse_object(*header_text);
    if (!header) {
      return fail(jwt_error::bad_header);
    }
    const auto alg = header->find("alg");
    if (alg == header->end() || !alg->is_string() || alg->get<std::string>() != "HS256") {
      return fail(jwt_error::unsupported_algorithm);
    }
    if (const auto typ = header->find("typ"); typ != header->end() && !typ->is_string()) {
      return fail(jwt_error::bad_header);
    }
    if (header->contains("crit")) {
      return fail(jwt_error::unsupported_critical_header);
    }

    // RFC 7515 section 5.2: the signing input is the two first segments as sent.
    const auto signing_input = token.substr(0, (*parts)[0].size() + 1 + (*parts)[1].size());
    const auto expected = hmac_sha256(options_.key, signing_input);
    if (expected.empty() || !proto::constant_time_equal(expected, *signature)) {
      return fail(jwt_error::bad_signature);
    }

    const auto payload = parse_object(*payload_text);
    if (!payload) {
      return fail(jwt_error::bad_payload);
    }
    const auto now = now_seconds_();
    const auto skew = options_.clock_skew.count();

    // RFC 7519 section 4.1.4: now must be before exp (plus the skew).
    const auto exp_claim = payload->find("exp");
    const auto exp = exp_claim == payload->end() ? std::nullopt : numeric_date(*exp_claim, false);
    if (!exp) {
      return fail(jwt_error::missing_expiry);
    }
    if (now >= *exp + skew) {
      return fail(jwt_error::expired);
    }
    // RFC 7519 section 4.1.5: now must be at or after nbf (minus the skew).
    if (const auto nbf_claim = payload->find("nbf"); nbf_claim != payload->end()) {
      const auto nbf = numeric_date(*nbf_claim, true);
      if (!nbf || *nbf - skew > now) {
        return fail(jwt_error::not_yet_valid);
      }
    }
    // RFC 7519 section 4.1.6 leaves iat to the application: a token from the future is
    // refused.
    if (const auto iat_claim = payload->find("iat"); iat_claim != payload->end()) {
      const auto iat = numeric_date(*iat_claim, true);
      if (!iat || *iat - skew > now) {
        return fail(jwt_error::issued_in_future);
      }
    }

    if (options_.issuer) {
      const auto iss = payload->find("iss");
      if (iss == payload->end() || !iss->is_string() ||
          iss->get_ref<const std::string&>() != *options_.issuer) {
        return fail(jwt_error::wrong_issuer);
      }
    }

    // RFC 7519 section 4.1.3: a token naming audiences is only for those.
    if (const auto aud = payload->find("aud"); aud != payload->end()) {
      bool matched = false;
      if (aud->is_string()) {
        matched = options_.audience && aud->get_ref<const std::string&>() == *options_.audience;
      } else if (aud->is_array()) {
        for (const auto& item : *aud) {
          if (!item.is_string()) {
            return fail(jwt_error::wrong_audience);
          }
          matched = matched ||
                    (options_.audience && item.get_ref<const std::string&>() == *options_.audience);
        }
      }
      if (!matched) {
        return fail(jwt_error::wrong_audience);
      }
    } else if (options_.audience) {
      return fail(jwt_error::wrong_audience);
    }

    const auto user_claim = payload->find(options_.user_claim);
    if (user_claim == payload->end() || !user_claim->is_string()) {
      return fail(jwt_error::missing_user);
    }
    auto local = proto::jid::nodeprep(user_claim->get_ref<const std::string&>());
    if (!local || local->empty()) {
      return fail(jwt_error::invalid_user);
    }
    if (!authcid.empty()) {
      // As PLAIN prepares it: SASLprep, then Nodeprep.
      const auto sasl_name = proto::jid::saslprep(authcid);
      const auto prepared = sasl_name ? proto::jid::nodeprep(*sasl_name) : std::nullopt;
      if (!prepared || *prepared != *local) {
        return fail(jwt_error::user_mismatch);
      }
    }
    ec.clear();
    return local;
  } catch (const json::exception&) {
    // Not expected after the type checks above; a token is never worth more than a failure.
    return fail(jwt_error::bad_payload);
  }
}

} // namespace boshmux::auth
