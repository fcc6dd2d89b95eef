#include "lib/auth/user_command.hpp"

#include "lib/auth/users_file.hpp"
#include "proto/jid/jid.hpp"

#include <CLI/CLI.hpp>
#include <climits>
#include <iostream>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <optional>
#include <string>
#include <termios.h>
#include <unistd.h>

namespace boshmux::auth {

namespace {

/// Exit codes.
constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

/// Smallest iteration count `add` accepts (RFC 7677 section 4).
constexpr unsigned min_iterations = 4096;

/// The prefix of every message.
constexpr std::string_view prog = "boshmux user: ";

/// `count` bytes from OpenSSL's CSPRNG; fewer (which add_or_replace refuses) on failure.
std::string csprng_bytes(std::size_t count) {
  std::string bytes(count, '\0');
  if (count > INT_MAX ||
      RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(count)) != 1) {
    return {};
  }
  return bytes;
}

/// Overwrites a string holding a password before it is freed.
class wiped_string {
public:
  wiped_string() = default;
  wiped_string(const wiped_string&) = delete;
  wiped_string& operator=(const wiped_string&) = delete;
  ~wiped_string() { OPENSSL_cleanse(value.data(), value.size()); }

  /// The secret.
  std::string value;
};

/// Turns terminal echo off on standard input for its lifetime.
class echo_off {
public:
  echo_off() {
    if (::tcgetattr(STDIN_FILENO, &saved_) == 0) {
      termios quiet = saved_;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      active_ = ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
    }
  }
  echo_off(const echo_off&) = delete;
  echo_off& operator=(const echo_off&) = delete;
  ~echo_off() {
    if (active_) {
      ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_);
    }
  }

private:
  /// The settings to restore.
  termios saved_{};
  /// True when echo was turned off.
  bool active_ = false;
};

/// Reads one line into `line` without its line ending; false at end of input.
bool read_line(std::istream& in, std::string& line) {
  if (!std::getline(in, line)) {
    return false;
  }
  if (line.ends_with('\r')) {
    line.pop_back();
  }
  return true;
}

/// Reads the new password into `password`: from a terminal with a prompt, no echo and a
/// confirmation; otherwise one line. Reports problems on `err`.
bool read_password(std::istream& in, std::ostream& err, std::string& password) {
  if (&in != &std::cin || ::isatty(STDIN_FILENO) != 1) {
    if (!read_line(in, password)) {
      err << prog << "no password on standard input\n";
      return false;
    }
    return true;
  }
  wiped_string again;
  {
    const echo_off quiet;
    err << "Password: " << std::flush;
    const bool first = read_line(in, password);
    err << "\n";
    if (!first) {
      err << prog << "no password given\n";
      return false;
    }
    err << "Repeat password: " << std::flush;
    const bool second = read_line(in, again.value);
    err << "\n";
    if (!second) {
      err << prog << "no password given\n";
      return false;
    }
  }
  if (password != again.value) {
    err << prog << "the passwords do not match\n";
    return false;
  }
  return true;
}

/// Loads `path` for a change; a missing file is an empty one when `create`.
std::optional<users_file> load_for_update(const std::string& path, bool create, std::ostream& err) {
  auto loaded = users_file::load(path);
  if (loaded.file) {
    return std::move(loaded.file);
  }
  if (create && loaded.io_error == std::errc::no_such_file_or_directory) {
    return users_file{};
  }
  err << prog << loaded.error << "\n";
  return std::nullopt;
}

