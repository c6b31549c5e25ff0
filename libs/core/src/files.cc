#include "bwoc/core/files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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

Result<std::string> read_file_bounded(const fs::path& path, std::size_t max_bytes) {
  struct stat st {};
  BWOC_ASSIGN_OR_RETURN(int fd, open_regular_file(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0, st));
  std::string out;
  out.resize(std::min<std::size_t>(static_cast<std::size_t>(st.st_size), max_bytes) + 1);
  std::size_t got = 0;
  for (;;) {
    if (got == out.size()) {
      if (got > max_bytes) break;
      out.resize(std::min(out.size() * 2, max_bytes + 1));
    }
    ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return os_error("cannot read", path, err);
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (got > max_bytes) {
    return Error(Errc::invalid_argument,
                 path.string() + " is larger than " + std::to_string(max_bytes) + " bytes");
  }
  out.resize(got);
  return out;
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
