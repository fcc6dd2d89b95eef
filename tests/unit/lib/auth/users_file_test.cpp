#include "lib/auth/users_file.hpp"
#include "proto/common/base64.hpp"
#include "proto/sasl/scram.hpp"
#include "tests/support/temp_dir.hpp"

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <vector>

BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<std::string>)
BOOST_TEST_DONT_PRINT_LOG_VALUE(std::optional<boshmux::proto::sasl::scram_credentials>)

namespace {

using boshmux::auth::users_file;
using boshmux::auth::users_file_store;
using boshmux::proto::sasl::hash_kind;

namespace fs = std::filesystem;

/// `s` as an engaged optional, for comparisons.
std::optional<std::string> some(std::string s) {
  return s;
}

/// Few iterations: the tests check the format, not the cost.
constexpr unsigned fast_iterations = 64;

/// A fresh directory, removed with its contents at the end of the test.
using boshmux::test::temp_dir;

/// A deterministic random source: 1, 2, 3, ... continuing across calls.
users_file::random_source counting_random() {
  return [next = 0u](std::size_t count) mutable {
    std::string bytes;
    for (std::size_t i = 0; i < count; ++i) {
      bytes.push_back(static_cast<char>(++next & 0xffu));
    }
    return bytes;
  };
}

/// The bytes of the file at `path`.
std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// Writes `text` to `path`.
void write_all(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

/// A file with alice (password "correct horse") and bob ("hunter2").
users_file two_users() {
  users_file file;
  auto random = counting_random();
  BOOST_REQUIRE(file.add_or_replace("alice", "correct horse", random, fast_iterations) ==
                users_file::add_status::added);
  BOOST_REQUIRE(file.add_or_replace("bob", "hunter2", random, fast_iterations) ==
                users_file::add_status::added);
  return file;
}

/// One valid account line for "carol".
std::string carol_line() {
  users_file file;
  BOOST_REQUIRE(file.add_or_replace("carol", "pw", counting_random(), fast_iterations) ==
                users_file::add_status::added);
  const auto text = file.serialize();
  const auto start = text.find("carol ");
  BOOST_REQUIRE(start != std::string::npos);
  return text.substr(start, text.find('\n', start) - start);
}

/// Compares two credential sets field by field.
void check_same(const boshmux::proto::sasl::scram_credentials& a,
                const boshmux::proto::sasl::scram_credentials& b) {
  BOOST_TEST(a.salt == b.salt);
  BOOST_TEST(a.iterations == b.iterations);
  BOOST_TEST(a.stored_key == b.stored_key);
  BOOST_TEST(a.server_key == b.server_key);
}

} // namespace

BOOST_AUTO_TEST_SUITE(users_file_tests)

BOOST_AUTO_TEST_CASE(round_trips_through_save_and_load) {
  const temp_dir dir;
  const auto path = dir.path / "users";
  const auto file = two_users();
  BOOST_TEST(file.save(path) == "");

  const auto loaded = users_file::load(path);
  BOOST_TEST_REQUIRE(loaded.error == "");
  BOOST_REQUIRE(loaded.file);
  BOOST_TEST(loaded.file->list() == (std::vector<std::string>{"alice", "bob"}),
             boost::test_tools::per_element());
  for (const auto* name : {"alice", "bob"}) {
    for (const auto h : {hash_kind::sha1, hash_kind::sha256}) {
      BOOST_TEST_CONTEXT(name << " " << (h == hash_kind::sha1 ? "sha1" : "sha256")) {
        const auto before = file.credentials_for(name, h);
        const auto after = loaded.file->credentials_for(name, h);
        BOOST_REQUIRE(before);
        BOOST_REQUIRE(after);
        check_same(*before, *after);
      }
    }
  }
  BOOST_TEST(loaded.file->serialize() == file.serialize());
  BOOST_TEST(loaded.file->verify_password("bob", "hunter2"));
}

BOOST_AUTO_TEST_CASE(writes_no_plaintext_password) {
  const temp_dir dir;
  const auto path = dir.path / "users";
  BOOST_TEST(two_users().save(path) == "");
  const auto bytes = read_all(path);
  BOOST_TEST(bytes.find("alice") != std::string::npos);
  for (const std::string& password : std::vector<std::string>{"correct horse", "hunter2"}) {
    BOOST_TEST(bytes.find(password) == std::string::npos);
    BOOST_TEST(bytes.find(boshmux::proto::base64_encode(password)) == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(writes_the_documented_line_format) {
  const auto line = carol_line();
  // carol scram-sha-1:64:<24 chars>:<28 chars>:<28 chars> scram-sha-256:64:<24>:<44>:<44>
  BOOST_TEST(line.starts_with("carol scram-sha-1:64:"));
  const auto sha256 = line.find(" scram-sha-256:64:");
  BOOST_REQUIRE(sha256 != std::string::npos);
  BOOST_TEST(line.size() - sha256 ==
             std::string(" scram-sha-256:64:").size() + 24 + 1 + 44 + 1 + 44);
  BOOST_TEST(sha256 == std::string("carol scram-sha-1:64:").size() + 24 + 1 + 28 + 1 + 28);
  BOOST_TEST(two_users().serialize().starts_with("# boshmux users file"));
}

BOOST_AUTO_TEST_CASE(saves_atomically_with_mode_0600) {
  const temp_dir dir;
  const auto path = dir.path / "users";
  write_all(path, "# old\n");
  ::chmod(path.c_str(), 0644);
  BOOST_TEST(two_users().save(path) == "");
  struct stat st {};
  BOOST_REQUIRE(::stat(path.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  // Only the file itself is left: the temporary file was renamed over it.
  BOOST_TEST(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

BOOST_AUTO_TEST_CASE(reports_a_save_into_a_missing_directory) {
  const temp_dir dir;
  const auto error = two_users().save(dir.path / "missing" / "users");
  BOOST_TEST(error.find("missing") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(verifies_passwords) {
  const auto file = two_users();
  BOOST_TEST(file.verify_password("alice", "correct horse"));
  BOOST_TEST(!file.verify_password("alice", "correct horse "));
  BOOST_TEST(!file.verify_password("alice", "hunter2"));
  BOOST_TEST(!file.verify_password("alice", ""));
  BOOST_TEST(!file.verify_password("carol", "correct horse"));
  BOOST_TEST(!file.verify_password("Alice", "correct horse")); // callers pass Nodeprep'd names
}

BOOST_AUTO_TEST_CASE(applies_saslprep_to_passwords) {
  users_file file;
  // U+00A0 NO-BREAK SPACE maps to a plain space under SASLprep (RFC 4013 section 2.1).
  BOOST_REQUIRE(file.add_or_replace("dave",
                                    "a\xC2\xA0"
                                    "b",
                                    counting_random(),
                                    fast_iterations) == users_file::add_status::added);
  BOOST_TEST(file.verify_password("dave", "a b"));
}

BOOST_AUTO_TEST_CASE(scram_credentials_match_derive_scram_credentials) {
  const auto file = two_users();
  for (const auto h : {hash_kind::sha1, hash_kind::sha256}) {
    const auto creds = file.credentials_for("alice", h);
    BOOST_REQUIRE(creds);
    BOOST_TEST(creds->salt.size() == users_file::salt_bytes);
    BOOST_TEST(creds->iterations == fast_iterations);
    const auto expected = boshmux::proto::sasl::derive_scram_credentials(
        "correct horse", creds->salt, creds->iterations, h);
    BOOST_REQUIRE(expected);
    check_same(*creds, *expected);
  }
  const auto sha1 = file.credentials_for("alice", hash_kind::sha1);
  const auto sha256 = file.credentials_for("alice", hash_kind::sha256);
  BOOST_TEST(sha1->salt != sha256->salt); // each hash has its own salt
  BOOST_TEST(!file.credentials_for("nobody", hash_kind::sha256));
}

BOOST_AUTO_TEST_CASE(uses_the_default_iteration_count) {
  users_file file;
  BOOST_REQUIRE(file.add_or_replace("erin", "pw", counting_random()) ==
                users_file::add_status::added);
  BOOST_TEST(file.credentials_for("erin", hash_kind::sha256)->iterations == 4096u);
  BOOST_TEST(file.verify_password("erin", "pw"));
}

BOOST_AUTO_TEST_CASE(prepares_names_and_replaces_accounts) {
  users_file file;
  auto random = counting_random();
  BOOST_TEST((file.add_or_replace("Alice", "one", random, fast_iterations) ==
              users_file::add_status::added));
  BOOST_TEST(file.list() == (std::vector<std::string>{"alice"}), boost::test_tools::per_element());
  BOOST_TEST((file.add_or_replace("ALICE", "two", random, fast_iterations) ==
              users_file::add_status::replaced));
  BOOST_TEST(file.size() == 1u);
  BOOST_TEST(!file.verify_password("alice", "one"));
  BOOST_TEST(file.verify_password("alice", "two"));
}

BOOST_AUTO_TEST_CASE(refuses_invalid_names_passwords_and_settings) {
  users_file file;
  const auto random = counting_random();
  for (const std::string& name :
       {std::string(), std::string("a b"), std::string("a@b"), std::string("a/b"),
        std::string("a:b"), std::string("<x>"), std::string("#hash"), std::string("a\tb"),
        std::string("a\0b", 3), std::string("\xFF")}) {
    BOOST_TEST_CONTEXT("name " << boshmux::proto::base64_encode(name)) {
      BOOST_TEST((file.add_or_replace(name, "pw", random, fast_iterations) ==
                  users_file::add_status::invalid_name));
    }
  }
  for (const std::string& password :
       {std::string(), std::string("a\x01"), std::string(256, 'x'), std::string("\xFF")}) {
    BOOST_TEST_CONTEXT("password of " << password.size() << " bytes") {
      BOOST_TEST((file.add_or_replace("frank", password, random, fast_iterations) ==
                  users_file::add_status::invalid_password));
    }
  }
  BOOST_TEST((file.add_or_replace("frank", std::string(255, 'x'), random, fast_iterations) ==
              users_file::add_status::added));
  BOOST_TEST((file.add_or_replace("frank", "pw", random, 0) ==
              users_file::add_status::invalid_iterations));
  BOOST_TEST((file.add_or_replace("frank", "pw", random, users_file::max_iterations + 1) ==
              users_file::add_status::invalid_iterations));
  BOOST_TEST((file.add_or_replace("frank", "pw", {}, fast_iterations) ==
              users_file::add_status::internal_error));
  const users_file::random_source short_random = [](std::size_t n) {
    return std::string(n - 1, 'x');
  };
  BOOST_TEST((file.add_or_replace("frank", "pw", short_random, fast_iterations) ==
              users_file::add_status::internal_error));
  BOOST_TEST(file.list() == (std::vector<std::string>{"frank"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(removes_and_lists_users) {
  auto file = two_users();
  BOOST_TEST(file.remove("Alice")); // prepared before the lookup
  BOOST_TEST(!file.remove("alice"));
  BOOST_TEST(!file.remove("a@b"));
  BOOST_TEST(file.list() == (std::vector<std::string>{"bob"}), boost::test_tools::per_element());
  BOOST_TEST(!file.verify_password("alice", "correct horse"));
  BOOST_TEST(file.remove("bob"));
  BOOST_TEST(file.list().empty());
  BOOST_TEST(users_file::parse(file.serialize()).file->size() == 0u);
}

BOOST_AUTO_TEST_CASE(ignores_comments_blank_lines_and_crlf) {
  const auto line = carol_line();
  const auto parsed =
      users_file::parse("# comment\n\n   \n\t# indented comment\r\n  " + line + "  \r\n#end");
  BOOST_TEST_REQUIRE(parsed.error == "");
  BOOST_TEST(parsed.file->list() == (std::vector<std::string>{"carol"}),
             boost::test_tools::per_element());
  BOOST_TEST(parsed.file->verify_password("carol", "pw"));
  BOOST_TEST(users_file::parse("").file->size() == 0u);
}

BOOST_AUTO_TEST_CASE(accepts_a_line_with_one_hash_only) {
  const auto line = carol_line();
  const auto sha256_only = "carol" + line.substr(line.find(" scram-sha-256:"));
  const auto parsed = users_file::parse(sha256_only + "\n");
  BOOST_TEST_REQUIRE(parsed.error == "");
  BOOST_TEST(!parsed.file->credentials_for("carol", hash_kind::sha1));
  BOOST_TEST(parsed.file->credentials_for("carol", hash_kind::sha256));
  BOOST_TEST(parsed.file->verify_password("carol", "pw"));

  const auto sha1_only = line.substr(0, line.find(" scram-sha-256:"));
  const auto parsed1 = users_file::parse(sha1_only);
  BOOST_TEST_REQUIRE(parsed1.error == "");
  BOOST_TEST(parsed1.file->verify_password("carol", "pw"));
  BOOST_TEST(!parsed1.file->verify_password("carol", "wrong"));
}

BOOST_AUTO_TEST_CASE(reports_malformed_lines_with_their_number) {
  const auto line = carol_line();
  const auto sha1_field = line.substr(6, line.find(" scram-sha-256:") - 6);
  const auto sha256_field = line.substr(line.find("scram-sha-256:"));
  const auto replace = [](std::string text, const std::string& from, const std::string& to) {
    const auto at = text.find(from);
    BOOST_REQUIRE(at != std::string::npos);
    return text.replace(at, from.size(), to);
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"carol", "one or two credential fields"},
      {line + " " + sha256_field, "one or two credential fields"},
      {"carol " + sha1_field + " " + sha1_field, "more than one scram-sha-1"},
      {"Carol " + sha1_field, "not a Nodeprep'd localpart"},
      {"a@b " + sha1_field, "not a Nodeprep'd localpart"},
      {replace(line, "scram-sha-1:", "scram-md5:"), "unknown credential type"},
      {replace(line, "scram-sha-1:64:", "scram-sha-1:0:"), "iteration count"},
      {replace(line, "scram-sha-1:64:", "scram-sha-1:-1:"), "iteration count"},
      {replace(line, "scram-sha-1:64:", "scram-sha-1:x:"), "iteration count"},
      {replace(line, "scram-sha-1:64:", "scram-sha-1::"), "iteration count"},
      {replace(line, "scram-sha-1:64:", "scram-sha-1:99999999999:"), "iteration count"},
      {replace(line, "scram-sha-1:64:", "scram-sha-1:64:!"), "salt"},
      {replace(line, "scram-sha-1:64:", "scram-sha-1:64::"), "TYPE:ITERATIONS"},
      {"carol scram-sha-1:64::AAAA:AAAA", "salt"},
      {"carol scram-sha-256:64:AAAA:AAAA:AAAA", "stored key must be 32 bytes"},
      {replace(line, " scram-sha-256:", " scram-sha-256:64:"), "TYPE:ITERATIONS"},
  };
  for (const auto& [bad, why] : cases) {
    BOOST_TEST_CONTEXT(bad) {
      const auto parsed =
          users_file::parse("# users\ndave" + line.substr(5) + "\n" + bad + "\nbob\n");
      BOOST_TEST(!parsed.file);
      BOOST_TEST(parsed.error.starts_with("line 3: "), parsed.error);
      BOOST_TEST(parsed.error.find(why) != std::string::npos, parsed.error);
    }
  }
  const auto duplicate = users_file::parse(line + "\n\n" + line);
  BOOST_TEST(duplicate.error == "line 3: user 'carol' appears more than once");
}

BOOST_AUTO_TEST_CASE(load_names_the_file_and_line) {
  const temp_dir dir;
  const auto path = dir.path / "users";
  write_all(path, "# users\nbroken\n");
  const auto loaded = users_file::load(path);
  BOOST_TEST(!loaded.file);
  BOOST_TEST(loaded.error.starts_with(path.string() + ":2: "), loaded.error);
  BOOST_TEST(!loaded.io_error);

  const auto missing = users_file::load(dir.path / "nope");
  BOOST_TEST(!missing.file);
  BOOST_TEST((missing.io_error == std::errc::no_such_file_or_directory));
  BOOST_TEST(missing.error.starts_with((dir.path / "nope").string() + ": "));

  const auto directory = users_file::load(dir.path);
  BOOST_TEST(!directory.file);
  BOOST_TEST(directory.io_error);

  // A FIFO is refused at once instead of blocking the reader.
  const auto fifo = dir.path / "fifo";
  BOOST_REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const auto from_fifo = users_file::load(fifo);
  BOOST_TEST(!from_fifo.file);
  BOOST_TEST(from_fifo.error.find("not a regular file") != std::string::npos, from_fifo.error);
}

BOOST_AUTO_TEST_CASE(store_serves_credentials_and_plain) {
  const temp_dir dir;
  const auto path = dir.path / "users";
  BOOST_REQUIRE(two_users().save(path) == "");
  std::string error;
  const auto store = users_file_store::open(path, error);
  BOOST_REQUIRE(store);
  BOOST_TEST(error == "");
  BOOST_TEST(store->verify_plain("alice", "correct horse") == some("alice"));
  BOOST_TEST(!store->verify_plain("alice", "hunter2"));
  BOOST_TEST(!store->verify_plain("nobody", "hunter2"));
  BOOST_TEST(store->scram_credentials_for("bob", hash_kind::sha1));
  BOOST_TEST(!store->scram_credentials_for("nobody", hash_kind::sha1));

  BOOST_TEST(!users_file_store::open(dir.path / "nope", error));
  BOOST_TEST(error.find("nope") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(reload_keeps_old_accounts_when_the_file_is_broken) {
  const temp_dir dir;
  const auto path = dir.path / "users";
  BOOST_REQUIRE(two_users().save(path) == "");
  std::string error;
  const auto store = users_file_store::open(path, error);
  BOOST_REQUIRE(store);

  write_all(path, carol_line() + "\nthis line is broken\n");
  const auto broken = store->reload();
  BOOST_TEST(!broken.reloaded);
  BOOST_TEST(broken.message.find(path.string() + ":2:") != std::string::npos, broken.message);
  BOOST_TEST(broken.message.find("keeping the 2 accounts") != std::string::npos, broken.message);
  BOOST_TEST(store->verify_plain("alice", "correct horse"));
  BOOST_TEST(!store->verify_plain("carol", "pw"));

  fs::remove(path);
  BOOST_TEST(!store->reload().reloaded);
  BOOST_TEST(store->accounts().size() == 2u);

  write_all(path, carol_line() + "\n");
  const auto good = store->reload();
  BOOST_TEST(good.reloaded);
  BOOST_TEST(good.message.find("reloaded: 1 account") != std::string::npos, good.message);
  BOOST_TEST(store->verify_plain("carol", "pw"));
  BOOST_TEST(!store->verify_plain("alice", "correct horse"));
}

BOOST_AUTO_TEST_SUITE_END()
