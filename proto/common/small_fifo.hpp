#pragma once
// The per-session queues (held requests, cached responses, pending iqs) hold a handful of
// entries. std::deque allocates a 512-byte block and a map even when empty, which is most of
// an idle session's memory; a vector allocates nothing until used, and removing its first of
// a few elements is cheap.

#include <vector>

namespace boshmux::proto {

/// Removes the first element of a non-empty vector used as a short FIFO.
template <class T> void pop_front(std::vector<T>& fifo) {
  fifo.erase(fifo.begin());
}

} // namespace boshmux::proto
