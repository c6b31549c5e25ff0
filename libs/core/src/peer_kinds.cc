#include "bwoc/core/peer_kinds.h"

#include "bwoc/core/export.h"
#include "bwoc/core/files.h"
#include "bwoc/core/shares.h"
#include "bwoc/core/trust.h"

namespace bwoc {

namespace {

std::string result_kind(std::string_view kind) { return std::string(kind) + ".result"; }

Result<json::Value> learn_payload(const Workspace& ws, const json::Value& request) {
  const json::Value* doc = request.find("doc");
  if (doc == nullptr || !doc->is_string()) {
    BWOC_ASSIGN_OR_RETURN(std::vector<SharedFile> docs, shared_files(ws));
    json::Value list = json::Value::array();
    for (const SharedFile& d : docs) {
      list.push_back(json::Value::object(
          {{"name", d.name}, {"description", d.description}, {"modified", format_timestamp(d.modified)}}));
    }
    return json::Value::object({{"docs", std::move(list)}});
  }
  // Read beneath the workspace, never through a link (shares.h).
  std::optional<std::string> text;
  auto read = read_share(ws, doc->as_string(), kMaxSharedDocBytes);
  if (read.ok() && json::is_valid_utf8(*read)) text = std::move(read).value();
  if (!text) return json::Value::object({{"doc", doc->as_string()}, {"found", false}});
  return json::Value::object({{"doc", doc->as_string()}, {"found", true}, {"text", std::move(*text)}});
}

std::optional<std::string> feedback_problem(const Envelope& env) {
  const json::Value& p = env.payload();
  const json::Value* score = p.find("score");
  const json::Value* comment = p.find("comment");
  bool ok = p.is_object() && score != nullptr && score->is_number() && score->is_safe_integer() &&
            score->as_number() >= 1 && score->as_number() <= 5 &&
            (comment == nullptr || (comment->is_string() && comment->as_string().size() <= kMaxFeedbackCommentBytes));
  if (ok) return std::nullopt;
  return std::string("Invalid feedback: {\"score\": 1 to 5, \"comment\": text of at most 4000 bytes}");
}

}  // namespace

void add_peer_kinds(Inbound& inbound) {
  Inbound* node = &inbound;
  KindHandler status;
  status.stored = false;
  status.min_tier = kKnown;
  status.act = [node](const InboundRequest& r) -> Result<std::optional<std::string>> {
    BWOC_ASSIGN_OR_RETURN(json::Value summary, status_summary(node->workspace()));
    BWOC_ASSIGN_OR_RETURN(std::string text, node->sign_answer(r.envelope, result_kind(kPeerStatusKind), std::move(summary)));
    return std::optional<std::string>(std::move(text));
  };
  inbound.add_kind(std::string(kPeerStatusKind), std::move(status));

  KindHandler learn;
  learn.stored = false;
  learn.min_tier = kKnown;
  learn.act = [node](const InboundRequest& r) -> Result<std::optional<std::string>> {
    BWOC_ASSIGN_OR_RETURN(json::Value payload, learn_payload(node->workspace(), r.envelope.payload()));
    BWOC_ASSIGN_OR_RETURN(std::string text, node->sign_answer(r.envelope, result_kind(kPeerLearnKind), std::move(payload)));
    return std::optional<std::string>(std::move(text));
  };
  inbound.add_kind(std::string(kPeerLearnKind), std::move(learn));

  KindHandler feedback;
  feedback.admit = feedback_problem;
  inbound.add_kind(std::string(kFeedbackKind), std::move(feedback));
}

}  // namespace bwoc
