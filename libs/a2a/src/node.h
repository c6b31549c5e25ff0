// The A2A node of one agent: what the listener hands requests to. It serves
// the agent card, answers JSON-RPC in both protocol generations, delivers
// envelopes through the workspace's receiver, and keeps the tasks.
//
// Every envelope goes through all of spec §3's checks before anything else;
// whatever is refused gets the same "Not accepted." answer. The node signs a
// receipt only after the envelope is on disk.
#ifndef BWOC_A2A_SRC_NODE_H_
#define BWOC_A2A_SRC_NODE_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "bwoc/core/files.h"
#include "bwoc/core/receiver.h"
#include "bwoc/core/work_queue.h"
#include "bwoc/a2a/card.h"
#include "bwoc/skill/host.h"
#include "bwoc/core/workspace.h"
#include "http.h"
#include "jsonrpc.h"
#include "rate_limit.h"
#include "task_store.h"

namespace bwoc::a2a {

struct NodeOptions {
  std::string agent;
  std::string base_url;  // what the card advertises
  std::size_t max_body_bytes = (1u << 20) + 64 * 1024;
  double rate_per_key = 50;    // envelopes a second from one verified key; 0: unlimited
  double burst_per_key = 100;
  TaskStoreOptions tasks;
  std::size_t max_skill_runs = 8;      // skills running at once
  std::size_t max_skill_queue = 256;   // calls waiting for a run; beyond, "busy"
  std::size_t io_threads = 1;          // the listener's, over which receipts are signed
};

class Node : public HttpHandler {
 public:
  static Result<std::unique_ptr<Node>> open(const Workspace& ws, const NodeOptions& options);
  void handle(HttpRequest request, std::function<void(HttpResponse)> reply) override;

  // Returns once every delivery so far is on disk and answered.
  void flush();
  Receiver::Stats receiver_stats() const { return receiver_->stats(); }
  std::size_t tasks() const { return tasks_->size(); }

 private:
  Node(const Workspace& ws, NodeOptions options, SecretKey key)
      : ws_(ws), options_(std::move(options)), key_(std::move(key)), per_key_(options_.rate_per_key, options_.burst_per_key) {}

  void handle_rpc(HttpRequest& request, std::function<void(HttpResponse)>& reply);
  // What a reply needs of its request.
  struct Call {
    json::Value id;
    Generation generation;
    bool streaming;
  };
  void handle_send(RpcRequest& rpc, bool streaming, HttpRequest& request, std::function<void(HttpResponse)> reply);
  void finish_send(const Call& call, const std::string& context_id, const Delivery& d,
                   const std::function<void(HttpResponse)>& reply, const std::string* answer_text = nullptr);
  // Deliveries come back from the receiver a commit batch at a time; their
  // receipts are signed on the I/O threads, a share of the batch for each
  // thread per trip through its queue, and the batch's tasks written at once.
  struct Delivered {
    Call call;
    std::string context_id;
    Delivery delivery;
    std::function<void(HttpResponse)> reply;
  };
  void delivered(Delivered item, const std::function<void(std::function<void()>)>& post);
  void finish_delivered(std::function<void(std::function<void()>)> post);
  // peer.status and peer.learn: read-only requests the node answers itself
  // with a signed <kind>.result, after every check and nothing stored.
  void answer_peer_request(const Call& call, const std::string& context_id, const std::string& text,
                           HttpRequest& request, const std::function<void(HttpResponse)>& reply);
  Result<json::Value> peer_request_payload(const Envelope& request);
  // skill.discover and skill.call: delivered like any envelope, then answered
  // by the skill host on a worker thread with a signed answer.
  void handle_skill_request(const Call& call, const std::string& context_id, json::Value* envelope,
                            HttpRequest& request, std::function<void(HttpResponse)> reply);
  HttpResponse extended_card(const RpcRequest& rpc);
  // The public card, rebuilt at most once a second when the skills open to
  // tier 0 change.
  std::shared_ptr<const std::string> current_card();
  HttpResponse get_task(const RpcRequest& rpc);
  HttpResponse list_tasks(const RpcRequest& rpc);
  HttpResponse task_exists_error(const RpcRequest& rpc, int code_if_found, std::string_view message_if_found);
  std::optional<std::string> requested_task_id(const RpcRequest& rpc);
  void log_refusal(std::string_view what, std::string_view client);

  Workspace ws_;
  NodeOptions options_;
  SecretKey key_;
  TokenBuckets per_key_;
  std::unique_ptr<Receiver> receiver_;
  std::unique_ptr<TaskStore> tasks_;
  std::optional<FileLock> serve_lock_;
  std::atomic<std::shared_ptr<const std::string>> card_;
  std::mutex card_mu_;
  CardInfo card_info_;
  std::atomic<std::int64_t> card_checked_ms_{0};
  std::unique_ptr<skill::SkillHost> skills_;
  std::unique_ptr<WorkQueue> skill_work_;
  std::mutex delivered_mu_;
  std::vector<Delivered> delivered_;  // waiting for an I/O thread
  bool finisher_posted_ = false;
  std::atomic<std::int64_t> last_log_second_{0};
  std::atomic<int> logged_this_second_{0};
};

HttpResponse json_response(std::string body, int status = 200);

}  // namespace bwoc::a2a

#endif  // BWOC_A2A_SRC_NODE_H_
