#pragma once

// Chunking grinder for incremental parsers, after Boost.Beast's parsegrind: a parser must give
// the same result whatever the chunk boundaries of its input.

#include <boost/test/unit_test.hpp>
#include <cstddef>
#include <string_view>
#include <vector>

namespace boshmux::test {

/// One way of cutting an input into consecutive chunks, fed in order.
using chunks = std::vector<std::string_view>;

/// The input as a single chunk.
inline chunks whole(std::string_view input) {
  return {input};
}

/// The input cut in two at `offset` (0 and input.size() give an empty first or second chunk).
inline chunks split_at(std::string_view input, std::size_t offset) {
  return {input.substr(0, offset), input.substr(offset)};
}

/// The input one byte per chunk.
inline chunks byte_by_byte(std::string_view input) {
  chunks out;
  out.reserve(input.size());
  for (std::size_t i = 0; i < input.size(); ++i) {
    out.push_back(input.substr(i, 1));
  }
  return out;
}

/// Runs `run` on `input` whole, split in two at every offset and byte by byte, and checks that
/// each chunking yields the same result as the whole input; a failure names the chunking with
/// BOOST_TEST_CONTEXT. `run` takes `const chunks&`, starts from a fresh parser every time and
/// returns a value that supports == and operator<< (e.g. a transcript of events).
/// Returns the result for the whole input, for the caller to check against its expectation.
template <class Run> auto grind(std::string_view input, Run&& run) {
  const auto expected = run(whole(input));
  for (std::size_t offset = 0; offset <= input.size(); ++offset) {
    BOOST_TEST_CONTEXT("input split at offset " << offset) {
      BOOST_TEST(run(split_at(input, offset)) == expected);
    }
  }
  BOOST_TEST_CONTEXT("input fed byte by byte") {
    BOOST_TEST(run(byte_by_byte(input)) == expected);
  }
  return expected;
}

} // namespace boshmux::test
