#include "lib/auth/user_command.hpp"
#include "lib/auth/users_file.hpp"
#include "tests/support/temp_dir.hpp"

#include <boost/test/unit_test.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace {

using boshmux::auth::run_user_command;
using boshmux::auth::users_file;

namespace fs = std::filesystem;

/// A fresh directory, removed with its contents at the end of the test.
using boshmux::test::temp_dir;

/// What one run produced.
struct run_result {
  int code = -1;
  std::string out;
  std::string err;
};

/// Runs `boshmux user <args>` with `input` on standard input.
run_result run(std::initializer_list<std::string> args, const std::string& input = "") {
  std::vector<std::string> owned{"user"};
  owned.insert(owned.end(), args);
  std::vector<const char*> argv;
  for (const auto& a : owned) {
    argv.push_back(a.c_str());
  }
  std::istringstream in(input);
  std::ostringstream out;
  std::ostringstream err;
  const int code = run_user_command(static_cast<int>(argv.size()), argv.data(), in, out, err);
  return {code, out.str(), err.str()};
}

/// The bytes of the file at `path`.
std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// The accounts in `path`; fails the test when it does not load.
users_file load(const fs::path& path) {
  auto loaded = users_file::load(path);
  BOOST_TEST_REQUIRE(loaded.error == "");
  return std::move(*loaded.file);
}

} // namespace

BOOST_AUTO_TEST_SUITE(user_command_tests)

