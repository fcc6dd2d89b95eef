#pragma once

#include "proto/sasl/mechanism.hpp"

#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace boshmux::auth {

/// One account of a users file: SCRAM salted credentials (RFC 5802 section 3), never the
/// password itself.
struct user_entry {
  /// SCRAM-SHA-1 credentials, when the line has a `scram-sha-1:` field.
  std::optional<proto::sasl::scram_credentials> sha1;
  /// SCRAM-SHA-256 credentials, when the line has a `scram-sha-256:` field.
  std::optional<proto::sasl::scram_credentials> sha256;
};

/// What users_file::load and users_file::parse return.
struct users_file_load_result;

/// The accounts of a users file, in memory.
///
/// Format: UTF-8 text, one account per line, fields separated by spaces or tabs:
///
///     alice scram-sha-1:4096:<salt>:<stored key>:<server key> scram-sha-256:4096:<salt>:...
///
/// The first field is the localpart in Nodeprep'd form. Each credential field is
/// `scram-sha-1` or `scram-sha-256`, the PBKDF2 iteration count in decimal, then the salt,
/// StoredKey and ServerKey in standard padded base64 (RFC 4648 section 4). A line has one or
/// two credential fields, each hash at most once (add_or_replace always writes both). Blank
/// lines and lines whose first non-blank character is '#' are ignored; a trailing CR is
/// ignored. save() rewrites the whole file, so comments are not kept.
class users_file {
public:
  /// Returns that many bytes from a CSPRNG (tests inject a fixed source).
  using random_source = std::function<std::string(std::size_t)>;

  /// PBKDF2 iteration count of new credentials (RFC 7677 section 4: at least 4096).
  static constexpr unsigned default_iterations = 4096;
  /// Largest iteration count accepted, which bounds the work of one PLAIN login.
  static constexpr unsigned max_iterations = 10'000'000;
  /// Salt length of new credentials, in bytes.
  static constexpr std::size_t salt_bytes = 16;
  /// Largest salt accepted when loading, in bytes.
  static constexpr std::size_t max_salt_bytes = 64;
  /// Largest file load() reads, in bytes.
  static constexpr std::size_t max_file_bytes = 64 * 1024 * 1024;

  /// What add_or_replace did.
  enum class add_status {
    /// A new account was created.
    added,
    /// The account existed; its credentials were replaced.
    replaced,
    /// The name fails SASLprep or Nodeprep in stored mode, is empty, or starts with '#'.
    invalid_name,
    /// The password is empty, fails SASLprep in stored mode, or is longer than PLAIN accepts.
    invalid_password,
    /// `iterations` is 0 or above max_iterations.
    invalid_iterations,
    /// The random source is unset or returned the wrong number of bytes, or key derivation
    /// failed.
    internal_error,
  };

  /// An empty file.
  users_file() = default;

  /// Reads and parses the file at `path` (at most max_file_bytes).
  /// @return the accounts, or an error message: "<path>: <reason>" when the file cannot be
  /// read (io_error is then set, e.g. to no_such_file_or_directory), "<path>:<line>:
  /// <reason>" for the first malformed line.
  static users_file_load_result load(const std::filesystem::path& path);

  /// Parses the text of a users file; errors read "line <n>: <reason>".
  static users_file_load_result parse(std::string_view text);

  /// The file's text, as save() writes it: a comment line, then the accounts sorted by name.
  std::string serialize() const;

  /// Writes serialize() to `path` atomically: a temporary file in the same directory with
  /// mode 0600, flushed to disk, then renamed over `path`.
  /// @return an empty string, or a message naming the failed step.
  [[nodiscard]] std::string save(const std::filesystem::path& path) const;

  /// Derives fresh SCRAM-SHA-1 and SCRAM-SHA-256 credentials for `password` (each with its
  /// own salt of salt_bytes from `random_bytes`) and stores them under `user` after
  /// SASLprep and Nodeprep (stored mode).
  [[nodiscard]] add_status add_or_replace(std::string_view user, std::string_view password,
                                          const random_source& random_bytes,
                                          unsigned iterations = default_iterations);

  /// Removes `user` (prepared in query mode first).
  /// @return true when the account existed.
  bool remove(std::string_view user);

  /// The account names, sorted.
  std::vector<std::string> list() const;

  /// The number of accounts.
  std::size_t size() const noexcept { return users_.size(); }

  /// The account named `user` (already Nodeprep'd), or nullptr.
  const user_entry* find(std::string_view user) const;

  /// The credentials of `user` (already Nodeprep'd) for hash `h`, or nullopt.
  std::optional<proto::sasl::scram_credentials> credentials_for(std::string_view user,
                                                                proto::sasl::hash_kind h) const;

  /// Checks a PLAIN password: derives SCRAM keys with the stored salt and iteration count
  /// (SHA-256 when the account has it, else SHA-1) and compares StoredKey in constant time.
  /// An unknown user costs a derivation too, so timing does not tell whether it exists.
  /// @param user the Nodeprep'd localpart.
  bool verify_password(std::string_view user, std::string_view password) const;

private:
  /// The accounts by Nodeprep'd name.
  std::map<std::string, user_entry, std::less<>> users_;
};

struct users_file_load_result {
  /// The accounts, when the file was read and every line parsed.
  std::optional<users_file> file;
  /// Otherwise why not (never a password or key).
  std::string error;
  /// Set when the file could not be read at all (as opposed to a malformed line).
  std::error_code io_error;
};

/// The credential store behind a users file, reloadable at run time (the server calls
/// reload() on SIGHUP). Single-threaded, like the rest of the engine.
class users_file_store final : public proto::sasl::credential_store {
public:
  /// What reload() did.
  struct reload_result {
    /// True when the new file replaced the old accounts.
    bool reloaded = false;
    /// A line for the log: the number of accounts, or why the old ones are kept.
    std::string message;
  };

  /// Serves `initial`, loaded from `path`; reload() reads `path` again.
  users_file_store(std::filesystem::path path, users_file initial);
  users_file_store(const users_file_store&) = delete;
  users_file_store& operator=(const users_file_store&) = delete;

  /// Loads `path` into a new store.
  /// @return the store, or nullptr with `error` set to load()'s message.
  static std::unique_ptr<users_file_store> open(const std::filesystem::path& path,
                                                std::string& error);

  /// Reads the file again. When it cannot be read or has a malformed line, the accounts
  /// loaded before stay in use.
  [[nodiscard]] reload_result reload();

  /// The accounts in use.
  const users_file& accounts() const noexcept { return file_; }

  /// The path reload() reads.
  const std::filesystem::path& path() const noexcept { return path_; }

  /// The stored credentials of `username` for `h`, as in the file.
  std::optional<proto::sasl::scram_credentials>
  scram_credentials_for(std::string_view username, proto::sasl::hash_kind h) override;

  /// `authcid` when users_file::verify_password accepts `password`, else nullopt.
  std::optional<std::string> verify_plain(std::string_view authcid,
                                          std::string_view password) override;

private:
  /// The file reload() reads.
  std::filesystem::path path_;
  /// The accounts in use.
  users_file file_;
};

} // namespace boshmux::auth
