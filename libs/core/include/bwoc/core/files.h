// File-system steps that bwoc relies on for durability and safety.
//
// write_file_atomic() is the only way bwoc replaces a file: a reader sees the
// old content or the new, never a mix, and after it returns the new content is
// on disk. read_file_bounded() never reads more than it was told to.
#ifndef BWOC_CORE_FILES_H_
#define BWOC_CORE_FILES_H_

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "bwoc/core/result.h"

namespace bwoc {

// The text of an errno value, for messages.
std::string errno_message(int err);
// An Error for a failed system call on `path`, with a category that fits errno.
Error os_error(std::string_view what, const std::filesystem::path& path, int err);

// Writes all of `data` to `fd`, retrying short writes; `path` names it in errors.
Status write_all(int fd, std::string_view data, const std::filesystem::path& path);

// Writes `content` to a temporary file beside `path`, fsyncs it, renames it
// over `path` and fsyncs the directory.
Status write_file_atomic(const std::filesystem::path& path, std::string_view content, mode_t mode = 0644);

// Creates `path` and `content` only if `path` does not exist yet (O_EXCL).
Status write_file_exclusive(const std::filesystem::path& path, std::string_view content, mode_t mode = 0644);

// Opens `path` with `flags` (and `mode` when it creates it), and refuses
// anything but a regular file (Errc::invalid_argument): a FIFO or a device
// named where bwoc keeps a file must not block or feed it. Fills `st`.
Result<int> open_regular_file(const std::filesystem::path& path, int flags, mode_t mode, struct stat& st);

// Reads a regular file of at most `max_bytes`; larger files are an error
// (Errc::invalid_argument), so a hostile file cannot exhaust memory.
// (Appending to a file: append_log.h.)
Result<std::string> read_file_bounded(const std::filesystem::path& path, std::size_t max_bytes);

// Reads at most `limit` bytes from a file, or from stdin when `source` is "-".
// `truncated` tells whether more was there; unlike read_file_bounded() an
// oversize input is not an error, so that the caller can judge it.
Result<std::string> read_at_most(const std::string& source, std::size_t limit, bool& truncated);

// Creates a directory (and its parents) if missing; new directories get `mode`.
Status ensure_directory(const std::filesystem::path& path, mode_t mode = 0755);

// fsync on a directory, so that a rename or a new entry in it is durable.
Status fsync_directory(const std::filesystem::path& path);

// A file descriptor that closes itself.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

// Reading what a peer shared, and writing into a peer's folder, so that
// neither can leave it.
//
// `relative` is opened below the directory `root` without following a
// symbolic link on any of its components (openat2 with RESOLVE_BENEATH and
// RESOLVE_NO_SYMLINKS where the kernel has it, else one O_NOFOLLOW openat per
// component), and it may not be absolute or hold "..". `root` itself is
// followed: it is the folder the operator named. A file must then be a
// regular file with exactly one link, since a hard link would put a file
// from anywhere (a secret key) under a shared name. Refusals are
// Errc::permission_denied and say why; a missing file is Errc::not_found.
Result<UniqueFd> open_directory_beneath(const std::filesystem::path& root, const std::filesystem::path& relative);
Result<UniqueFd> open_file_beneath(const std::filesystem::path& root, const std::filesystem::path& relative,
                                   struct stat* info = nullptr);
// The whole file, at most `max_bytes` (larger is Errc::invalid_argument).
Result<std::string> read_file_beneath(const std::filesystem::path& root, const std::filesystem::path& relative,
                                      std::size_t max_bytes);

// An advisory lock (flock) on a lock file: every lock bwoc takes goes through
// here, so that EINTR and errors are handled once.
class FileLock {
 public:
  enum class Mode { shared, exclusive };

  // A lock taken with hold(), released when this object is destroyed.
  class Held {
   public:
    Held(Held&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    Held& operator=(Held&& other) noexcept;
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;
    ~Held();

   private:
    friend class FileLock;
    explicit Held(int fd) : fd_(fd) {}
    int fd_ = -1;  // not owned
  };

  // Opens `path` (creating it) and takes the lock, exclusive, for as long as
  // the object lives.
  static Result<FileLock> acquire(const std::filesystem::path& path);
  // Like acquire(), but fails at once (Errc::already_exists) when another
  // process holds the lock.
  static Result<FileLock> try_acquire(const std::filesystem::path& path);
  // Opens `path` without taking the lock: for a lock taken and released many
  // times through hold(), which costs no open() each time.
  static Result<FileLock> open(const std::filesystem::path& path);

  // Takes the lock in `mode`, waiting for it; released when the result dies.
  Result<Held> hold(Mode mode = Mode::exclusive);
  // The same on a descriptor the caller owns (a file locked on itself);
  // `name` names it in errors. The descriptor must outlive the result.
  static Result<Held> hold(int fd, Mode mode, const std::filesystem::path& name);

  FileLock(FileLock&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) { other.fd_ = -1; }
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  FileLock(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::filesystem::path path_;
};

}  // namespace bwoc

#endif  // BWOC_CORE_FILES_H_
