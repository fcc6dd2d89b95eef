#include "lib/auth/user_command.hpp"
#include "lib/ops/config.hpp"
#include "lib/ops/log.hpp"
#include "lib/server.hpp"

#include <exception>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string_view>

int main(int argc, char** argv) {
  try {
    if (argc > 1 && std::string_view(argv[1]) == "user") {
      // boshmux user add|del|list NAME --users-file F (password from the terminal or stdin)
      return boshmux::auth::run_user_command(argc - 1, argv + 1, std::cin, std::cout, std::cerr);
    }
    auto parsed = boshmux::ops::parse_command_line(argc, argv);
    if (!parsed.cfg) {
      return parsed.exit_code;
    }
    // parse_command_line has validated both names.
    boshmux::ops::setup_logging(parsed.cfg->log_level,
                                boshmux::ops::parse_log_format(parsed.cfg->log_format)
                                    .value_or(boshmux::ops::log_format::text));
    std::unique_ptr<boshmux::server> server;
    try {
      server = std::make_unique<boshmux::server>(std::move(*parsed.cfg));
    } catch (const std::runtime_error& e) {
      std::cerr << "boshmux: " << e.what() << "\n"; // a configured file that cannot be used
      return 2;
    }
    // SIGHUP reads the configuration again (flags, environment, --config file) for what can
    // change without a restart: the log level.
    server->set_config_source(
        [argc, argv] { return boshmux::ops::parse_command_line(argc, argv).cfg; });
    return server->run();
  } catch (const std::exception& e) {
    std::cerr << "boshmux: fatal: " << e.what() << "\n";
    return 1;
  }
}
