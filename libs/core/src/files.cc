#include "bwoc/core/files.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

#include "beneath.h"
#include "bwoc/core/random.h"

namespace bwoc {

namespace fs = std::filesystem;

std::string errno_message(int err) { return std::strerror(err); }

Error os_error(std::string_view what, const fs::path& path, int err) {
  Errc code = Errc::io_error;
  if (err == ENOENT || err == ENOTDIR) code = Errc::not_found;
  if (err == EACCES || err == EPERM) code = Errc::permission_denied;
  if (err == EEXIST) code = Errc::already_exists;
  return Error(code, std::string(what) + " " + path.string() + ": " + errno_message(err));
}

Status write_all(int fd, std::string_view content, const fs::path& path) {
  const char* p = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return os_error("cannot write", path, errno);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  return ok_status();
}

Status fsync_directory(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return os_error("cannot open directory", path, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return os_error("cannot sync directory", path, err);
  return ok_status();
}

Status write_file_atomic(const fs::path& path, std::string_view content, mode_t mode) {
  fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  fs::path tmp = dir / ("." + path.filename().string() + ".tmp-" + random_id().substr(0, 12));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return os_error("cannot create", tmp, errno);
  // The mode given to open() is filtered by the umask; secrets must not depend on it.
  if (::fchmod(fd, mode) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return os_error("cannot set the mode of", tmp, err);
  }
  Status st = write_all(fd, content, tmp);
  if (st.ok() && ::fsync(fd) != 0) st = os_error("cannot sync", tmp, errno);
  ::close(fd);
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return os_error("cannot replace", path, err);
  }
  return fsync_directory(dir);
}

Status write_file_exclusive(const fs::path& path, std::string_view content, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return os_error("cannot create", path, errno);
  Status st = write_all(fd, content, path);
  if (st.ok() && ::fsync(fd) != 0) st = os_error("cannot sync", path, errno);
  ::close(fd);
  if (!st.ok()) ::unlink(path.c_str());
  return st;
}

Result<int> open_regular_file(const fs::path& path, int flags, mode_t mode, struct stat& st) {
  int fd = ::open(path.c_str(), flags, mode);
  if (fd < 0) return os_error("cannot open", path, errno);
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return os_error("cannot stat", path, err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error(Errc::invalid_argument, path.string() + " is not a regular file");
  }
  return fd;
}

namespace {

// Reads `fd` to its end, at most `max_bytes`; `size_hint` sizes the first read.
Result<std::string> read_fd_bounded(int fd, std::size_t size_hint, std::size_t max_bytes, const fs::path& path) {
  std::string out;
  out.resize(std::min(size_hint, max_bytes) + 1);
  std::size_t got = 0;
  for (;;) {
    if (got == out.size()) {
      if (got > max_bytes) break;
      out.resize(std::min(out.size() * 2, max_bytes + 1));
    }
    ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return os_error("cannot read", path, errno);
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  if (got > max_bytes) {
    return Error(Errc::invalid_argument, path.string() + " is larger than " + std::to_string(max_bytes) + " bytes");
  }
  out.resize(got);
  return out;
}

}  // namespace

Result<std::string> read_file_bounded(const fs::path& path, std::size_t max_bytes) {
  struct stat st {};
  BWOC_ASSIGN_OR_RETURN(int raw, open_regular_file(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0, st));
  UniqueFd fd(raw);
  return read_fd_bounded(fd.get(), static_cast<std::size_t>(st.st_size), max_bytes, path);
}

Result<std::string> read_at_most(const std::string& source, std::size_t limit, bool& truncated) {
  truncated = false;
  const bool from_stdin = source == "-";
  int fd = from_stdin ? STDIN_FILENO : ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return os_error("cannot open", source, errno);
  std::string text;
  char buf[65536];
  Status failure;
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      failure = os_error("cannot read", source, errno);
      break;
    }
    if (n == 0) break;
    std::size_t room = limit - text.size();
    if (static_cast<std::size_t>(n) > room) {
      text.append(buf, room);
      truncated = true;
      break;
    }
    text.append(buf, static_cast<std::size_t>(n));
  }
  if (!from_stdin) ::close(fd);
  if (!failure.ok()) return std::move(failure).error();
  return text;
}

