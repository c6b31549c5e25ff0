// The sender's spool: every envelope published over MQTT stays here until
// the peer's signed receipt for it has been verified, or until resending it
// can no longer help (resend_policy.h).
//
// Paho acknowledges a QoS 1 message to the broker before the receiving
// program sees it, so a broker's PUBACK proves nothing about the inbox. The
// spool makes delivery end to end instead: an envelope is written here (and
// fdatasynced) before it is first published, resent with the same id until
// its receipt arrives (the receiver's replay guard turns a resend into a
// repeat of the original receipt), and only then forgotten.
//
//   .bwoc/state/mqtt-spool/spool.jsonl   an append-only log (append_log.h)
//
// One record a line: an entry put ({"id":…,"envelope":{…},…}) or one that
// is done ({"done":ID,"why":…}). put_all() writes a batch with one write and
// one fdatasync, so that envelopes published together share their durable
// step (the publisher group-commits them). A "done" record is not synced: a
// crash that loses it only brings a resend, which the peer answers with the
// receipt it gave before. Once done records outnumber live ones eight to one
// the log is compacted (rewritten with the live entries alone). Several processes share
// the file: each append takes its lock, and each reader follows what others
// appended or compacted.
#ifndef BWOC_MQTT_SPOOL_H_
#define BWOC_MQTT_SPOOL_H_

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bwoc/core/keys.h"
#include "bwoc/core/result.h"
#include "bwoc/core/timestamp.h"
#include "bwoc/core/workspace.h"

namespace bwoc::mqtt {

struct SpoolEntry {
  std::string id;           // the envelope's id (32 hex digits)
  std::string from;         // our agent that signed it
  std::string to;           // "PEER/AGENT", for people
  std::string broker;       // mqtt://host:port
  std::string topic;        // where it is published
  std::string reply_topic;  // where its receipt comes back
  PublicKey peer_key;       // who must sign the receipt
  UnixMillis created = 0;
  std::string envelope;     // the signed envelope, verbatim
};

class Spool {
 public:
  static constexpr std::size_t kMaxEntries = 100'000;

  static Result<Spool> open(const Workspace& ws);
  Spool(Spool&&) noexcept;
  Spool& operator=(Spool&&) noexcept;
  ~Spool();

  // Durable (written and fdatasynced) before it returns.
  Status put(const SpoolEntry& entry);
  // The same for a batch: one write and one fdatasync for all of them.
  // Refuses the batch when it would take the spool past kMaxEntries: a peer
  // that never answers must not fill the disk.
  Status put_all(const std::vector<SpoolEntry>& entries);
  // Forgets an entry: confirmed by its receipt, or given up (`why` says
  // which). Forgetting one that is gone is not an error.
  Status remove(const std::string& id, std::string_view why = "receipt");
  std::optional<SpoolEntry> get(const std::string& id) const;
  // Oldest first.
  Result<std::vector<SpoolEntry>> list() const;
  // The newest `limit` entries, newest first (what `bwoc status` shows of a
  // spool that may hold thousands): only their records are read.
  Result<std::vector<SpoolEntry>> newest(std::size_t limit) const;
  std::size_t size() const;
  // Records that do not parse: kept in the file, reported, never resent.
  std::size_t unreadable() const;

  const std::filesystem::path& dir() const;
  const std::filesystem::path& file() const;

 private:
  struct State;
  explicit Spool(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace bwoc::mqtt

#endif  // BWOC_MQTT_SPOOL_H_
