#include "lib/auth/users_file.hpp"

#include "proto/common/base64.hpp"
#include "proto/common/sha1.hpp"
#include "proto/jid/jid.hpp"
#include "proto/sasl/plain.hpp"
#include "proto/sasl/scram.hpp"

#include <cerrno>
#include <charconv>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace boshmux::auth {

namespace {

using proto::sasl::hash_kind;
using proto::sasl::scram_credentials;

/// The field prefix of each hash in the file.
constexpr std::string_view sha1_tag = "scram-sha-1";
constexpr std::string_view sha256_tag = "scram-sha-256";

/// The first line save() writes.
constexpr std::string_view file_header =
    "# boshmux users file: NAME scram-sha-1:ITERATIONS:SALT:STOREDKEY:SERVERKEY "
    "scram-sha-256:ITERATIONS:SALT:STOREDKEY:SERVERKEY (base64)\n"
    "# Written by `boshmux user add|del`; holds no passwords.\n";

/// Salt of the derivation done for an unknown user, so that it costs what a real one does.
constexpr std::string_view unknown_user_salt = "boshmux-unknown-user-salt";

/// Digest length of `h`, in bytes.
constexpr std::size_t digest_bytes(hash_kind h) noexcept {
  return h == hash_kind::sha256 ? 32 : 20;
}

/// Splits `text` at runs of spaces and tabs.
std::vector<std::string_view> split_fields(std::string_view text) {
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto start = text.find_first_not_of(" \t", i);
    if (start == std::string_view::npos) {
      break;
    }
    auto end = text.find_first_of(" \t", start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    fields.push_back(text.substr(start, end - start));
    i = end;
  }
  return fields;
}

/// Splits `text` at every ':'.
std::vector<std::string_view> split_colons(std::string_view text) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto colon = text.find(':', start);
    if (colon == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, colon - start));
    start = colon + 1;
  }
}

/// Parses one `scram-sha-*:...` field into `entry`; returns an error message or "".
std::string parse_credential_field(std::string_view field, user_entry& entry) {
  const auto parts = split_colons(field);
  if (parts.size() != 5) {
    return "a credential field must be TYPE:ITERATIONS:SALT:STOREDKEY:SERVERKEY";
  }
  hash_kind h{};
  std::optional<scram_credentials>* slot = nullptr;
  if (parts[0] == sha1_tag) {
    h = hash_kind::sha1;
    slot = &entry.sha1;
  } else if (parts[0] == sha256_tag) {
    h = hash_kind::sha256;
    slot = &entry.sha256;
  } else {
    return "unknown credential type '" + std::string(parts[0]) +
           "' (expected scram-sha-1 or scram-sha-256)";
  }
  const std::string tag(parts[0]);
  if (slot->has_value()) {
    return "more than one " + tag + " field";
  }

  scram_credentials creds;
  const auto iterations = parts[1];
  const auto* end = iterations.data() + iterations.size();
  const auto [ptr, ec] = std::from_chars(iterations.data(), end, creds.iterations);
  if (iterations.empty() || ec != std::errc{} || ptr != end || creds.iterations == 0 ||
      creds.iterations > users_file::max_iterations) {
    return tag + ": the iteration count must be a number from 1 to " +
           std::to_string(users_file::max_iterations);
  }
  auto salt = proto::base64_decode(parts[2]);
  if (!salt || salt->empty() || salt->size() > users_file::max_salt_bytes) {
    return tag + ": the salt must be 1 to " + std::to_string(users_file::max_salt_bytes) +
           " bytes in base64";
  }
  auto stored_key = proto::base64_decode(parts[3]);
  auto server_key = proto::base64_decode(parts[4]);
  if (!stored_key || stored_key->size() != digest_bytes(h)) {
    return tag + ": the stored key must be " + std::to_string(digest_bytes(h)) + " bytes in base64";
  }
  if (!server_key || server_key->size() != digest_bytes(h)) {
    return tag + ": the server key must be " + std::to_string(digest_bytes(h)) + " bytes in base64";
  }
  creds.salt = std::move(*salt);
  creds.stored_key = std::move(*stored_key);
  creds.server_key = std::move(*server_key);
  *slot = std::move(creds);
  return {};
}

/// The file form of `creds` under `tag`.
std::string format_credentials(std::string_view tag, const scram_credentials& creds) {
  std::string out(tag);
  out += ':';
  out += std::to_string(creds.iterations);
  out += ':';
  out += proto::base64_encode(creds.salt);
  out += ':';
  out += proto::base64_encode(creds.stored_key);
  out += ':';
  out += proto::base64_encode(creds.server_key);
  return out;
}

/// "<what>: <strerror(err)>".
std::string errno_message(const std::string& what, int err) {
  return what + ": " + std::generic_category().message(err);
}

/// "1 account", "2 accounts".
std::string count_accounts(std::size_t n) {
  return std::to_string(n) + (n == 1 ? " account" : " accounts");
}

