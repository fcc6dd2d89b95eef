#pragma once

#include <string_view>

namespace boshmux::ops {

/// Sends the default logger to stderr at `level` ("trace" ... "off").
void setup_logging(std::string_view level);

} // namespace boshmux::ops
