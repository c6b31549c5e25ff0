// Result<T> and Status: how bwoc's libraries report failure.
//
// A function that can fail returns Result<T> (a value or an Error) or Status
// (nothing or an Error). No exception crosses a library boundary: code that
// calls a throwing dependency catches at that call and returns an Error.
// An Error carries a category (Errc), which decides the command's exit code,
// and a one-line message written for the person running the command.
#ifndef BWOC_CORE_RESULT_H_
#define BWOC_CORE_RESULT_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace bwoc {

enum class Errc {
  invalid_argument,   // the caller's input is wrong: fix the command or the file
  not_found,          // a workspace, agent, peer, file or task that does not exist
  already_exists,     // refusing to overwrite
  permission_denied,  // file modes, ownership, trust tier
  io_error,           // the operating system failed (disk full, read error)
  corrupt,            // stored state that does not parse
  unavailable,        // a peer or broker that cannot be reached
  timeout,            // a bounded wait ran out
  refused,            // a peer or a check said no
  internal,           // a bug: please report it
};

std::string_view errc_name(Errc code);

class Error {
 public:
  Error(Errc code, std::string message) : code_(code), message_(std::move(message)) {}

  Errc code() const { return code_; }
  const std::string& message() const { return message_; }

  // "what: message", for adding the name of the thing that failed.
  Error context(std::string_view what) const {
    return Error(code_, std::string(what) + ": " + message_);
  }

 private:
  Errc code_;
  std::string message_;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const& { return *error_; }
  Error&& error() && { return std::move(*error_); }

 private:
  std::optional<Error> error_;
};

inline Status ok_status() { return Status(); }

}  // namespace bwoc

#define BWOC_CONCAT_INNER_(a, b) a##b
#define BWOC_CONCAT_(a, b) BWOC_CONCAT_INNER_(a, b)

// Returns the error of a Status or Result expression from the enclosing function.
#define BWOC_RETURN_IF_ERROR(expr)                 \
  do {                                             \
    auto bwoc_status_ = (expr);                    \
    if (!bwoc_status_.ok()) {                      \
      return std::move(bwoc_status_).error();      \
    }                                              \
  } while (0)

// `BWOC_ASSIGN_OR_RETURN(auto x, f());` declares x from f()'s value, or returns its error.
#define BWOC_ASSIGN_OR_RETURN(lhs, expr) \
  BWOC_ASSIGN_OR_RETURN_IMPL_(BWOC_CONCAT_(bwoc_result_, __LINE__), lhs, expr)
#define BWOC_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) {                                  \
    return std::move(tmp).error();                  \
  }                                                 \
  lhs = std::move(tmp).value()

#endif  // BWOC_CORE_RESULT_H_