/// Writes all of `data` to `fd`.
bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const auto n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

/// Closes a file descriptor on scope exit unless released.
class fd_guard {
public:
  explicit fd_guard(int fd) noexcept
      : fd_(fd) {}
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  ~fd_guard() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  /// The descriptor.
  int get() const noexcept { return fd_; }
  /// Closes now; returns close()'s result.
  int close() noexcept {
    const int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

private:
  /// The descriptor, or -1.
  int fd_;
};

/// Exactly `count` bytes from `random_bytes`, or nullopt.
std::optional<std::string> draw(const users_file::random_source& random_bytes, std::size_t count) {
  if (!random_bytes) {
    return std::nullopt;
  }
  auto bytes = random_bytes(count);
  if (bytes.size() != count) {
    return std::nullopt;
  }
  return bytes;
}

} // namespace

users_file_load_result users_file::parse(std::string_view text) {
  users_file out;
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const auto newline = text.find('\n');
    auto line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    if (line.ends_with('\r')) {
      line.remove_suffix(1);
    }
    const auto fields = split_fields(line);
    if (fields.empty() || fields.front().starts_with('#')) {
      continue;
    }
    const auto fail = [line_number](const std::string& why) {
      return users_file_load_result{
          std::nullopt, "line " + std::to_string(line_number) + ": " + why, {}};
    };
    const auto name = fields.front();
    const auto prepared = proto::jid::nodeprep(name);
    if (!prepared || prepared->empty() || *prepared != name) {
      return fail("the user name is not a Nodeprep'd localpart");
    }
    if (out.users_.contains(name)) {
      return fail("user '" + std::string(name) + "' appears more than once");
    }
    if (fields.size() < 2 || fields.size() > 3) {
      return fail("expected a user name and one or two credential fields");
    }
    user_entry entry;
    for (std::size_t i = 1; i < fields.size(); ++i) {
      if (auto why = parse_credential_field(fields[i], entry); !why.empty()) {
        return fail(why);
      }
    }
    out.users_.emplace(std::string(name), std::move(entry));
  }
  return {std::move(out), {}, {}};
}

users_file_load_result users_file::load(const std::filesystem::path& path) {
  const auto fail = [&path](std::error_code ec, const std::string& why) {
    return users_file_load_result{std::nullopt, path.string() + ": " + why, ec};
  };
  // O_NONBLOCK: a FIFO put in place of the file must not hang a reload; it is refused below.
  const fd_guard fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0) {
    const int err = errno;
    return fail(std::error_code(err, std::generic_category()),
                std::generic_category().message(err));
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    const int err = errno;
    return fail(std::error_code(err, std::generic_category()),
                std::generic_category().message(err));
  }
  if (!S_ISREG(st.st_mode)) {
    return fail(std::make_error_code(std::errc::invalid_argument), "not a regular file");
  }
  std::string text;
  char buffer[65536];
  while (true) {
    const auto n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      const int err = errno;
      return fail(std::error_code(err, std::generic_category()),
                  std::generic_category().message(err));
    }
    if (n == 0) {
      break;
    }
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > max_file_bytes) {
      return fail(std::make_error_code(std::errc::file_too_large),
                  "larger than " + std::to_string(max_file_bytes) + " bytes");
    }
  }
  auto result = parse(text);
  if (!result.file) {
    result.error = path.string() + ":" + result.error.substr(std::string_view("line ").size());
  }
  return result;
}

std::string users_file::serialize() const {
  std::string out(file_header);
  for (const auto& [name, entry] : users_) {
    out += name;
    if (entry.sha1) {
      out += ' ';
      out += format_credentials(sha1_tag, *entry.sha1);
    }
    if (entry.sha256) {
      out += ' ';
      out += format_credentials(sha256_tag, *entry.sha256);
    }
    out += '\n';
  }
  return out;
}

std::string users_file::save(const std::filesystem::path& path) const {
  const auto directory = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  auto temp = (directory / ("." + path.filename().string() + ".tmp.XXXXXX")).string();
  // mkostemp creates the file with O_EXCL and mode 0600.
  fd_guard fd(::mkostemp(temp.data(), O_CLOEXEC));
  if (fd.get() < 0) {
    return errno_message(temp, errno);
  }
  const auto give_up = [&temp](const std::string& what, int err) {
    ::unlink(temp.c_str());
    return errno_message(temp + ": " + what, err);
  };
  if (::fchmod(fd.get(), S_IRUSR | S_IWUSR) != 0) {
    return give_up("chmod", errno);
  }
  if (!write_all(fd.get(), serialize())) {
    return give_up("write", errno);
  }
  if (::fsync(fd.get()) != 0) {
    return give_up("fsync", errno);
  }
  if (fd.close() != 0) {
    return give_up("close", errno);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(temp.c_str());
    return errno_message("rename " + temp + " to " + path.string(), err);
  }
  // Make the rename itself durable; some file systems refuse fsync on a directory, and the
  // new file is in place either way, so a failure here is not reported.
  const fd_guard dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() >= 0) {
    ::fsync(dir.get());
  }
  return {};
}

