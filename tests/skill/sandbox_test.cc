// The ways out of a skill's run, each tried by a real skill (a small shell
// script): outliving the run, signalling or reading the node, keeping a
// capability, reaching the network. Where the kernel lacks what a guarantee
// needs, the test says so and skips that part (docs/SKILLS.md: what holds on
// which kernel).
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <fstream>
#include <sstream>

#include "bwoc/skill/manifest.h"
#include "bwoc/skill/runner.h"
#include "script_skills.h"

namespace bwoc::skill {
namespace {

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    report_ = sandbox_report();
    if (report_.landlock_abi < 1) GTEST_SKIP() << "no Landlock on this kernel: skills are not run at all";
  }
  RunSpec script(const std::string& body, Network network = Network::none) {
    RunSpec spec = skills_.script(body);
    spec.timeout = std::chrono::seconds(10);
    spec.network = network;
    return spec;
  }
  RunOutcome run(const RunSpec& spec) {
    auto r = run_sandboxed(spec);
    EXPECT_TRUE(r.ok()) << r.error().message();
    return r.ok() ? *r : RunOutcome{};
  }

  SandboxReport report_;
  test::ScriptSkills skills_;
};

// Waits, at most `bound`, for `pid` to be gone; true once it is (or was
// already). A pidfd says when it ends: no sleeping and looking again.
bool gone_within(pid_t pid, std::chrono::milliseconds bound) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return errno == ESRCH;
  pollfd ended{fd, POLLIN, 0};
  bool gone = ::poll(&ended, 1, static_cast<int>(bound.count())) == 1;
  if (!gone) ::syscall(SYS_pidfd_send_signal, fd, SIGKILL, nullptr, 0);  // leave nothing behind
  ::close(fd);
  return gone;
}

pid_t first_number(const std::string& text) {
  std::size_t at = text.find_first_of("0123456789");
  return at == std::string::npos ? 0 : static_cast<pid_t>(std::stol(text.substr(at)));
}

TEST_F(SandboxTest, AGrandchildThatCallsSetsidEndsWithTheRun) {
  // The grandchild leaves the skill's session and process group, and keeps
  // running after the skill has exited.
  RunOutcome r = run(script("mkfifo \"$HOME/pid\"\n"
                            "setsid sh -c 'echo $$ >\"$HOME/pid\"; exec sleep 60' </dev/null >/dev/null 2>&1 &\n"
                            "read pid <\"$HOME/pid\"; echo $pid"));
  ASSERT_TRUE(r.succeeded()) << describe(r) << r.stderr_tail;
  pid_t grandchild = first_number(r.output);
  ASSERT_GT(grandchild, 0) << r.output;
  EXPECT_TRUE(gone_within(grandchild, std::chrono::seconds(5))) << "pid " << grandchild << " outlived the run";
}

TEST_F(SandboxTest, ADoubleForkedDaemonEndsWithTheRunEvenAtTheTimeLimit) {
  RunSpec spec = script(
      "( setsid sh -c 'trap \"\" TERM HUP; echo $$; exec sleep 60' </dev/null 2>/dev/null & ) | { read pid; echo $pid; }\n"
      "exec sleep 60");
  spec.timeout = std::chrono::milliseconds(500);
  RunOutcome r = run(spec);
  EXPECT_EQ(r.end, RunOutcome::End::timed_out);
  pid_t daemon = first_number(r.output);
  ASSERT_GT(daemon, 0) << r.output;
  EXPECT_TRUE(gone_within(daemon, std::chrono::seconds(5))) << "pid " << daemon << " outlived the run";
}

