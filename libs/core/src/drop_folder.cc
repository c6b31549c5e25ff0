#include "bwoc/core/drop_folder.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <mutex>

#include "bwoc/core/backoff.h"
#include "bwoc/core/files.h"
#include "bwoc/core/refusal_log.h"
#include "bwoc/core/workspace.h"

namespace bwoc {

namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kStaleTmpMs = 24 * 3'600'000LL;

// Entry names are the writer's own: time, process and randomness, nothing
// taken from the envelope.
std::string entry_name() {
  return std::to_string(now_millis()) + "." + std::to_string(::getpid()) + "." + random_id().substr(0, 16) + ".json";
}

struct DirFd {
  explicit DirFd(const fs::path& p) : fd(::open(p.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) {}
  ~DirFd() {
    if (fd >= 0) ::close(fd);
  }
  DirFd(const DirFd&) = delete;
  DirFd& operator=(const DirFd&) = delete;
  int fd;
};

// Up to `limit` names in a directory, oldest first (names start with the time).
std::vector<std::string> list_entries(const fs::path& dir, std::size_t limit) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return names;
  // Read a bounded number of names; a flood is worked through over several rounds.
  const std::size_t read_cap = std::max<std::size_t>(limit * 8, 4096);
  while (dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n == "." || n == "..") continue;
    names.emplace_back(n);
    if (names.size() >= read_cap) break;
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  if (names.size() > limit) names.resize(limit);
  return names;
}

std::size_t count_entries(const fs::path& dir, std::size_t stop_at) {
  std::size_t n = 0;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return 0;
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name != "." && name != ".." && ++n >= stop_at) break;
  }
  ::closedir(d);
  return n;
}

void remove_stale_tmp(const fs::path& tmp_dir) {
  DIR* d = ::opendir(tmp_dir.c_str());
  if (d == nullptr) return;
  int dfd = ::dirfd(d);
  UnixMillis now = now_millis();
  std::size_t seen = 0;
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    if (++seen > 10000) break;
    struct stat st {};
    if (::fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    UnixMillis mtime = static_cast<UnixMillis>(st.st_mtim.tv_sec) * 1000;
    if (now - mtime > kStaleTmpMs) ::unlinkat(dfd, e->d_name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0);
  }
  ::closedir(d);
}

}  // namespace

