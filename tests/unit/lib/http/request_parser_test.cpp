#include "lib/http/request_parser.hpp"
#include "tests/support/grind.hpp"

#include <boost/test/data/monomorphic.hpp>
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

using boshmux::http::parse_error;
using boshmux::http::parse_status;
using boshmux::http::request;
using boshmux::http::request_limits;
using boshmux::http::request_parser;
using boshmux::test::chunks;
using namespace std::string_literals;

/// What a parser produced for one input: a line per request, then the status of the error
/// that stopped it (0: none).
struct transcript {
  std::vector<std::string> requests;
  unsigned error = 0;

  bool operator==(const transcript&) const = default;
};

std::ostream& operator<<(std::ostream& os, const transcript& t) {
  os << "{";
  for (const auto& r : t.requests) {
    os << "\n  " << r;
  }
  return os << "\n} error " << t.error;
}

/// One line with everything a request holds.
std::string describe(const request& r) {
  std::string out = r.method + " " + r.target + " path=" + r.path + " HTTP/1." +
                    std::to_string(r.version_minor) + (r.keep_alive ? " keep-alive" : " close");
  for (const auto& h : r.headers) {
    out += " [" + h.name + ": " + h.value + "]";
  }
  return out + " body=" + r.body;
}

/// Feeds `input` in the given chunks to a fresh parser, taking every request as it completes.
transcript run_parser(const chunks& input, const request_limits& limits) {
  request_parser parser{limits};
  transcript t;
  for (std::string_view chunk : input) {
    for (;;) {
      const auto result = parser.feed(chunk);
      BOOST_TEST_REQUIRE(result.consumed <= chunk.size());
      chunk.remove_prefix(result.consumed);
      if (result.status == parse_status::complete) {
        t.requests.push_back(describe(parser.take()));
        continue;
      }
      if (result.status == parse_status::error) {
        t.error = status_of(parser.error());
        BOOST_TEST(!parser.error_reason().empty());
        return t;
      }
      BOOST_TEST(chunk.empty()); // need_more consumes everything
      break;
    }
  }
  return t;
}

/// The transcript of `input`, checked to be the same whole, split anywhere and byte by byte.
transcript grind_parser(std::string_view input, const request_limits& limits = {}) {
  return boshmux::test::grind(input, [&](const chunks& c) { return run_parser(c, limits); });
}

/// The single request of `input`, parsed in one piece.
request parse_one(std::string_view input, const request_limits& limits = {}) {
  request_parser parser{limits};
  const auto result = parser.feed(input);
  BOOST_TEST_REQUIRE((result.status == parse_status::complete));
  BOOST_TEST(result.consumed == input.size());
  return parser.take();
}

/// A GET whose header section (request line to the empty line) is exactly `size` bytes.
std::string get_with_header_section(std::size_t size) {
  const std::string head = "GET / HTTP/1.1\r\nX-Pad: ";
  const std::string tail = "\r\n\r\n";
  return head + std::string(size - head.size() - tail.size(), 'p') + tail;
}

/// A POST with a Content-Length body of `size` bytes.
std::string post_with_body(std::size_t size) {
  return "POST /http-bind HTTP/1.1\r\nContent-Length: " + std::to_string(size) + "\r\n\r\n" +
         std::string(size, 'b');
}

/// A chunked POST whose decoded body is `size` bytes, in chunks of at most 7 bytes.
std::string chunked_post_with_body(std::size_t size) {
  std::string out = "POST /http-bind HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  while (size > 0) {
    const std::size_t n = std::min<std::size_t>(size, 7);
    out += std::to_string(n) + "\r\n" + std::string(n, 'c') + "\r\n";
    size -= n;
  }
  return out + "0\r\n\r\n";
}

} // namespace

BOOST_AUTO_TEST_SUITE(request_parser_tests)

BOOST_AUTO_TEST_CASE(parses_a_get_with_lower_cased_headers) {
  const auto t = grind_parser("GET /http-bind?x=1&y=2 HTTP/1.1\r\n"
                              "Host: bosh.example\r\n"
                              "User-Agent: Strophe/1.6\r\n"
                              "X-Mixed-CASE:  padded value \t\r\n"
                              "\r\n");
  BOOST_TEST(t == (transcript{{"GET /http-bind?x=1&y=2 path=/http-bind HTTP/1.1 keep-alive "
                               "[host: bosh.example] [user-agent: Strophe/1.6] "
                               "[x-mixed-case: padded value] body="},
                              0}));
}

