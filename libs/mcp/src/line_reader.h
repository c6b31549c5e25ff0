// Newline-delimited messages from a file descriptor (MCP's stdio transport),
// with a bound on each line that holds whatever arrives: a line longer than
// `max_line_bytes` is reported as too long and skipped up to its newline
// without ever being held in memory, so a client (or anything on the other
// end of the pipe) cannot make the server grow with one endless line.
#ifndef BWOC_MCP_SRC_LINE_READER_H_
#define BWOC_MCP_SRC_LINE_READER_H_

#include <cstddef>
#include <string>

namespace bwoc::mcp {

class LineReader {
 public:
  LineReader(int fd, std::size_t max_line_bytes) : fd_(fd), max_(max_line_bytes) {}

  enum class Got { line, too_long, end, error };
  // The next line, without its "\n" (and a "\r" before it); `too_long` for a
  // line past the bound (already skipped); `end` at the end of the input.
  Got next(std::string& line);

 private:
  bool fill();  // reads more into buf_; false at the end or on an error

  int fd_;
  std::size_t max_;
  std::string buf_;
  std::size_t pos_ = 0;
  bool eof_ = false;
  bool failed_ = false;
};

}  // namespace bwoc::mcp

#endif  // BWOC_MCP_SRC_LINE_READER_H_