Status ensure_directory(const fs::path& path, mode_t mode) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return ok_status();
  if (!path.parent_path().empty() && path.parent_path() != path) {
    BWOC_RETURN_IF_ERROR(ensure_directory(path.parent_path(), 0755));
  }
  if (::mkdir(path.c_str(), mode) != 0) {
    if (errno == EEXIST) return ok_status();
    return os_error("cannot create directory", path, errno);
  }
  // mkdir's mode is filtered by the umask; private directories must not depend on it.
  if (::chmod(path.c_str(), mode) != 0) return os_error("cannot set the mode of", path, errno);
  return ok_status();
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

namespace beneath {

namespace {

// The components of a relative path with none that could climb or hide: no
// leading '/', no empty, "." or ".." component.
bool split_plain(std::string_view relative, std::vector<std::string>& parts) {
  if (relative.empty() || relative.size() > 4096) return false;
  std::size_t start = 0;
  for (;;) {
    std::size_t end = relative.find('/', start);
    std::string_view part = relative.substr(start, end == std::string_view::npos ? end : end - start);
    if (part.empty() || part == "." || part == ".." || part.find('\0') != std::string_view::npos) return false;
    parts.emplace_back(part);
    if (end == std::string_view::npos) return true;
    start = end + 1;
  }
}

int walk(int root_fd, const std::vector<std::string>& parts, int flags) {
  int dir = root_fd;
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    int next = ::openat(dir, parts[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int err = errno;
    if (dir != root_fd) ::close(dir);
    if (next < 0) {
      errno = err;
      return -1;
    }
    dir = next;
  }
  int fd = ::openat(dir, parts.back().c_str(), flags | O_NOFOLLOW | O_CLOEXEC);
  int err = errno;
  if (dir != root_fd) ::close(dir);
  errno = err;
  return fd;
}

// Cleared once the kernel (or a seccomp filter: systemd's SystemCallFilter
// answers EPERM) has said no, so that later calls go straight to the walk.
std::atomic<bool> openat2_works{true};

}  // namespace

int open_below(int root_fd, std::string_view relative, int flags, Way way) {
  std::vector<std::string> parts;
  if (!split_plain(relative, parts)) {
    errno = EXDEV;
    return -1;
  }
  if (way == Way::openat2 && openat2_works.load(std::memory_order_relaxed)) {
    open_how how{};
    how.flags = static_cast<std::uint64_t>(flags | O_NOFOLLOW | O_CLOEXEC);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    std::string path(relative);
    long fd = ::syscall(SYS_openat2, root_fd, path.c_str(), &how, sizeof how);
    if (fd >= 0) return static_cast<int>(fd);
    if (errno != ENOSYS && errno != EPERM) return -1;
    openat2_works.store(false, std::memory_order_relaxed);
  }
  return walk(root_fd, parts, flags);
}

}  // namespace beneath

namespace {

// A symlink met where a folder was expected reads as ENOTDIR: look, to say so.
bool has_symlink_on_the_way(const fs::path& root, const fs::path& relative) {
  fs::path at = root;
  for (const fs::path& part : relative) {
    at /= part;
    struct stat st {};
    if (::lstat(at.c_str(), &st) != 0) return false;
    if (S_ISLNK(st.st_mode)) return true;
  }
  return false;
}

Error beneath_error(const fs::path& root, const fs::path& relative, int err) {
  fs::path full = root / relative;
  if (err == ENOTDIR && has_symlink_on_the_way(root, relative)) err = ELOOP;
  if (err == ELOOP || err == EXDEV) {
    return Error(Errc::permission_denied,
                 full.string() + " goes through a symbolic link or out of " + root.string() + ": refusing it");
  }
  if (err == ENOTDIR) err = ENOENT;
  return os_error("cannot open", full, err);
}

Result<UniqueFd> open_root(const fs::path& root) {
  UniqueFd fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return os_error("cannot open the folder", root, errno);
  return fd;
}

}  // namespace

Result<UniqueFd> open_directory_beneath(const fs::path& root, const fs::path& relative) {
  BWOC_ASSIGN_OR_RETURN(UniqueFd base, open_root(root));
  UniqueFd fd(beneath::open_below(base.get(), relative.native(), O_RDONLY | O_DIRECTORY));
  if (fd.get() < 0) return beneath_error(root, relative, errno);
  return fd;
}

Result<UniqueFd> open_file_beneath(const fs::path& root, const fs::path& relative, struct stat* info) {
  BWOC_ASSIGN_OR_RETURN(UniqueFd base, open_root(root));
  // O_NONBLOCK: a FIFO planted under a shared name must not hang the reader.
  UniqueFd fd(beneath::open_below(base.get(), relative.native(), O_RDONLY | O_NONBLOCK));
  if (fd.get() < 0) return beneath_error(root, relative, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return os_error("cannot stat", root / relative, errno);
  if (!S_ISREG(st.st_mode)) {
    return Error(Errc::permission_denied, (root / relative).string() + " is not a regular file: refusing it");
  }
  if (st.st_nlink != 1) {
    return Error(Errc::permission_denied, (root / relative).string() +
                                              " has other hard links, which could be any file: refusing it");
  }
  if (info != nullptr) *info = st;
  return fd;
}

Result<std::string> read_file_beneath(const fs::path& root, const fs::path& relative, std::size_t max_bytes) {
  struct stat st {};
  BWOC_ASSIGN_OR_RETURN(UniqueFd fd, open_file_beneath(root, relative, &st));
  return read_fd_bounded(fd.get(), static_cast<std::size_t>(st.st_size), max_bytes, root / relative);
}

namespace {

Result<int> open_lock_file(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return os_error("cannot open lock file", path, errno);
  return fd;
}

// flock, retried on EINTR; returns the errno of a failure, 0 on success.
int flock_retrying(int fd, int operation) {
  while (::flock(fd, operation) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

}  // namespace

Result<FileLock> FileLock::open(const fs::path& path) {
  BWOC_ASSIGN_OR_RETURN(int fd, open_lock_file(path));
  return FileLock(fd, path);
}

Result<FileLock> FileLock::acquire(const fs::path& path) {
  BWOC_ASSIGN_OR_RETURN(int fd, open_lock_file(path));
  if (int err = flock_retrying(fd, LOCK_EX); err != 0) {
    ::close(fd);
    return os_error("cannot lock", path, err);
  }
  return FileLock(fd, path);
}

Result<FileLock> FileLock::try_acquire(const fs::path& path) {
  BWOC_ASSIGN_OR_RETURN(int fd, open_lock_file(path));
  if (int err = flock_retrying(fd, LOCK_EX | LOCK_NB); err != 0) {
    ::close(fd);
    if (err == EWOULDBLOCK) return Error(Errc::already_exists, path.string() + " is locked by another process");
    return os_error("cannot lock", path, err);
  }
  return FileLock(fd, path);
}

Result<FileLock::Held> FileLock::hold(Mode mode) { return hold(fd_, mode, path_); }

Result<FileLock::Held> FileLock::hold(int fd, Mode mode, const fs::path& name) {
  if (int err = flock_retrying(fd, mode == Mode::shared ? LOCK_SH : LOCK_EX); err != 0) {
    return os_error("cannot lock", name, err);
  }
  return Held(fd);
}

FileLock::Held& FileLock::Held::operator=(Held&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) (void)flock_retrying(fd_, LOCK_UN);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

FileLock::Held::~Held() {
  if (fd_ >= 0) (void)flock_retrying(fd_, LOCK_UN);
}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
  }
  return *this;
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace bwoc
