#include "lib/http/response_writer.hpp"

#include <boost/test/unit_test.hpp>
#include <string>

namespace {

using boshmux::http::framing;
using boshmux::http::response;
using boshmux::http::serialize_response;

response xml_response(std::string body) {
  response r;
  r.body = std::move(body);
  return r;
}

} // namespace

BOOST_AUTO_TEST_SUITE(response_writer_tests)

BOOST_AUTO_TEST_CASE(writes_a_keep_alive_response_byte_exact) {
  const auto out = serialize_response(xml_response("<body/>"), framing{});
  BOOST_TEST(out == "HTTP/1.1 200 OK\r\n"
                    "Content-Type: text/xml; charset=utf-8\r\n"
                    "Content-Length: 7\r\n"
                    "Cache-Control: no-store\r\n"
                    "Connection: keep-alive\r\n"
                    "\r\n"
                    "<body/>");
}

BOOST_AUTO_TEST_CASE(writes_connection_close) {
  const auto out = serialize_response(xml_response(""), framing{false, false, {}});
  BOOST_TEST(out == "HTTP/1.1 200 OK\r\n"
                    "Content-Type: text/xml; charset=utf-8\r\n"
                    "Content-Length: 0\r\n"
                    "Cache-Control: no-store\r\n"
                    "Connection: close\r\n"
                    "\r\n");
}

BOOST_AUTO_TEST_CASE(counts_content_length_in_bytes_of_utf8) {
  // "é" is 2 bytes, "☺" 3, "𝄞" 4: 1 + 2 + 3 + 4 = 10 bytes for 4 characters.
  const std::string body = "a\xC3\xA9\xE2\x98\xBA\xF0\x9D\x84\x9E";
  const auto out = serialize_response(xml_response(body), framing{});
  BOOST_TEST(out.find("Content-Length: 10\r\n") != std::string::npos);
  BOOST_TEST(out.ends_with("\r\n\r\n" + body));
}

BOOST_AUTO_TEST_CASE(adds_cors_headers_and_extra_headers_in_order) {
  response r = xml_response("x");
  r.headers.push_back({"X-One", "1"});
  r.headers.push_back({"X-Two", "2"});
  const auto with_origin = serialize_response(r, framing{true, false, "https://app.example"});
  BOOST_TEST(with_origin == "HTTP/1.1 200 OK\r\n"
                            "Content-Type: text/xml; charset=utf-8\r\n"
                            "Content-Length: 1\r\n"
                            "Cache-Control: no-store\r\n"
                            "Connection: keep-alive\r\n"
                            "Access-Control-Allow-Origin: https://app.example\r\n"
                            "Vary: Origin\r\n"
                            "X-One: 1\r\n"
                            "X-Two: 2\r\n"
                            "\r\n"
                            "x");
  const auto any = serialize_response(r, framing{true, false, "*"});
  BOOST_TEST(any.find("Access-Control-Allow-Origin: *\r\nX-One: 1\r\n") != std::string::npos);
  BOOST_TEST(any.find("Vary") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(head_keeps_the_length_but_not_the_body) {
  const auto out = serialize_response(xml_response("<body/>"), framing{true, true, {}});
  BOOST_TEST(out == "HTTP/1.1 200 OK\r\n"
                    "Content-Type: text/xml; charset=utf-8\r\n"
                    "Content-Length: 7\r\n"
                    "Cache-Control: no-store\r\n"
                    "Connection: keep-alive\r\n"
                    "\r\n");
}

BOOST_AUTO_TEST_CASE(no_content_has_no_length_type_or_body) {
  response r = xml_response("ignored");
  r.status = 204;
  r.headers.push_back({"Access-Control-Max-Age", "86400"});
  const auto out = serialize_response(r, framing{true, false, "*"});
  BOOST_TEST(out == "HTTP/1.1 204 No Content\r\n"
                    "Cache-Control: no-store\r\n"
                    "Connection: keep-alive\r\n"
                    "Access-Control-Allow-Origin: *\r\n"
                    "Access-Control-Max-Age: 86400\r\n"
                    "\r\n");
}

BOOST_AUTO_TEST_CASE(drops_framing_headers_and_neutralises_line_breaks) {
  response r = xml_response("ok");
  r.headers.push_back({"Content-Length", "999"});
  r.headers.push_back({"connection", "upgrade"});
  r.headers.push_back({"Transfer-Encoding", "chunked"});
  r.headers.push_back({"Bad\r\nName", "x"});
  r.headers.push_back({"", "empty name"});
  r.headers.push_back({"X-Split", "a\r\nSet-Cookie: evil\0z"});
  const auto out = serialize_response(r, framing{});
  BOOST_TEST(out == "HTTP/1.1 200 OK\r\n"
                    "Content-Type: text/xml; charset=utf-8\r\n"
                    "Content-Length: 2\r\n"
                    "Cache-Control: no-store\r\n"
                    "Connection: keep-alive\r\n"
                    "X-Split: a  Set-Cookie: evil\r\n"
                    "\r\n"
                    "ok");
  std::string with_nul = "a";
  with_nul.push_back('\0');
  with_nul += "b";
  r.headers = {{"X-Nul", with_nul}};
  BOOST_TEST(serialize_response(r, framing{}).find("X-Nul: a b\r\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(error_responses_are_small_text) {
  const auto r = boshmux::http::error_response(404);
  BOOST_TEST(r.status == 404U);
  BOOST_TEST(r.content_type == "text/plain; charset=utf-8");
  BOOST_TEST(r.body == "404 Not Found\n");
  const auto out =
      serialize_response(boshmux::http::error_response(431), framing{false, false, {}});
  BOOST_TEST(out == "HTTP/1.1 431 Request Header Fields Too Large\r\n"
                    "Content-Type: text/plain; charset=utf-8\r\n"
                    "Content-Length: 36\r\n"
                    "Cache-Control: no-store\r\n"
                    "Connection: close\r\n"
                    "\r\n"
                    "431 Request Header Fields Too Large\n");
}

BOOST_AUTO_TEST_CASE(knows_the_reason_phrases_it_uses) {
  using boshmux::http::reason_phrase;
  BOOST_TEST(reason_phrase(200) == "OK");
  BOOST_TEST(reason_phrase(204) == "No Content");
  BOOST_TEST(reason_phrase(400) == "Bad Request");
  BOOST_TEST(reason_phrase(404) == "Not Found");
  BOOST_TEST(reason_phrase(405) == "Method Not Allowed");
  BOOST_TEST(reason_phrase(408) == "Request Timeout");
  BOOST_TEST(reason_phrase(413) == "Payload Too Large");
  BOOST_TEST(reason_phrase(431) == "Request Header Fields Too Large");
  BOOST_TEST(reason_phrase(501) == "Not Implemented");
  BOOST_TEST(reason_phrase(505) == "HTTP Version Not Supported");
  BOOST_TEST(reason_phrase(299) == "Unknown");
  BOOST_TEST(boshmux::http::continue_response == "HTTP/1.1 100 Continue\r\n\r\n");
}

BOOST_AUTO_TEST_SUITE_END()
