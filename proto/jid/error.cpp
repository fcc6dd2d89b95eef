#include "proto/jid/error.hpp"

#include <string>

namespace boshmux::proto::jid {

namespace {

/// The category behind jid::error.
class jid_category final : public std::error_category {
public:
  const char* name() const noexcept override { return "boshmux.jid"; }

  std::string message(int ev) const override {
    switch (static_cast<error>(ev)) {
    case error::domain_missing:
      return "JID has no domainpart";
    case error::local_empty:
      return "JID localpart is empty";
    case error::resource_empty:
      return "JID resourcepart is empty";
    case error::local_invalid:
      return "JID localpart fails Nodeprep";
    case error::domain_invalid:
      return "JID domainpart is not a valid domain name or IP literal";
    case error::resource_invalid:
      return "JID resourcepart fails Resourceprep";
    case error::local_too_long:
      return "JID localpart exceeds 1023 bytes";
    case error::domain_too_long:
      return "JID domainpart exceeds 1023 bytes";
    case error::resource_too_long:
      return "JID resourcepart exceeds 1023 bytes";
    }
    return "unknown boshmux.jid error";
  }
};

} // namespace

const std::error_category& error_category() noexcept {
  static const jid_category category;
  return category;
}

} // namespace boshmux::proto::jid
