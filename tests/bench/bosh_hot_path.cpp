// Micro-benchmark of the BOSH hot path: parse a typical request carrying one message, run it
// through the session machine (the payload comes back as the answer, as an echo would), and
// serialise the HTTP response. Run: build/tests/bench/bosh_hot_path
#include "lib/http/response_writer.hpp"
#include "proto/bosh/body.hpp"
#include "proto/bosh/session_machine.hpp"

#include <benchmark/benchmark.h>

namespace {

using namespace boshmux::proto::bosh;

const std::string message =
    "<message xmlns='jabber:client' to='juliet@capulet.example/balcony' type='chat' "
    "id='ktx72v49'><body>Art thou not Romeo, and a Montague?</body></message>";

void bosh_request_to_response(benchmark::State& state) {
  session_limits limits;
  limits.enforce_overactivity = false;
  request_body creation;
  (void)parse_request("<body rid='1000' to='bosh.example' ver='1.11' wait='60' hold='1' "
                      "xmlns='http://jabber.org/protocol/httpbind'/>",
                      {}, creation);
  auto machine = std::move(std::get<std::unique_ptr<session_machine>>(session_machine::create(
      creation, "n1-0123456789abcdef0123456789abcdef", "bosh.example", {}, limits)));
  time_point now{};
  actions out;
  machine->creation_received(1, creation, now, out);
  (void)machine->send("<stream:features/>", now, out);
  std::uint64_t rid = 1001;
  std::uint64_t request_id = 2;
  std::string text;
  for (auto _ : state) {
    text = "<body rid='" + std::to_string(rid++) +
           "' sid='n1-0123456789abcdef0123456789abcdef' "
           "xmlns='http://jabber.org/protocol/httpbind'>" +
           message + "</body>";
    request_body body;
    if (parse_request(text, {}, body)) {
      state.SkipWithError("parse failed");
      break;
    }
    out.clear();
    machine->request_received(request_id++, std::move(body), now, out);
    for (auto& a : out) {
      if (auto* d = std::get_if<deliver>(&a)) {
        (void)machine->send(d->payloads.front(), now, out);
        break;
      }
    }
    for (const auto& a : out) {
      if (const auto* r = std::get_if<respond>(&a); r && !r->body->empty()) {
        boshmux::http::response resp;
        resp.body = *r->body;
        benchmark::DoNotOptimize(boshmux::http::serialize_response(resp, {}));
      }
    }
  }
}
BENCHMARK(bosh_request_to_response);

} // namespace

BENCHMARK_MAIN();