users_file::add_status users_file::add_or_replace(std::string_view user, std::string_view password,
                                                  const random_source& random_bytes,
                                                  unsigned iterations) {
  using proto::jid::prep_mode;
  if (iterations == 0 || iterations > max_iterations) {
    return add_status::invalid_iterations;
  }
  // As PLAIN and SCRAM prepare the name a client sends: SASLprep, then Nodeprep.
  const auto sasl_name = proto::jid::saslprep(user, prep_mode::stored);
  const auto name = sasl_name ? proto::jid::nodeprep(*sasl_name, prep_mode::stored) : std::nullopt;
  if (!name || name->empty() || name->starts_with('#')) {
    return add_status::invalid_name;
  }
  const auto prepared_password = proto::jid::saslprep(password, prep_mode::stored);
  if (password.empty() || password.size() > proto::sasl::plain_mechanism::max_plain_field_bytes ||
      !prepared_password || prepared_password->empty()) {
    return add_status::invalid_password;
  }
  user_entry entry;
  for (const hash_kind h : {hash_kind::sha1, hash_kind::sha256}) {
    const auto salt = draw(random_bytes, salt_bytes);
    if (!salt) {
      return add_status::internal_error;
    }
    auto creds = proto::sasl::derive_scram_credentials(password, *salt, iterations, h);
    if (!creds) {
      return add_status::internal_error;
    }
    (h == hash_kind::sha1 ? entry.sha1 : entry.sha256) = std::move(*creds);
  }
  const auto [it, inserted] = users_.insert_or_assign(*name, std::move(entry));
  return inserted ? add_status::added : add_status::replaced;
}

bool users_file::remove(std::string_view user) {
  const auto sasl_name = proto::jid::saslprep(user);
  const auto name = sasl_name ? proto::jid::nodeprep(*sasl_name) : std::nullopt;
  if (!name) {
    return false;
  }
  return users_.erase(*name) > 0;
}

std::vector<std::string> users_file::list() const {
  std::vector<std::string> names;
  names.reserve(users_.size());
  for (const auto& [name, entry] : users_) {
    names.push_back(name);
  }
  return names;
}

const user_entry* users_file::find(std::string_view user) const {
  const auto it = users_.find(user);
  return it == users_.end() ? nullptr : &it->second;
}

std::optional<scram_credentials> users_file::credentials_for(std::string_view user,
                                                             hash_kind h) const {
  const auto* entry = find(user);
  if (entry == nullptr) {
    return std::nullopt;
  }
  return h == hash_kind::sha256 ? entry->sha256 : entry->sha1;
}

bool users_file::verify_password(std::string_view user, std::string_view password) const {
  const auto* entry = find(user);
  if (entry == nullptr) {
    // Spend what a known user costs, then fail.
    (void)proto::sasl::derive_scram_credentials(password, unknown_user_salt, default_iterations,
                                                hash_kind::sha256);
    return false;
  }
  const hash_kind h = entry->sha256 ? hash_kind::sha256 : hash_kind::sha1;
  const auto& stored = entry->sha256 ? *entry->sha256 : *entry->sha1;
  const auto derived =
      proto::sasl::derive_scram_credentials(password, stored.salt, stored.iterations, h);
  return derived && proto::constant_time_equal(derived->stored_key, stored.stored_key);
}

users_file_store::users_file_store(std::filesystem::path path, users_file initial)
    : path_(std::move(path))
    , file_(std::move(initial)) {}

std::unique_ptr<users_file_store> users_file_store::open(const std::filesystem::path& path,
                                                         std::string& error) {
  auto loaded = users_file::load(path);
  if (!loaded.file) {
    error = std::move(loaded.error);
    return nullptr;
  }
  error.clear();
  return std::make_unique<users_file_store>(path, std::move(*loaded.file));
}

users_file_store::reload_result users_file_store::reload() {
  auto loaded = users_file::load(path_);
  if (!loaded.file) {
    return {false, "users file not reloaded, keeping the " + count_accounts(file_.size()) +
                       " loaded before: " + loaded.error};
  }
  file_ = std::move(*loaded.file);
  return {true, "users file " + path_.string() + " reloaded: " + count_accounts(file_.size())};
}

std::optional<scram_credentials> users_file_store::scram_credentials_for(std::string_view username,
                                                                         hash_kind h) {
  return file_.credentials_for(username, h);
}

std::optional<std::string> users_file_store::verify_plain(std::string_view authcid,
                                                          std::string_view password) {
  if (!file_.verify_password(authcid, password)) {
    return std::nullopt;
  }
  return std::string(authcid);
}

} // namespace boshmux::auth