Result<fs::path> drop_envelope(const fs::path& peer_root, std::string_view envelope_text) {
  // tmp/ and new/ must be the peer's own folders: opened without following a
  // symlink anywhere below its root, and written through their descriptors,
  // so that nothing the peer plants there sends the entry elsewhere.
  auto tmp_dir = open_directory_beneath(peer_root, ".bwoc/drop/tmp");
  auto new_dir = open_directory_beneath(peer_root, ".bwoc/drop/new");
  for (const auto* dir : {&tmp_dir, &new_dir}) {
    if (dir->ok()) continue;
    if (dir->error().code() == Errc::permission_denied) return Error(Errc::refused, dir->error().message());
    return Error(Errc::unavailable, "no drop folder at " + (peer_root / ".bwoc" / "drop").string() + ": is " +
                                        peer_root.string() + " a bwoc workspace?");
  }
  std::string name = entry_name();
  fs::path tmp = peer_root / ".bwoc" / "drop" / "tmp" / name;
  UniqueFd file(::openat(tmp_dir->get(), name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
  if (file.get() < 0) return os_error("cannot create", tmp, errno);
  Status st = write_all(file.get(), envelope_text, tmp);
  if (st.ok() && ::fsync(file.get()) != 0) st = os_error("cannot sync", tmp, errno);
  file = UniqueFd();
  if (st.ok() && ::renameat(tmp_dir->get(), name.c_str(), new_dir->get(), name.c_str()) != 0) {
    st = os_error("cannot move the envelope into", peer_root / ".bwoc" / "drop" / "new", errno);
  }
  if (!st.ok()) {
    ::unlinkat(tmp_dir->get(), name.c_str(), 0);
    return st.error();
  }
  fs::path final_path = peer_root / ".bwoc" / "drop" / "new" / name;
  if (::fsync(new_dir->get()) != 0) return os_error("cannot sync directory", final_path.parent_path(), errno);
  return final_path;
}

Result<SendReport> PathTransport::deliver(const PeerRoute& peer, const SignedEnvelope& envelope,
                                          std::chrono::milliseconds) {
  const std::string& envelope_text = envelope.text;
  if (!peer.path) return Error(Errc::unavailable, "peer \"" + peer.key + "\" has no path");
  // Read the peer's public identity (never anything private) to catch a
  // mismatch with the pinned key before the peer silently refuses.
  auto other = Workspace::open_peer(*peer.path);
  if (!other.ok()) {
    return Error(Errc::unavailable, "peer \"" + peer.key + "\": " + other.error().message());
  }
  if (other->identity().public_key && !(*other->identity().public_key == peer.pubkey)) {
    return Error(Errc::refused, "peer \"" + peer.key + "\" at " + peer.path->string() + " has the key " +
                                    other->identity().public_key->to_text() + ", but routes.toml pins " +
                                    peer.pubkey.to_text() + ": check the peer's key before sending");
  }
  BWOC_ASSIGN_OR_RETURN(fs::path entry, drop_envelope(*peer.path, envelope_text));
  SendReport report;
  report.via = Via::path;
  report.detail = "dropped into " + entry.string();
  report.dropped_at = entry;
  return report;
}

Result<IngestReport> ingest_drop_folder(Inbound& inbound, const IngestOptions& options) {
  const Workspace& ws = inbound.workspace();
  fs::path new_dir = ws.drop_dir() / "new";
  fs::path quarantine = ws.quarantine_dir();
  BWOC_RETURN_IF_ERROR(ensure_directory(quarantine, 0700));
  DirFd dir(new_dir);
  if (dir.fd < 0) return os_error("cannot open the drop folder", new_dir, errno);
  DirFd qdir(quarantine);
  if (qdir.fd < 0) return os_error("cannot open", quarantine, errno);
  remove_stale_tmp(ws.drop_dir() / "tmp");

  IngestReport report;
  std::size_t quarantined_now = count_entries(quarantine, options.quarantine_limit);
  auto to_quarantine = [&](const std::string& name) {
    if (quarantined_now < options.quarantine_limit &&
        ::renameat(dir.fd, name.c_str(), qdir.fd, name.c_str()) == 0) {
      ++quarantined_now;
      return;
    }
    // Quarantine full: the refusal log keeps the record, the entry goes.
    if (::unlinkat(dir.fd, name.c_str(), 0) != 0) ::unlinkat(dir.fd, name.c_str(), AT_REMOVEDIR);
  };

  std::size_t total = 0;
  for (;;) {
    std::size_t want = options.batch;
    if (options.max_entries != 0) want = std::min(want, options.max_entries - total);
    if (want == 0) break;
    std::vector<std::string> names = list_entries(new_dir, want);
    if (names.empty()) break;

    struct Slot {
      std::string name;
      std::optional<InboundResult> result;
    };
    std::vector<Slot> slots(names.size());
    std::mutex mu;
    std::size_t submitted = 0;
    for (std::size_t i = 0; i < names.size(); ++i) {
      slots[i].name = names[i];
      int fd = ::openat(dir.fd, names[i].c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
      if (fd < 0 && is_resource_exhaustion(errno)) {
        // Out of descriptors or memory: nothing is wrong with the entry,
        // which stays for a later round.
        ++report.failed;
        report.items.push_back({names[i], Delivery::Outcome::failed, InboundResult::Disposition::failed, "", "", ""});
        continue;
      }
      struct stat st {};
      bool readable = fd >= 0 && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1 &&
                      static_cast<std::uint64_t>(st.st_size) <= kMaxEnvelopeBytes;
      if (!readable) {
        if (fd >= 0) ::close(fd);
        RefusalRecord r;
        r.at = now_millis();
        r.via = Via::path;
        r.reason = std::string(reason_code(Reason::malformed));
        r.detail = fd < 0 ? "not a regular file (or a symbolic link): quarantined unread"
                   : !S_ISREG(st.st_mode) ? "not a regular file: quarantined unread"
                   : st.st_nlink != 1     ? "a file with several links: quarantined unread"
                                          : "larger than 1 MiB: quarantined unread";
        r.source = names[i];
        r.bytes = fd >= 0 ? static_cast<std::size_t>(st.st_size) : 0;
        RefusalLog(ws.refusal_log_file()).append(r);
        to_quarantine(names[i]);
        ++report.quarantined_unread;
        report.items.push_back({names[i], Delivery::Outcome::refused, InboundResult::Disposition::not_accepted,
                                "malformed", "", ""});
        continue;
      }
      std::string text(static_cast<std::size_t>(st.st_size), '\0');
      std::size_t got = 0;
      while (got < text.size()) {
        ssize_t n = ::read(fd, text.data() + got, text.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
      }
      ::close(fd);
      text.resize(got);
      ++submitted;
      inbound.receive(text, Via::path, names[i], [&, i](InboundResult r) {
        std::lock_guard<std::mutex> lk(mu);
        slots[i].result = std::move(r);
      });
    }
    inbound.flush();  // every submission above is now decided, and its action done
    for (Slot& s : slots) {
      if (!s.result) continue;
      const InboundResult& r = *s.result;
      const Delivery& d = r.delivery;
      IngestReport::Item item{s.name, d.outcome, r.disposition,
                              d.refusal ? std::string(reason_code(d.refusal->reason)) : d.policy,
                              d.envelope ? d.envelope->id : "", d.envelope ? d.envelope->to : ""};
      using D = InboundResult::Disposition;
      if (r.disposition == D::rate_limited || r.disposition == D::busy) {
        ++report.deferred;  // left in new/ for the next round
        report.items.push_back(std::move(item));
        continue;
      }
      switch (d.outcome) {
        case Delivery::Outcome::accepted:
          ++report.accepted;
          ::unlinkat(dir.fd, s.name.c_str(), 0);
          break;
        case Delivery::Outcome::duplicate:
          // Already in the inbox: nothing to keep.
          ++report.duplicates;
          ::unlinkat(dir.fd, s.name.c_str(), 0);
          break;
        case Delivery::Outcome::refused:
          ++report.refused;
          to_quarantine(s.name);
          break;
        case Delivery::Outcome::denied:
          if (r.disposition == D::answered) {
            // Refused by policy, and told so: nothing to keep.
            ++report.refused;
            ::unlinkat(dir.fd, s.name.c_str(), 0);
          } else {
            ++report.refused;
            to_quarantine(s.name);
          }
          break;
        case Delivery::Outcome::failed:
          ++report.failed;  // left in new/ for the next round
          break;
      }
      report.items.push_back(std::move(item));
      if (r.disposition == D::answered && options.on_answer) {
        ++report.answered;
        options.on_answer(r);
      }
    }
    total += names.size();
    if (options.on_batch) options.on_batch(report);
    if (report.failed > 0 || report.deferred > 0) break;  // the disk needs attention, or the node a rest: do not spin
    (void)submitted;
  }
  (void)fsync_directory(new_dir);
  return report;
}

}  // namespace bwoc