TEST_F(SandboxTest, TheNodeAndTheSupervisorCannotBeSignaled) {
  if (!report_.signal_scoping) GTEST_SKIP() << "Landlock ABI " << report_.landlock_abi << " has no signal scoping (6)";
  std::string node = std::to_string(::getpid());
  RunOutcome r = run(script("kill -0 " + node + " 2>&1; echo \"probe=$?\"; kill -9 " + node +
                            " 2>&1; echo \"kill=$?\"; kill -9 $PPID 2>&1; echo \"parent=$?\""));
  // Still here to read the answer: the node was not killed.
  ASSERT_TRUE(r.succeeded()) << describe(r) << r.stderr_tail;
  EXPECT_NE(r.output.find("probe=1"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("kill=1"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("parent=1"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Operation not permitted"), std::string::npos) << r.output;
}

TEST_F(SandboxTest, TheNodesProcFilesAreClosedToIt) {
  std::string node = "/proc/" + std::to_string(::getpid());
  RunOutcome r = run(script("cat " + node + "/environ 2>&1; echo; readlink -v " + node + "/fd/0 " + node +
                            "/cwd " + node + "/exe 2>&1; echo; cat " + node + "/maps 2>&1 | head -c 200; echo; echo done"));
  ASSERT_TRUE(r.succeeded()) << describe(r) << r.stderr_tail;
  EXPECT_EQ(r.output.find("PATH="), std::string::npos) << r.output;  // the node's environment
  EXPECT_NE(r.output.find("environ: Permission denied"), std::string::npos) << r.output;
  // readlink printed no target (a path, a pipe, a socket): only its refusals.
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_FALSE(line.rfind("/", 0) == 0 || line.rfind("pipe:", 0) == 0 || line.rfind("socket:", 0) == 0) << line;
  }
  EXPECT_NE(r.output.find("readlink: " + node + "/exe: Permission denied"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("r-xp"), std::string::npos) << r.output;  // no map of the node's memory
  EXPECT_NE(r.output.find("done"), std::string::npos) << r.output;
}

std::string status_line(const std::string& status, const std::string& name) {
  std::istringstream in(status);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name + ":", 0) == 0) {
      std::string value = line.substr(name.size() + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      return value;
    }
  }
  return "?";
}

TEST_F(SandboxTest, NoCapabilityAndNoNewPrivileges) {
  RunOutcome r = run(script("cat /proc/self/status"));
  ASSERT_TRUE(r.succeeded()) << describe(r) << r.stderr_tail;
  for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapAmb"}) {
    EXPECT_EQ(status_line(r.output, set), "0000000000000000") << set;
  }
  EXPECT_EQ(status_line(r.output, "NoNewPrivs"), "1");
  EXPECT_EQ(status_line(r.output, "Seccomp"), "2");  // the network filter
  // Emptying the bounding set takes CAP_SETPCAP: root has it; a user node
  // has no capability to lose there, and no_new_privs keeps it that way.
  std::ifstream self("/proc/self/status");
  std::string own((std::istreambuf_iterator<char>(self)), std::istreambuf_iterator<char>());
  bool node_has_setpcap = (std::stoull(status_line(own, "CapEff"), nullptr, 16) >> 8) & 1;
  if (node_has_setpcap) {
    EXPECT_EQ(status_line(r.output, "CapBnd"), "0000000000000000");
  }
  // With network: no filter, and no capability either.
  r = run(script("cat /proc/self/status", Network::open));
  EXPECT_EQ(status_line(r.output, "CapEff"), "0000000000000000");
  EXPECT_EQ(status_line(r.output, "Seccomp"), "0");
}

// As bwoc's systemd unit runs the node: no capability, and capset()
// forbidden (SystemCallFilter=~@privileged, failing with EPERM).
[[noreturn]] void run_as_the_service_unit_would(const RunSpec& spec) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct none[2]{};
  sock_filter deny_capset[] = {
      {BPF_LD | BPF_W | BPF_ABS, 0, 0, static_cast<unsigned>(offsetof(seccomp_data, nr))},
      {BPF_JMP | BPF_JEQ | BPF_K, 0, 1, SYS_capset},
      {BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ERRNO | EPERM},
      {BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW},
  };
  sock_fprog filter{static_cast<unsigned short>(std::size(deny_capset)), deny_capset};
  if (::syscall(SYS_capset, &header, none) != 0 || ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter, 0, 0) != 0) {
    std::_Exit(2);
  }
  auto r = run_sandboxed(spec);
  std::_Exit(r.ok() && r->succeeded() && r->output.find("0000000000000000") != std::string::npos ? 0 : 1);
}

TEST_F(SandboxTest, RunsUnderTheServiceUnitsSystemCallFilter) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  RunSpec spec = script("grep CapEff /proc/self/status");
  EXPECT_EXIT(run_as_the_service_unit_would(spec), ::testing::ExitedWithCode(0), "");
}