/// `add NAME`.
int run_add(const std::string& name, const std::string& path, unsigned iterations, std::istream& in,
            std::ostream& out, std::ostream& err) {
  using proto::jid::prep_mode;
  // Check the name before asking for a password.
  const auto sasl_name = proto::jid::saslprep(name, prep_mode::stored);
  const auto local = sasl_name ? proto::jid::nodeprep(*sasl_name, prep_mode::stored) : std::nullopt;
  if (!local || local->empty() || local->starts_with('#')) {
    err << prog << "invalid user name '" << name << "': not a valid XMPP localpart\n";
    return exit_usage;
  }
  auto file = load_for_update(path, true, err);
  if (!file) {
    return exit_failure;
  }
  wiped_string password;
  if (!read_password(in, err, password.value)) {
    return exit_usage;
  }
  switch (file->add_or_replace(*local, password.value, csprng_bytes, iterations)) {
  case users_file::add_status::added:
  case users_file::add_status::replaced:
    break;
  case users_file::add_status::invalid_name:
    err << prog << "invalid user name '" << name << "'\n";
    return exit_usage;
  case users_file::add_status::invalid_password:
    err << prog << "unusable password: it must be 1 to 255 bytes and pass SASLprep "
        << "(no control characters)\n";
    return exit_usage;
  case users_file::add_status::invalid_iterations:
    err << prog << "invalid iteration count\n";
    return exit_usage;
  case users_file::add_status::internal_error:
    err << prog << "could not derive the credentials\n";
    return exit_failure;
  }
  if (const auto error = file->save(path); !error.empty()) {
    err << prog << error << "\n";
    return exit_failure;
  }
  out << "saved user " << *local << " in " << path << "\n";
  return exit_ok;
}

/// `del NAME`.
int run_del(const std::string& name, const std::string& path, std::ostream& out,
            std::ostream& err) {
  const auto sasl_name = proto::jid::saslprep(name);
  const auto local = sasl_name ? proto::jid::nodeprep(*sasl_name) : std::nullopt;
  if (!local || local->empty()) {
    err << prog << "invalid user name '" << name << "': not a valid XMPP localpart\n";
    return exit_usage;
  }
  auto file = load_for_update(path, false, err);
  if (!file) {
    return exit_failure;
  }
  if (!file->remove(*local)) {
    err << prog << "no user " << *local << " in " << path << "\n";
    return exit_failure;
  }
  if (const auto error = file->save(path); !error.empty()) {
    err << prog << error << "\n";
    return exit_failure;
  }
  out << "deleted user " << *local << " from " << path << "\n";
  return exit_ok;
}

/// `list`.
int run_list(const std::string& path, std::ostream& out, std::ostream& err) {
  auto loaded = users_file::load(path);
  if (!loaded.file) {
    err << prog << loaded.error << "\n";
    return exit_failure;
  }
  for (const auto& name : loaded.file->list()) {
    out << name << "\n";
  }
  return exit_ok;
}

} // namespace

int run_user_command(int argc, const char* const* argv, std::istream& in, std::ostream& out,
                     std::ostream& err) {
  CLI::App app{"Manages the accounts of a boshmux users file.", "boshmux user"};
  app.require_subcommand(1);

  std::string name;
  std::string path;
  unsigned iterations = users_file::default_iterations;
  const auto add_file_option = [&path](CLI::App* sub) {
    sub->add_option("--users-file", path, "The users file")->required();
  };

  auto* add = app.add_subcommand(
      "add", "Adds a user or changes its password, read from standard input (never an argument)");
  add->add_option("name", name, "The user's localpart")->required();
  add_file_option(add);
  add->add_option("--iterations", iterations, "PBKDF2 iteration count")
      ->check(CLI::Range(min_iterations, users_file::max_iterations))
      ->capture_default_str();

  auto* del = app.add_subcommand("del", "Deletes a user");
  del->add_option("name", name, "The user's localpart")->required();
  add_file_option(del);

  auto* list = app.add_subcommand("list", "Lists the users, one per line");
  add_file_option(list);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e, out, err);
    return code == 0 ? exit_ok : exit_usage;
  }

  if (add->parsed()) {
    return run_add(name, path, iterations, in, out, err);
  }
  if (del->parsed()) {
    return run_del(name, path, out, err);
  }
  return run_list(path, out, err);
}

} // namespace boshmux::auth
