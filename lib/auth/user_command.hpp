#pragma once

#include <iosfwd>

namespace boshmux::auth {

/// Runs `boshmux user add|del|list`, which manages a users file (see users_file.hpp):
///
///     boshmux user add NAME --users-file F [--iterations N]   create F when missing
///     boshmux user del NAME --users-file F
///     boshmux user list --users-file F                        one name per line on `out`
///
/// `argv[0]` is "user". The password of `add` is never taken from the command line: it is
/// one line read from `in`. When `in` is std::cin and standard input is a terminal, the
/// prompt goes to `err`, echo is turned off, and the password is asked twice; both must
/// match. Messages go to `err`, except `list` output and --help, which go to `out`.
/// @return 0 on success; 2 on bad usage (unknown option, extra argument, missing name or
/// file), an invalid name (SASLprep or Nodeprep in stored mode fails), or an unusable
/// password; 1 when the file cannot be read, is malformed, cannot be written, or `del`
/// names no account.
int run_user_command(int argc, const char* const* argv, std::istream& in, std::ostream& out,
                     std::ostream& err);

} // namespace boshmux::auth
