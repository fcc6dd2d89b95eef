#include "lib/ops/config.hpp"
#include "lib/ops/log.hpp"
#include "lib/server.hpp"

#include <exception>
#include <iostream>

int main(int argc, char** argv) {
  try {
    auto parsed = boshmux::ops::parse_command_line(argc, argv);
    if (!parsed.cfg) {
      return parsed.exit_code;
    }
    boshmux::ops::setup_logging(parsed.cfg->log_level);
    boshmux::server server(std::move(*parsed.cfg));
    return server.run();
  } catch (const std::exception& e) {
    std::cerr << "boshmux: fatal: " << e.what() << "\n";
    return 1;
  }
}