BOOST_AUTO_TEST_CASE(add_creates_the_file_with_the_password_from_stdin) {
  const temp_dir dir;
  const auto path = (dir.path / "users").string();
  const auto r = run({"add", "Alice", "--users-file", path}, "s3cret pass\n");
  BOOST_TEST(r.code == 0, r.err);
  BOOST_TEST(r.out.find("alice") != std::string::npos);
  const auto file = load(path);
  BOOST_TEST(file.verify_password("alice", "s3cret pass"));
  BOOST_TEST(!file.verify_password("alice", "s3cret pass\n"));
  BOOST_TEST(read_all(path).find("s3cret") == std::string::npos);
  struct stat st {};
  BOOST_REQUIRE(::stat(path.c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
  BOOST_TEST(file.credentials_for("alice", boshmux::proto::sasl::hash_kind::sha1)->iterations ==
             4096u);
}

BOOST_AUTO_TEST_CASE(add_replaces_a_password_and_keeps_other_users) {
  const temp_dir dir;
  const auto path = (dir.path / "users").string();
  BOOST_TEST(run({"add", "alice", "--users-file", path}, "one\r\n").code == 0);
  BOOST_TEST(run({"add", "bob", "--users-file", path}, "two").code == 0); // no final newline
  BOOST_TEST(run({"add", "alice", "--users-file", path, "--iterations", "5000"}, "three\n").code ==
             0);
  const auto file = load(path);
  BOOST_TEST(file.verify_password("alice", "three"));
  BOOST_TEST(!file.verify_password("alice", "one"));
  BOOST_TEST(file.verify_password("bob", "two"));
  BOOST_TEST(file.credentials_for("alice", boshmux::proto::sasl::hash_kind::sha256)->iterations ==
             5000u);
}

BOOST_AUTO_TEST_CASE(lists_and_deletes_users) {
  const temp_dir dir;
  const auto path = (dir.path / "users").string();
  for (const auto* name : {"carol", "alice", "bob"}) {
    BOOST_TEST(run({"add", name, "--users-file", path}, "pw\n").code == 0);
  }
  auto r = run({"list", "--users-file", path});
  BOOST_TEST(r.code == 0);
  BOOST_TEST(r.out == "alice\nbob\ncarol\n");

  r = run({"del", "BOB", "--users-file", path});
  BOOST_TEST(r.code == 0, r.err);
  BOOST_TEST(run({"list", "--users-file", path}).out == "alice\ncarol\n");
  BOOST_TEST(load(path).verify_password("alice", "pw"));

  r = run({"del", "bob", "--users-file", path});
  BOOST_TEST(r.code == 1);
  BOOST_TEST(r.err.find("no user bob") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(never_takes_the_password_from_argv) {
  const temp_dir dir;
  const auto path = (dir.path / "users").string();
  auto r = run({"add", "alice", "hunter2", "--users-file", path}, "pw\n");
  BOOST_TEST(r.code == 2);
  BOOST_TEST(r.err.find("hunter2") != std::string::npos, r.err); // named as unexpected
  BOOST_TEST(!fs::exists(path));
  r = run({"add", "alice", "--users-file", path, "--password", "hunter2"}, "pw\n");
  BOOST_TEST(r.code == 2);
  BOOST_TEST(!fs::exists(path));
  r = run({"list", "extra", "--users-file", path});
  BOOST_TEST(r.code == 2);
}

BOOST_AUTO_TEST_CASE(rejects_invalid_names_with_exit_2) {
  const temp_dir dir;
  const auto path = (dir.path / "users").string();
  for (const auto* name : {"a@b", "a b", "a/b", "#admin", "", "a:b"}) {
    BOOST_TEST_CONTEXT(name) {
      const auto r = run({"add", name, "--users-file", path}, "pw\n");
      BOOST_TEST(r.code == 2);
      BOOST_TEST(r.err.find("invalid user name") != std::string::npos, r.err);
    }
  }
  BOOST_TEST(!fs::exists(path));
  BOOST_TEST(run({"del", "a@b", "--users-file", path}).code == 2);
}

BOOST_AUTO_TEST_CASE(rejects_bad_usage_with_exit_2) {
  const temp_dir dir;
  const auto path = (dir.path / "users").string();
  BOOST_TEST(run({}).code == 2);
  BOOST_TEST(run({"rename", "alice", "--users-file", path}).code == 2);
  BOOST_TEST(run({"add", "alice"}, "pw\n").code == 2);
  BOOST_TEST(run({"add", "--users-file", path}, "pw\n").code == 2);
  BOOST_TEST(run({"list"}).code == 2);
  BOOST_TEST(run({"add", "alice", "--users-file", path, "--iterations", "4095"}, "pw\n").code == 2);
  BOOST_TEST(run({"add", "alice", "--users-file", path, "--iterations", "x"}, "pw\n").code == 2);
  BOOST_TEST(!fs::exists(path));

  const auto help = run({"--help"});
  BOOST_TEST(help.code == 0);
  BOOST_TEST(help.out.find("add") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rejects_missing_or_unusable_passwords) {
  const temp_dir dir;
  const auto path = (dir.path / "users").string();
  auto r = run({"add", "alice", "--users-file", path}, "");
  BOOST_TEST(r.code == 2);
  BOOST_TEST(r.err.find("no password") != std::string::npos, r.err);
  BOOST_TEST(run({"add", "alice", "--users-file", path}, "\n").code == 2);
  BOOST_TEST(run({"add", "alice", "--users-file", path}, "bad\x01pw\n").code == 2);
  BOOST_TEST(run({"add", "alice", "--users-file", path}, std::string(256, 'x') + "\n").code == 2);
  BOOST_TEST(!fs::exists(path));
}

BOOST_AUTO_TEST_CASE(reports_file_problems_with_exit_1) {
  const temp_dir dir;
  const auto path = (dir.path / "users").string();
  BOOST_TEST(run({"list", "--users-file", path}).code == 1);
  BOOST_TEST(run({"del", "alice", "--users-file", path}).code == 1);

  const auto missing_dir = (dir.path / "no" / "users").string();
  BOOST_TEST(run({"add", "alice", "--users-file", missing_dir}, "pw\n").code == 1);

  std::ofstream(path) << "alice\n";
  const auto r = run({"add", "bob", "--users-file", path}, "pw\n");
  BOOST_TEST(r.code == 1);
  BOOST_TEST(r.err.find(path + ":1:") != std::string::npos, r.err);
  BOOST_TEST(read_all(path) == "alice\n"); // a broken file is left alone
  BOOST_TEST(run({"list", "--users-file", path}).code == 1);
}

BOOST_AUTO_TEST_SUITE_END()
