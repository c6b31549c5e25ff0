// Skills written as small shell scripts into a temporary agent folder, for
// the tests of the runner and its sandbox.
#ifndef BWOC_TESTS_SKILL_SCRIPT_SKILLS_H_
#define BWOC_TESTS_SKILL_SCRIPT_SKILLS_H_

#include <filesystem>
#include <fstream>
#include <string>

#include "../core/test_util.h"
#include "bwoc/skill/runner.h"

namespace bwoc::skill::test {

class ScriptSkills {
 public:
  ScriptSkills() : agent_(dir_.path() / "ws" / "agents" / "a") { std::filesystem::create_directories(agent_); }

  // The workspace around the agent (ws/), and the agent's folder.
  std::filesystem::path workspace() const { return dir_.path() / "ws"; }
  const std::filesystem::path& agent() const { return agent_; }

  // A run of `#!/bin/sh` + `body`, with a 5 s time limit.
  RunSpec script(const std::string& body) {
    std::filesystem::path file = agent_ / ("s" + std::to_string(++count_) + ".sh");
    std::ofstream(file) << "#!/bin/sh\n" << body << "\n";
    std::filesystem::permissions(file, std::filesystem::perms::owner_all);
    RunSpec spec;
    spec.argv = {file.string()};
    spec.readable = agent_;
    spec.scratch = workspace() / ".bwoc" / "state" / "runs";
    // Far above what any script here needs: only a test about the time limit
    // (which sets its own) may meet one, however slow the machine.
    spec.timeout = std::chrono::seconds(120);
    return spec;
  }

 private:
  bwoc::test::TempDir dir_;
  std::filesystem::path agent_;
  int count_ = 0;
};

}  // namespace bwoc::skill::test

#endif  // BWOC_TESTS_SKILL_SCRIPT_SKILLS_H_
