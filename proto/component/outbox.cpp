#include "proto/component/outbox.hpp"

#include "proto/xml/dom.hpp"

#include <algorithm>
#include <charconv>
#include <fmt/format.h>
#include <iterator>
#include <utility>

namespace boshmux::proto::component {

namespace {

constexpr std::string_view ping_id_prefix = "boshmux-ping-";

} // namespace

std::string checkpoint_ping(std::string_view domain, std::uint64_t id) {
  return fmt::format(
      "<iq type='get' id='{}{}' from='{}' to='{}'><ping xmlns='urn:xmpp:ping'/></iq>",
      ping_id_prefix, id, domain, domain);
}

std::optional<std::uint64_t> checkpoint_answer(std::string_view stanza, std::string_view domain) {
  // Cheap filter first; the full check parses only the rare candidates.
  if (stanza.size() > 512 || stanza.find(ping_id_prefix) == std::string_view::npos) {
    return std::nullopt;
  }
  std::error_code ec;
  const auto doc = xml::document::parse(stanza, ec);
  if (!doc) {
    return std::nullopt;
  }
  const auto& root = doc->root();
  const std::string_view type = xml::attribute_value(root, "type");
  const std::string_view id = xml::attribute_value(root, "id");
  if (xml::local_name(root) != "iq" || (type != "get" && type != "error") ||
      xml::attribute_value(root, "from") != domain || xml::attribute_value(root, "to") != domain ||
      !id.starts_with(ping_id_prefix)) {
    return std::nullopt;
  }
  std::uint64_t number = 0;
  const std::string_view digits = id.substr(ping_id_prefix.size());
  const auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
  if (digits.empty() || err != std::errc{} || end != digits.data() + digits.size()) {
    return std::nullopt;
  }
  return number;
}

bool outbox::push(std::string stanza) {
  if (stanza.size() > max_bytes_ - std::min(bytes_, max_bytes_)) {
    return false;
  }
  bytes_ += stanza.size();
  pending_.push_back(std::move(stanza));
  return true;
}

void outbox::written(std::size_t count) {
  count = std::min(count, pending_.size());
  for (std::size_t i = 0; i < count; ++i) {
    unconfirmed_.push_back(std::move(pending_.front()));
    pending_.pop_front();
  }
}

std::optional<outbox::time_point> outbox::checkpoint_due() const noexcept {
  if (!in_flight_.empty() || confirmed_ + unconfirmed_.size() <= covered_) {
    return std::nullopt;
  }
  if (last_checkpoint_ == time_point::min()) {
    return last_checkpoint_; // the first one: at once
  }
  return last_checkpoint_ + min_interval_;
}

std::uint64_t outbox::checkpoint(time_point now) {
  last_checkpoint_ = now;
  covered_ = confirmed_ + unconfirmed_.size();
  in_flight_.push_back({next_id_, covered_, now});
  return next_id_++;
}

std::size_t outbox::confirm(std::uint64_t id) {
  const auto answered = std::find_if(in_flight_.begin(), in_flight_.end(),
                                     [id](const checkpoint_record& c) { return c.id == id; });
  if (answered == in_flight_.end()) {
    return 0;
  }
  // The server handles a stream in order: an answer also stands for the checkpoints before it.
  const auto count = static_cast<std::size_t>(answered->covers - confirmed_);
  in_flight_.erase(in_flight_.begin(), std::next(answered));
  for (std::size_t i = 0; i < count; ++i) {
    bytes_ -= unconfirmed_.front().size();
    unconfirmed_.pop_front();
  }
  confirmed_ += count;
  return count;
}

std::size_t outbox::requeue_unconfirmed() {
  const std::size_t count = unconfirmed_.size();
  pending_.insert(pending_.begin(), std::make_move_iterator(unconfirmed_.begin()),
                  std::make_move_iterator(unconfirmed_.end()));
  unconfirmed_.clear();
  in_flight_.clear();
  covered_ = confirmed_;
  return count;
}

std::size_t outbox::rewind() {
  const std::size_t count = requeue_unconfirmed();
  rewound_ += count;
  return count;
}

std::deque<std::string> outbox::take_all() {
  requeue_unconfirmed(); // handed back, not to be written again: not counted as rewound
  bytes_ = 0;
  return std::exchange(pending_, {});
}

} // namespace boshmux::proto::component
