#include "lib/http/exchange.hpp"

#include <utility>

namespace boshmux::http {

const std::string* request::find_header(std::string_view lower_name) const {
  for (const auto& h : headers) {
    if (h.name == lower_name) {
      return &h.value;
    }
  }
  return nullptr;
}

exchange::exchange(std::uint64_t id, request req)
    : id_(id)
    , request_(std::move(req)) {}

void exchange::respond(response r) {
  if (answered_ || aborted_) {
    return;
  }
  response_ = std::move(r);
  answered_ = true;
  // The abort callback can no longer run; dropping it now also breaks any cycle through it.
  on_abort_ = nullptr;
  if (auto wake = std::exchange(on_answer_, nullptr)) {
    wake();
  }
}

void exchange::abort() {
  if (aborted_) {
    return;
  }
  aborted_ = true;
  on_answer_ = nullptr;
  // Only an exchange still waiting for its answer tells its owner (respond() drops the
  // callback); the callback is moved out first so that it runs at most once.
  if (auto callback = std::exchange(on_abort_, nullptr)) {
    callback();
  }
}

} // namespace boshmux::http