BOOST_AUTO_TEST_CASE(parses_a_post_with_content_length_body) {
  const std::string body = "<body rid='1' xmlns='http://jabber.org/protocol/httpbind'/>";
  const auto t = grind_parser("POST /http-bind HTTP/1.1\r\n"
                              "Host: bosh.example\r\n"
                              "Content-Type: text/plain; charset=UTF-8\r\n"
                              "Content-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + body);
  BOOST_TEST(t == (transcript{{"POST /http-bind path=/http-bind HTTP/1.1 keep-alive "
                               "[host: bosh.example] [content-type: text/plain; charset=UTF-8] "
                               "[content-length: 59] body=" +
                               body},
                              0}));
}

BOOST_AUTO_TEST_CASE(decodes_a_chunked_body_and_ignores_trailers) {
  const auto t = grind_parser("POST /http-bind HTTP/1.1\r\n"
                              "Transfer-Encoding: chunked\r\n"
                              "\r\n"
                              "5\r\nhello\r\n"
                              "6;ext=1\r\n world\r\n"
                              "0\r\n"
                              "X-Trailer: ignored\r\n"
                              "\r\n");
  BOOST_TEST(t == (transcript{{"POST /http-bind path=/http-bind HTTP/1.1 keep-alive "
                               "[transfer-encoding: chunked] body=hello world"},
                              0}));
}

BOOST_AUTO_TEST_CASE(accepts_chunked_in_any_case) {
  const auto r = parse_one("POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\n"
                           "3\r\nabc\r\n0\r\n\r\n");
  BOOST_TEST(r.body == "abc");
}

BOOST_AUTO_TEST_CASE(returns_pipelined_requests_one_by_one_in_order) {
  const std::string input = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                            "POST /b HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
                            "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "2\r\nde\r\n0\r\n\r\n"
                            "GET /d HTTP/1.1\r\nConnection: close\r\n\r\n";
  const auto t = grind_parser(input);
  BOOST_TEST(t == (transcript{{"GET /a path=/a HTTP/1.1 keep-alive [host: x] body=",
                               "POST /b path=/b HTTP/1.1 keep-alive [content-length: 3] body=abc",
                               "POST /c path=/c HTTP/1.1 keep-alive [transfer-encoding: chunked] "
                               "body=de",
                               "GET /d path=/d HTTP/1.1 close [connection: close] body="},
                              0}));

  // feed() stops after each request and says how far it read.
  request_parser parser;
  std::string_view rest = input;
  std::vector<std::string> paths;
  for (;;) {
    const auto result = parser.feed(rest);
    rest.remove_prefix(result.consumed);
    if (result.status != parse_status::complete) {
      break;
    }
    BOOST_TEST(!parser.in_request());
    paths.push_back(parser.take().path);
    if (paths.size() == 1) {
      BOOST_TEST(rest.starts_with("POST /b"));
    }
  }
  BOOST_TEST(paths == (std::vector<std::string>{"/a", "/b", "/c", "/d"}));
  BOOST_TEST(rest.empty());
}

BOOST_AUTO_TEST_CASE(applies_keep_alive_rules_of_http_1_0_and_1_1) {
  BOOST_TEST(parse_one("GET / HTTP/1.1\r\n\r\n").keep_alive);
  BOOST_TEST(!parse_one("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").keep_alive);
  BOOST_TEST(!parse_one("GET / HTTP/1.1\r\nConnection: Close\r\n\r\n").keep_alive);
  BOOST_TEST(!parse_one("GET / HTTP/1.0\r\n\r\n").keep_alive);
  BOOST_TEST(parse_one("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive);
  BOOST_TEST(parse_one("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive);
  BOOST_TEST(parse_one("GET / HTTP/1.0\r\n\r\n").version_minor == 0U);
  // An upgrade request is answered and the connection closes: no protocol switch here.
  BOOST_TEST(
      !parse_one("GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n").keep_alive);
}

BOOST_AUTO_TEST_CASE(discards_bytes_after_a_request_that_closes) {
  const auto t = grind_parser("GET /a HTTP/1.0\r\n\r\nGET /b HTTP/1.1\r\n\r\ngarbage");
  BOOST_TEST(t == (transcript{{"GET /a path=/a HTTP/1.0 close body="}, 0}));
}

BOOST_AUTO_TEST_CASE(keeps_repeated_and_empty_headers_in_order) {
  const auto t = grind_parser("GET / HTTP/1.1\r\n"
                              "Accept: a\r\n"
                              "X-Empty:\r\n"
                              "Accept: b\r\n"
                              "\r\n");
  BOOST_TEST(t == (transcript{{"GET / path=/ HTTP/1.1 keep-alive [accept: a] [x-empty: ] "
                               "[accept: b] body="},
                              0}));
  const auto r = parse_one("GET / HTTP/1.1\r\nAccept: a\r\nAccept: b\r\n\r\n");
  BOOST_TEST_REQUIRE(r.find_header("accept") != nullptr);
  BOOST_TEST(*r.find_header("accept") == "a");
  BOOST_TEST(r.find_header("host") == nullptr);
}

BOOST_AUTO_TEST_CASE(takes_the_path_of_absolute_form_targets) {
  BOOST_TEST(parse_one("GET http://bosh.example:5280/http-bind?a HTTP/1.1\r\n\r\n").path ==
             "/http-bind");
  BOOST_TEST(parse_one("GET HTTP://bosh.example HTTP/1.1\r\n\r\n").path == "/");
  BOOST_TEST(parse_one("OPTIONS * HTTP/1.1\r\n\r\n").path == "*");
}

BOOST_AUTO_TEST_CASE(skips_empty_lines_before_a_request) {
  const auto t = grind_parser("\r\n\r\nGET / HTTP/1.1\r\n\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
  BOOST_TEST(t.requests.size() == 2U);
  BOOST_TEST(t.error == 0U);
}

BOOST_AUTO_TEST_CASE(tracks_whether_a_request_is_in_progress) {
  request_parser parser;
  BOOST_TEST(!parser.in_request());
  BOOST_TEST((parser.feed("\r\n").status == parse_status::need_more));
  BOOST_TEST(!parser.in_request());
  BOOST_TEST((parser.feed("PO").status == parse_status::need_more));
  BOOST_TEST(parser.in_request());
  BOOST_TEST((parser.feed("ST / HTTP/1.1\r\nContent-Length: 1\r\n\r\n").status ==
              parse_status::need_more));
  BOOST_TEST(parser.in_request());
  BOOST_TEST((parser.feed("x").status == parse_status::complete));
  BOOST_TEST(!parser.in_request());
  BOOST_TEST(parser.take().body == "x");
  BOOST_TEST(!parser.closed());
}

BOOST_AUTO_TEST_CASE(asks_for_100_continue_only_while_the_body_is_awaited) {
  request_parser parser;
  BOOST_TEST(
      (parser.feed("POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n").status ==
       parse_status::need_more));
  BOOST_TEST(parser.take_continue());
  BOOST_TEST(!parser.take_continue()); // once
  BOOST_TEST((parser.feed("ok").status == parse_status::complete));
  BOOST_TEST(parser.take().body == "ok");

  // The body came with the headers: no interim response is due.
  BOOST_TEST((parser.feed("POST / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\nok")
                  .status == parse_status::complete));
  BOOST_TEST(!parser.take_continue());
  parser.take();

  // Never to HTTP/1.0 (RFC 7231 section 5.1.1), never without a body.
  BOOST_TEST(
      (parser.feed("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n").status ==
       parse_status::need_more));
  BOOST_TEST(!parser.take_continue());
  parser.reset();
  BOOST_TEST((parser.feed("GET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n").status ==
              parse_status::complete));
  BOOST_TEST(!parser.take_continue());
}

BOOST_AUTO_TEST_CASE(header_section_limit_is_exact) {
  const request_limits limits{256, 1024};
  BOOST_TEST(get_with_header_section(255).size() == 255U);
  BOOST_TEST(grind_parser(get_with_header_section(255), limits).requests.size() == 1U);
  BOOST_TEST(grind_parser(get_with_header_section(256), limits).requests.size() == 1U);
  const auto over = grind_parser(get_with_header_section(257), limits);
  BOOST_TEST(over == (transcript{{}, 431}));
  // An endless header is refused once the limit is reached, not when it ends.
  request_parser parser{limits};
  const auto result = parser.feed("GET /" + std::string(1000, 'u'));
  BOOST_TEST((result.status == parse_status::error));
  BOOST_TEST(result.consumed == 256U);
  BOOST_TEST((parser.error() == parse_error::header_too_large));
}

BOOST_AUTO_TEST_CASE(header_section_limit_applies_to_each_pipelined_request) {
  const request_limits limits{256, 1024};
  const std::string two = get_with_header_section(256) + get_with_header_section(256);
  BOOST_TEST(grind_parser(two, limits).requests.size() == 2U);
  const std::string second_too_big = get_with_header_section(256) + get_with_header_section(257);
  const auto t = grind_parser(second_too_big, limits);
  BOOST_TEST(t.requests.size() == 1U);
  BOOST_TEST(t.error == 431U);
}

BOOST_AUTO_TEST_CASE(default_header_limit_is_8_kib) {
  BOOST_TEST(run_parser({get_with_header_section(8192)}, {}).requests.size() == 1U);
  BOOST_TEST(run_parser({get_with_header_section(8193)}, {}).error == 431U);
}

BOOST_AUTO_TEST_CASE(content_length_limit_is_exact_and_checked_up_front) {
  const request_limits limits{1024, 100};
  BOOST_TEST(grind_parser(post_with_body(99), limits).requests.size() == 1U);
  BOOST_TEST(grind_parser(post_with_body(100), limits).requests.size() == 1U);
  BOOST_TEST(grind_parser(post_with_body(101), limits) == (transcript{{}, 413}));
  // Refused when the headers end, before any body byte arrives.
  request_parser parser{limits};
  const auto result = parser.feed("POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n");
  BOOST_TEST((result.status == parse_status::error));
  BOOST_TEST((parser.error() == parse_error::body_too_large));
  BOOST_TEST(status_of(parser.error()) == 413U);
  // A later feed reports the same error and consumes nothing.
  const auto again = parser.feed("more");
  BOOST_TEST((again.status == parse_status::error));
  BOOST_TEST(again.consumed == 0U);
}

BOOST_AUTO_TEST_CASE(chunked_body_limit_is_exact_and_checked_as_data_arrives) {
  const request_limits limits{1024, 100};
  BOOST_TEST(grind_parser(chunked_post_with_body(99), limits).requests.size() == 1U);
  BOOST_TEST(grind_parser(chunked_post_with_body(100), limits).requests.size() == 1U);
  BOOST_TEST(grind_parser(chunked_post_with_body(101), limits) == (transcript{{}, 413}));
  // One oversized chunk is refused from its size line.
  request_parser parser{limits};
  const auto result =
      parser.feed("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\n");
  BOOST_TEST((result.status == parse_status::error));
  BOOST_TEST((parser.error() == parse_error::body_too_large));
}

BOOST_AUTO_TEST_CASE(default_body_limit_is_1_mib) {
  BOOST_TEST(run_parser({post_with_body(1024 * 1024)}, {}).requests.size() == 1U);
  BOOST_TEST(run_parser({post_with_body(1024 * 1024 + 1)}, {}).error == 413U);
}

BOOST_AUTO_TEST_CASE(endless_trailers_are_bounded) {
  const request_limits limits{1024, 100};
  const std::string input =
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: " + std::string(200, 't') +
      "\r\n\r\n";
  BOOST_TEST(grind_parser(input, limits) == (transcript{{}, 413}));
}

/// A request the parser must refuse, with the status it must answer.
struct refusal {
  std::string_view what;
  std::string input;
  unsigned status;
};

std::ostream& operator<<(std::ostream& os, const refusal& r) {
  return os << r.what;
}

const std::vector<refusal> refusals = {
    {"not HTTP at all", "GARBAGE\r\n\r\n", 400},
    {"binary noise", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"s, 400},
    {"NUL in the request line", "GET /\0 HTTP/1.1\r\n\r\n"s, 400},
    {"lower-case method", "get / HTTP/1.1\r\n\r\n", 400},
    {"HTTP/0.9 request line", "GET /\r\n\r\n", 505},
    {"unknown version", "GET / HTTP/1.7\r\n\r\n", 400},
    {"header without colon", "GET / HTTP/1.1\r\nBad Header\r\n\r\n", 400},
    {"space before the colon", "GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400},
    {"control character in a header value", "GET / HTTP/1.1\r\nX: a\x01z\r\n\r\n", 400},
    {"content-length not a number", "POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n", 400},
    {"negative content-length", "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
    {"two different content-lengths",
     "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400},
    {"content-length with chunked (smuggling)",
     "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
    {"bad chunk size", "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
    {"chunk without its CRLF",
     "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc\r\n0\r\n\r\n", 400},
    {"gzip transfer coding", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
    {"gzip then chunked", "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
    {"error after a good request", "GET / HTTP/1.1\r\n\r\nBLAH BLAH\r\n\r\n", 400},
};

BOOST_DATA_TEST_CASE(refuses_malformed_requests, boost::unit_test::data::make(refusals), r) {
  const auto t = grind_parser(r.input);
  BOOST_TEST(t.error == r.status);
}

BOOST_AUTO_TEST_CASE(an_error_after_a_good_request_comes_after_it) {
  const auto t = grind_parser("GET /ok HTTP/1.1\r\n\r\nBLAH BLAH\r\n\r\n");
  BOOST_TEST(t == (transcript{{"GET /ok path=/ok HTTP/1.1 keep-alive body="}, 400}));
}

BOOST_AUTO_TEST_CASE(survives_mutated_input_with_the_same_result_in_any_chunking) {
  // A small deterministic fuzzer: valid requests with random bytes flipped, inserted and
  // deleted must never crash the parser, and chunking must not change the outcome.
  const std::vector<std::string> seeds = {
      "POST /http-bind HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nT: x\r\n\r\n",
      "GET /x?y HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.1\r\n\r\n",
  };
  const request_limits limits{128, 64};
  std::minstd_rand rng(20240601);
  const auto pick = [&](std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(rng()) % n; };
  for (int i = 0; i < 3000; ++i) {
    std::string input = seeds[pick(seeds.size())];
    const std::size_t mutations = 1 + pick(4);
    for (std::size_t m = 0; m < mutations; ++m) {
      const std::size_t at = pick(input.size());
      const char byte = static_cast<char>(rng() & 0xff);
      switch (pick(4)) {
      case 0:
        input[at] = byte;
        break;
      case 1:
        input.insert(at, 1, byte);
        break;
      case 2:
        input.erase(at, 1);
        break;
      default:
        input.insert(at, input.substr(pick(input.size()), pick(40)));
        break;
      }
    }
    BOOST_TEST_CONTEXT("mutation " << i) {
      const auto whole = run_parser(boshmux::test::whole(input), limits);
      BOOST_TEST(run_parser(boshmux::test::byte_by_byte(input), limits) == whole);
      BOOST_TEST(run_parser(boshmux::test::split_at(input, pick(input.size() + 1)), limits) ==
                 whole);
    }
  }
}

BOOST_AUTO_TEST_CASE(reset_starts_over) {
  request_parser parser;
  BOOST_TEST((parser.feed("NONSENSE\r\n").status == parse_status::error));
  parser.reset();
  BOOST_TEST((parser.error() == parse_error::none));
  BOOST_TEST((parser.feed("GET / HTTP/1.1\r\n\r\n").status == parse_status::complete));
}

BOOST_AUTO_TEST_CASE(maps_each_error_to_its_status) {
  BOOST_TEST(status_of(parse_error::none) == 0U);
  BOOST_TEST(status_of(parse_error::bad_request) == 400U);
  BOOST_TEST(status_of(parse_error::header_too_large) == 431U);
  BOOST_TEST(status_of(parse_error::body_too_large) == 413U);
  BOOST_TEST(status_of(parse_error::unsupported_transfer_encoding) == 501U);
  BOOST_TEST(status_of(parse_error::version_not_supported) == 505U);
}

BOOST_AUTO_TEST_SUITE_END()
