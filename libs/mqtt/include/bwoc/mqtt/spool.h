// The sender's spool: every envelope published over MQTT stays here until
// the peer's signed receipt for it has been verified.
//
// Paho acknowledges a QoS 1 message to the broker before the receiving
// program sees it, so a broker's PUBACK proves nothing about the inbox. The
// spool makes delivery end to end instead: an envelope is written here (and
// fsynced) before it is first published, resent with the same id until its
// receipt arrives (the receiver's replay guard turns a resend into a repeat
// of the original receipt), and only then removed.
//
//   .bwoc/state/mqtt-spool/<id>.json   one pending envelope and where it goes
//
// Each entry is a file of its own, written whole to a temporary name,
// fsynced and renamed into place (write_file_atomic): after a crash or on a
// full disk an entry is there whole or not at all, never torn. A temporary
// left by a crash is removed when the spool is next opened.
#ifndef BWOC_MQTT_SPOOL_H_
#define BWOC_MQTT_SPOOL_H_

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
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

  // Durable (written, fsynced, renamed into place) before it returns.
  // Refuses once kMaxEntries are pending: a peer that never answers must not
  // fill the disk.
  Status put(const SpoolEntry& entry);
  // Removes a confirmed entry; removing one that is gone is not an error.
  Status remove(const std::string& id);
  std::optional<SpoolEntry> get(const std::string& id) const;
  // Oldest first. Entries that do not parse are reported, never deleted.
  Result<std::vector<SpoolEntry>> list() const;
  // The newest `limit` entries, newest first: only their files are read
  // (what `bwoc status` shows of a spool that may hold thousands).
  Result<std::vector<SpoolEntry>> newest(std::size_t limit) const;
  std::size_t size() const;

  const std::filesystem::path& dir() const { return dir_; }

 private:
  explicit Spool(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::filesystem::path dir_;
  // Counted once at open and kept up to date here; recounted only near the
  // cap, since other processes share the folder.
  std::size_t approx_size_ = 0;
};

}  // namespace bwoc::mqtt

#endif  // BWOC_MQTT_SPOOL_H_