class Listener {
 public:
  explicit Listener(int type) : fd_(::socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0) return;
    if (type == SOCK_STREAM) ::listen(fd_, 8);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~Listener() { ::close(fd_); }
  int port() const { return port_; }
  // Whether anything came (a connection, a datagram); the run is over when
  // this is asked, so whatever was sent has arrived.
  bool reached() const {
    char b[16];
    int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c >= 0) {
      ::close(c);
      return true;
    }
    return ::recv(fd_, b, sizeof b, MSG_DONTWAIT) >= 0;
  }

 private:
  int fd_;
  int port_ = 0;
};

TEST_F(SandboxTest, WithoutNetworkNoTcpNorUdpReachesALoopbackListener) {
  Listener tcp(SOCK_STREAM), udp(SOCK_DGRAM);
  ASSERT_GT(tcp.port(), 0);
  ASSERT_GT(udp.port(), 0);
  std::string attempt = "bash -c 'exec 3<>/dev/tcp/127.0.0.1/" + std::to_string(tcp.port()) +
                        " && echo TCP-CONNECTED' 2>&1; bash -c 'echo hi >/dev/udp/127.0.0.1/" +
                        std::to_string(udp.port()) + " && echo UDP-SENT' 2>&1; echo done";
  RunOutcome r = run(script(attempt));
  ASSERT_TRUE(r.succeeded()) << describe(r) << r.stderr_tail;
  EXPECT_NE(r.output.find("done"), std::string::npos);
  EXPECT_EQ(r.output.find("TCP-CONNECTED"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("UDP-SENT"), std::string::npos) << r.output;
  EXPECT_FALSE(tcp.reached());
  EXPECT_FALSE(udp.reached());
  // The same skill declared with network reaches both: the test can tell.
  r = run(script(attempt, Network::open));
  EXPECT_NE(r.output.find("TCP-CONNECTED"), std::string::npos) << r.output;
  EXPECT_TRUE(tcp.reached());
  EXPECT_TRUE(udp.reached());
}

TEST_F(SandboxTest, AbstractUnixSocketsOutsideAreOutOfReach) {
  if (!report_.abstract_unix_scoping) {
    GTEST_SKIP() << "Landlock ABI " << report_.landlock_abi << " has no abstract socket scoping (6)";
  }
  if (::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "no /usr/bin/python3 to play the skill";
  int listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string name = "bwoc-sandbox-test-" + std::to_string(::getpid());
  std::memcpy(addr.sun_path + 1, name.data(), name.size());
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), len), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  // With network, so that only the scoping stands in the way.
  RunOutcome r = run(script("/usr/bin/python3 -c \"import socket; s = socket.socket(socket.AF_UNIX); "
                            "s.connect('\\0" + name + "'); print('UNIX-CONNECTED')\" 2>&1; echo done",
                            Network::open));
  EXPECT_EQ(r.output.find("UNIX-CONNECTED"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("done"), std::string::npos) << r.output;
  EXPECT_LT(::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC), 0);
  ::close(listener);
}

TEST(SkillManifestNetwork, NoNetworkUnlessDeclaredOpen) {
  auto skills_with = [](const std::string& network) {
    std::string text = R"({"skills":[{"name":"s","version":"1","description":"d","input_schema":{},)"
                       R"("output_schema":{},"run":["/bin/true"])" +
                       (network.empty() ? std::string() : ",\"network\":" + network) + "}]}";
    return parse_skills(json::parse(text).value(), "/agents/a", "manifest");
  };
  EXPECT_EQ(skills_with("")->at(0).network, Network::none);
  EXPECT_EQ(skills_with("\"none\"")->at(0).network, Network::none);
  EXPECT_EQ(skills_with("\"open\"")->at(0).network, Network::open);
  auto bad = skills_with("\"loopback\"");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("network is \"none\" or \"open\""), std::string::npos) << bad.error().message();
  // Private, like run: not part of what callers see, nor of the contract's hash.
  EXPECT_EQ(skills_with("\"open\"")->at(0).hash, skills_with("\"none\"")->at(0).hash);
  EXPECT_EQ(contract_json(skills_with("\"open\"")->at(0)).find("network"), nullptr);
}

}  // namespace
}  // namespace bwoc::skill
