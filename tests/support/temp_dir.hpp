#pragma once

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <stdlib.h>
#include <string>
#include <system_error>

namespace boshmux::test {

/// A fresh directory under the system's temporary directory, removed with its content.
struct temp_dir {
  temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "boshmux-test-XXXXXX").string();
    BOOST_REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::filesystem::path path;
};

} // namespace boshmux::test
