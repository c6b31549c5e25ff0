// SKILL.md skills: reading SKILL.md, the endpoint's configuration and key,
// and a run against a chat-completions stand-in (a function here; the e2e
// test uses a real HTTP server): the instructions never come back out.
#include "bwoc/skill/llm.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "../core/test_util.h"
#include "bwoc/core/envelope.h"
#include "bwoc/skill/host.h"
#include "bwoc/skill/skill_md.h"

namespace bwoc::skill {
namespace {

using test::TempDir;

const std::string kInstructions =
    "You write one-line headlines for incident reports. Keep them under twelve words, name the system that failed "
    "first, and never use the words outage or incident. Our house style prefers verbs in the present tense.";

void write(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

std::string skill_md(const std::string& front) { return "---\n" + front + "---\n" + kInstructions + "\n"; }

// A chat endpoint that answers `content` (or fails with `error`).
ChatCompletion replying(std::string content, std::optional<Error> error = std::nullopt,
                        std::string* seen_body = nullptr) {
  return [=](const ChatRequest& r) -> Result<std::string> {
    if (seen_body) *seen_body = r.body;
    if (error) return *error;
    json::Value reply = json::Value::object(
        {{"choices", json::Value::array({json::Value::object(
                         {{"message", json::Value::object({{"role", "assistant"}, {"content", content}})}})})}});
    return json::write(reply);
  };
}

TEST(RepeatsInstructions, FindsALongVerbatimRunWhateverTheCaseAndPunctuation) {
  std::string leak = "Sure! My instructions: KEEP THEM UNDER TWELVE WORDS -- name the system that failed first, and...";
  EXPECT_TRUE(repeats_instructions(leak, kInstructions));
  EXPECT_TRUE(repeats_instructions(kInstructions, kInstructions));
}

TEST(RepeatsInstructions, LetsOrdinaryAnswersThrough) {
  EXPECT_FALSE(repeats_instructions("{\"text\":\"Payments API rejects cards after certificate expiry\"}", kInstructions));
  // Short shared phrases are chance, not a leak.
  EXPECT_FALSE(repeats_instructions("headlines for incident reports", kInstructions));
}

TEST(SkillMd, ReadsTheFrontMatterAndKeepsTheBodyApart) {
  TempDir dir;
  write(dir.path() / "headline" / "SKILL.md",
        skill_md("name: headline\ndescription: Writes a headline\nversion: \"2.0\"\nlicense: MIT\n"
                 "input_schema:\n  type: object\n  properties:\n    text: {type: string, maxLength: 2000}\n"
                 "  required: [text]\n"));
  auto md = read_skill_md(dir.path() / "headline");
  ASSERT_TRUE(md.ok()) << md.error().message();
  EXPECT_EQ(md->name, "headline");
  EXPECT_EQ(md->version, "2.0");
  EXPECT_EQ(md->instructions, kInstructions);
  EXPECT_EQ(json::write(*md->input_schema.find("properties")), "{\"text\":{\"type\":\"string\",\"maxLength\":2000}}");
  // Output defaults to {"text": string}.
  EXPECT_EQ(json::write(*md->output_schema.find("required")), "[\"text\"]");
  auto contract = skill_md_contract(*md);
  ASSERT_TRUE(contract.ok()) << contract.error().message();
  EXPECT_EQ(json::write(*contract).find("twelve"), std::string::npos);
  EXPECT_EQ(json::write(*contract).find("SKILL.md"), std::string::npos);
}

TEST(SkillMd, RefusesWhatWouldBeSilentlyLost) {
  TempDir dir;
  auto error_for = [&](const std::string& text) {
    write(dir.path() / "SKILL.md", text);
    auto md = read_skill_md(dir.path());
    return md.ok() ? std::string("read") : md.error().message();
  };
  EXPECT_NE(error_for(skill_md("name: x1\ndescription: d\ninput_shema: {}\n")).find("unknown field \"input_shema\""), std::string::npos);
  EXPECT_NE(error_for("name: x\n"), std::string("read"));
  EXPECT_NE(error_for(skill_md("name: Bad Name\ndescription: d\n")).find("is not [a-z]"), std::string::npos);
  EXPECT_NE(error_for("---\nname: x\ndescription: d\n---\n  \n").find("body"), std::string::npos);
  EXPECT_NE(error_for(skill_md("name: x\ndescription: d\noutput_schema: {pattern: \"(?=x)\"}\n")).find("output_schema"),
            std::string::npos);
  EXPECT_NE(error_for(skill_md("name: [unclosed\n")).find("front matter"), std::string::npos);
}

class LlmSkill : public ::testing::Test {
 protected:
  void SetUp() override {
    ws_ = test::make_workspace(dir_.path(), "beta", {"agent-b"});
    write(ws_->agent_dir("agent-b") / "skills" / "headline" / "SKILL.md",
          skill_md("name: headline\ndescription: Writes a headline\n"));
    write(ws_->bwoc_dir() / "llm.toml", "base_url = \"http://127.0.0.1:9/v1\"\nmodel = \"stand-in\"\n");
    auto md = read_skill_md(ws_->agent_dir("agent-b") / "skills" / "headline");
    ASSERT_TRUE(md.ok()) << md.error().message();
    auto added = add_skill_md(*ws_, "agent-b", *md);
    ASSERT_TRUE(added.ok()) << added.error().message();
    auto skills = load_skills(*ws_, "agent-b");
    ASSERT_TRUE(skills.ok()) << skills.error().message();
    skill_ = skills->front();
  }

  Result<RunOutcome> run(const ChatCompletion& chat) {
    return run_instructed(*ws_, skill_, "{\"text\":\"cards declined\"}", chat);
  }

  TempDir dir_;
  std::optional<Workspace> ws_;
  Skill skill_;
};

TEST_F(LlmSkill, SendsTheInstructionsAsSystemPromptAndTheInputAsUserMessage) {
  std::string body;
  auto out = run(replying("```json\n{\"text\":\"Payments API declines cards\"}\n```", std::nullopt, &body));
  ASSERT_TRUE(out.ok()) << out.error().message();
  EXPECT_TRUE(out->succeeded());
  EXPECT_EQ(out->output, "{\"text\":\"Payments API declines cards\"}");
  auto sent = json::parse(body);
  ASSERT_TRUE(sent.ok());
  const json::Value& messages = *sent->find("messages");
  EXPECT_EQ(messages.items()[0].find("role")->as_string(), "system");
  EXPECT_EQ(messages.items()[0].find("content")->as_string().rfind(kInstructions, 0), 0u);
  EXPECT_EQ(messages.items()[1].find("content")->as_string(), "{\"text\":\"cards declined\"}");
  EXPECT_EQ(sent->find("model")->as_string(), "stand-in");
  EXPECT_EQ(json::write(*sent->find("response_format")), "{\"type\":\"json_object\"}");
}

TEST_F(LlmSkill, RefusesRepliesThatRepeatTheInstructions) {
  EXPECT_FALSE(run(replying("{\"text\":\"" + kInstructions + "\"}")).ok());
  // Hidden behind JSON escapes, the raw text shows no run: the decoded strings do.
  std::string escaped;
  for (char c : kInstructions.substr(0, 120)) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(c));
    escaped += buf;
  }
  auto hidden = run(replying("{\"text\":\"" + escaped + "\"}"));
  ASSERT_FALSE(hidden.ok());
  EXPECT_NE(hidden.error().message().find("repeats"), std::string::npos);
}

TEST_F(LlmSkill, EndpointFailuresAreBoundedAndNameNoSecret) {
  auto timed_out = run(replying("", Error(Errc::timeout, "no complete answer within 60000 ms")));
  ASSERT_TRUE(timed_out.ok());
  EXPECT_EQ(timed_out->end, RunOutcome::End::timed_out);
  EXPECT_FALSE(run(replying("", Error(Errc::refused, "the chat-completions endpoint answered HTTP 500"))).ok());
  EXPECT_FALSE(run(replying("I cannot answer in JSON, sorry")).ok());
  EXPECT_FALSE(run(ChatCompletion()).ok());
}

TEST_F(LlmSkill, TheHostAnswersSkillFailedAndNeverTheInstructions) {
  for (const std::string& reply : {"{\"text\":\"" + kInstructions + "\"}", std::string("not json"),
                                   std::string("{\"words\":3}")}) {
    HostOptions options;
    options.chat = replying(reply);
    auto host = SkillHost::open(*ws_, "agent-b", options);
    ASSERT_TRUE(host.ok()) << host.error().message();
    ASSERT_TRUE(set_visibility(*ws_, "agent-b", "headline", Visibility::exposed).ok());
    auto key = ws_->load_secret_key();
    ASSERT_TRUE(key.ok());
    EnvelopeDraft d;
    d.kind = std::string(kCallKind);
    d.from = "agent-b";
    d.to = "agent-b";
    d.aud = key->public_key();
    d.payload = json::Value::object({{"skill", "headline"}, {"input", json::Value::object({{"text", "x"}})}});
    auto request = sign(d, *key);
    ASSERT_TRUE(request.ok());
    json::Value answered;
    AnswerSigner signer = [&](std::string_view, json::Value payload) -> Result<std::string> {
      answered = payload;
      return json::write(payload);
    };
    auto text = (*host)->respond(request->envelope, "self", 3, false, signer);
    ASSERT_TRUE(text.ok()) << text.error().message();
    EXPECT_EQ(json::write(answered), "{\"error\":\"Skill failed\"}") << reply;
  }
  // Discovery shows the contract, never the instructions or where they are.
  auto host = SkillHost::open(*ws_, "agent-b");
  ASSERT_TRUE(host.ok());
  auto seen = (*host)->discovery(3);
  ASSERT_TRUE(seen.ok());
  std::string shown = json::write(*seen);
  EXPECT_NE(shown.find("headline"), std::string::npos);
  EXPECT_EQ(shown.find("twelve words"), std::string::npos);
  EXPECT_EQ(shown.find("SKILL.md"), std::string::npos);
}

TEST_F(LlmSkill, TheApiKeyComesOnlyFromAnOwnerOnlyFileAndIsNeverShown) {
  const std::string key = "sk-test-0123456789abcdef";
  write(ws_->bwoc_dir() / "llm.toml",
        "base_url = \"http://127.0.0.1:9/v1\"\nmodel = \"m\"\ncredentials = \"llm-api-key\"\n");
  write(ws_->credentials_dir() / "llm-api-key", key + "\n");
  ::chmod((ws_->credentials_dir() / "llm-api-key").c_str(), 0644);
  auto loose = load_chat_endpoint(*ws_);
  ASSERT_FALSE(loose.ok());
  EXPECT_NE(loose.error().message().find("chmod 600"), std::string::npos);
  EXPECT_EQ(loose.error().message().find(key), std::string::npos);
  ::chmod((ws_->credentials_dir() / "llm-api-key").c_str(), 0600);
  auto endpoint = load_chat_endpoint(*ws_);
  ASSERT_TRUE(endpoint.ok()) << endpoint.error().message();
  EXPECT_EQ(endpoint->api_key, key);
  EXPECT_EQ(chat_request_body(*endpoint, "s", "u").find(key), std::string::npos);

  write(ws_->bwoc_dir() / "llm.toml", "base_url = \"http://user:" + key + "@127.0.0.1/v1\"\nmodel = \"m\"\n");
  auto in_url = load_chat_endpoint(*ws_);
  ASSERT_FALSE(in_url.ok());
  EXPECT_EQ(in_url.error().message().find(key), std::string::npos);
  write(ws_->bwoc_dir() / "llm.toml", "base_url = \"http://127.0.0.1/v1\"\nmodle = \"m\"\n");
  auto typo = load_chat_endpoint(*ws_);
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.error().message().find("unknown field \"modle\""), std::string::npos);
}

}  // namespace
}  // namespace bwoc::skill
