// Helpers for bench/mqtt_bench.sh:
//
//   mqtt_load sign WORKSPACE FROM PEER AGENT COUNT     signed envelopes, one a line, on stdout
//   mqtt_load verify-bound FILE                       Ed25519 verifications a second, one core
//   mqtt_load publish WORKSPACE FROM PEER AGENT COUNT  bwoc's publisher, one thread: sign, spool
//                                                      (group commit), publish (a line once all
//                                                      are); then wait for every verified receipt
//   mqtt_load wait-size FILE BYTES SECONDS             returns once FILE holds BYTES
//
// Prints one JSON object per measurement on stdout (sign prints envelopes).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>
#include <iostream>
#include <string>
#include <vector>

#include "bwoc/core/envelope.h"
#include "bwoc/core/routes.h"
#include "bwoc/core/workspace.h"
#include "bwoc/mqtt/publisher.h"

namespace {

using Clock = std::chrono::steady_clock;

int die(const std::string& what) {
  std::cerr << "mqtt_load: " << what << "\n";
  return 1;
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct Sender {
  std::optional<bwoc::Workspace> ws;
  std::optional<bwoc::SecretKey> key;
  bwoc::PeerRoute peer;
};

bwoc::Result<Sender> open_sender(const std::string& dir, const std::string& peer_key) {
  Sender s;
  BWOC_ASSIGN_OR_RETURN(bwoc::Workspace ws, bwoc::Workspace::open(dir));
  s.ws.emplace(std::move(ws));
  BWOC_ASSIGN_OR_RETURN(bwoc::SecretKey key, s.ws->load_secret_key());
  s.key.emplace(std::move(key));
  BWOC_ASSIGN_OR_RETURN(bwoc::Routes routes, bwoc::Routes::load(s.ws->routes_file(), s.ws->root()));
  const bwoc::PeerRoute* p = routes.find(peer_key);
  if (p == nullptr) return bwoc::Error(bwoc::Errc::not_found, "no peer " + peer_key);
  s.peer = *p;
  return s;
}

bwoc::Result<std::string> sign_one(const Sender& s, const std::string& from, const std::string& agent, int i) {
  bwoc::EnvelopeDraft d;
  d.kind = "message";
  d.from = from;
  d.to = agent;
  d.aud = s.peer.pubkey;
  d.payload = bwoc::json::Value::object();
  d.payload.set("n", i);
  // About 1 KiB in all, as in the envelope and A2A benchmarks.
  d.payload.set("text", std::string(700, 'x'));
  return bwoc::sign_envelope(d, *s.key);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return die("usage: mqtt_load sign|verify-bound|publish ...");
  const std::string& mode = args[0];
  if ((mode == "sign" || mode == "publish") && args.size() == 6) {
    auto sender = open_sender(args[1], args[3]);
    if (!sender.ok()) return die(sender.error().message());
    int count = std::stoi(args[5]);
    if (mode == "sign") {
      for (int i = 0; i < count; ++i) {
        auto text = sign_one(*sender, args[2], args[4], i);
        if (!text.ok()) return die(text.error().message());
        std::fwrite(text->data(), 1, text->size(), stdout);
        std::fputc('\n', stdout);
      }
      return 0;
    }
    if (!sender->peer.mqtt) return die("the peer has no mqtt route");
    auto t0 = Clock::now();
    auto publisher = bwoc::mqtt::Publisher::open(*sender->ws, sender->peer.mqtt->broker);
    if (!publisher.ok()) return die(publisher.error().message());
    std::string topic = bwoc::mqtt::agent_topic(sender->peer.mqtt->topic, args[4], "inbox");
    for (int i = 0; i < count; ++i) {
      auto text = sign_one(*sender, args[2], args[4], i);
      if (!text.ok()) return die(text.error().message());
      std::string id = bwoc::parse_envelope(*text).value().id;
      bwoc::mqtt::Outgoing m{*text, id, args[2], args[3] + "/" + args[4], topic, sender->peer.pubkey};
      if (auto st = (*publisher)->publish(m); !st.ok()) return die(st.error().message());
    }
    (*publisher)->flush();  // every envelope in the spool, fdatasynced, and published
    double published = seconds_since(t0);
    // A line at once, so that a script can start the receiver only now.
    std::printf("{\"count\":%d,\"published_per_s\":%.0f}\n", count, count / published);
    std::fflush(stdout);
    auto pending = (*publisher)->wait(std::chrono::seconds(120));
    if (!pending.ok()) return die(pending.error().message());
    double confirmed = seconds_since(t0);
    std::printf("{\"count\":%d,\"published_per_s\":%.0f,\"confirmed_per_s\":%.0f,\"unconfirmed\":%zu}\n", count,
                count / published, count / confirmed, pending->size());
    return 0;
  }
  if (mode == "wait-size" && args.size() == 4) {
    // Polls the file's size every millisecond (a stat, no reading), so that
    // watching costs the measured process nothing.
    std::uintmax_t want = std::stoull(args[2]);
    auto deadline = Clock::now() + std::chrono::seconds(std::stoi(args[3]));
    std::error_code ec;
    while (Clock::now() < deadline) {
      auto size = std::filesystem::file_size(args[1], ec);
      if (!ec && size >= want) return 0;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return die("timed out waiting for " + args[1] + " to reach " + args[2] + " bytes");
  }
  if (mode == "verify-bound" && args.size() == 2) {
    std::ifstream in(args[1]);
    std::vector<bwoc::Envelope> envelopes;
    for (std::string line; std::getline(in, line);) {
      auto e = bwoc::parse_envelope(line);
      if (!e.ok()) return die("unparsable envelope in " + args[1]);
      envelopes.push_back(std::move(e).value());
    }
    if (envelopes.empty()) return die("no envelopes in " + args[1]);
    std::string scratch;
    auto t0 = Clock::now();
    std::size_t bad = 0;
    for (const auto& e : envelopes) bad += bwoc::verify_signature(e, scratch) ? 0 : 1;
    double s = seconds_since(t0);
    if (bad != 0) return die("signatures that do not verify");
    std::printf("{\"count\":%zu,\"verify_per_s\":%.0f}\n", envelopes.size(), envelopes.size() / s);
    return 0;
  }
  return die("usage: mqtt_load sign WS FROM PEER AGENT COUNT | verify-bound FILE | publish WS FROM PEER AGENT COUNT");
}
