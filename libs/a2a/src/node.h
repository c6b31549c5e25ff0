// The A2A face of one agent: what the listener hands requests to. It serves
// the agent card, answers JSON-RPC in both protocol generations, hands every
// envelope to the node's inbound layer (bwoc/core/inbound.h) and frames
// what comes back: a task whose artifact is the signed answer, "Not
// accepted.", or HTTP 429.
//
// When the inbound layer runs an envelope's action later, on its workers
// (a skill), the task is there at once and follows the work (task_machine.h):
// SendMessage waits for its end unless the client asks to return at once,
// the streaming methods send each state as it comes, and CancelTask stops
// work not finished yet. Each state is on disk before anyone is told of it.
//
// What an envelope means is never decided here: the inbound layer does that
// once for every transport. A task is on disk before it is answered.
#ifndef BWOC_A2A_SRC_NODE_H_
#define BWOC_A2A_SRC_NODE_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <unordered_map>

#include "bwoc/a2a/card.h"
#include "bwoc/core/files.h"
#include "bwoc/core/inbound.h"
#include "bwoc/core/log.h"
#include "bwoc/core/workspace.h"
#include "http.h"
#include "jsonrpc.h"
#include "shapes.h"
#include "task_machine.h"
#include "task_store.h"

namespace bwoc::a2a {

struct NodeOptions {
  std::string agent;
  std::string base_url;  // what the card advertises
  std::size_t max_body_bytes = (1u << 20) + 64 * 1024;
  TaskStoreOptions tasks;
  std::size_t io_threads = 1;  // the listener's, over which receipts are signed
  // Tasks whose work is under way, and streams following one task.
  std::size_t max_live_tasks = 4096;
  std::size_t max_streams_per_task = 16;
};

class Node : public HttpHandler {
 public:
  static Result<std::unique_ptr<Node>> open(const Workspace& ws, const NodeOptions& options, Inbound& inbound);
  void handle(HttpRequest request, std::function<void(HttpResponse)> reply) override;

  // Returns once every delivery so far is on disk and answered.
  void flush();
  std::size_t tasks() const { return tasks_->size(); }

 private:
  Node(const Workspace& ws, NodeOptions options, Inbound& inbound)
      : ws_(ws), options_(std::move(options)), inbound_(inbound) {}

  void handle_rpc(HttpRequest& request, std::function<void(HttpResponse)>& reply);

 public:
  // What a reply needs of its request.
  struct Call {
    json::Value id;
    Generation generation;
    bool streaming;
    std::string context_id;  // as the client asked; "" lets the node choose
    bool return_at_once = false;  // SendMessage: answer before work under way ends
  };

 private:
  void handle_send(RpcRequest& rpc, bool streaming, HttpRequest& request, std::function<void(HttpResponse)> reply);

  // Tasks whose work is under way (node_tasks.cc).
  struct LiveTask;
  struct SendCall;
  struct Waiter;
  std::shared_ptr<SendCall> new_send(Call call, std::function<void(HttpResponse)> reply,
                                     std::function<void(std::function<void()>)> post);
  void on_queued(const std::shared_ptr<SendCall>& send, const Delivery& delivery, std::stop_source stop);
  void on_started(const std::shared_ptr<SendCall>& send);
  void on_done(const std::shared_ptr<SendCall>& send, InboundResult result);
  // Puts the task's state, waits for the disk, then tells whoever waits
  // for that state; one thread at a time a task, the others leave it to it.
  void persist(const std::shared_ptr<LiveTask>& task);
  void wait_for(const std::shared_ptr<LiveTask>& task, Waiter waiter);
  std::shared_ptr<LiveTask> live_task(std::string_view id);
  // The task as clients were last told of it (on disk); nullopt before that.
  // Requires the task's mutex.
  static std::optional<TaskView> told_view(LiveTask& task);
  static std::mutex& live_task_mutex(LiveTask& task);
  HttpResponse follow(const std::shared_ptr<LiveTask>& task, const Call& call, bool from_start);
  void cancel_task(const RpcRequest& rpc, std::function<void(HttpResponse)> reply);
  void subscribe_to_task(const RpcRequest& rpc, std::function<void(HttpResponse)> reply);
  // Results come back from the inbound layer a commit batch at a time (or
  // one by one from its workers); their receipts are signed on the I/O
  // threads, a share of the batch for each thread per trip through its
  // queue, the batch's tasks written and synced at once, and only then is
  // anyone answered.
  struct Pending {
    Call call;
    InboundResult result;
    std::function<void(HttpResponse)> reply;
  };
  void queue_result(Pending item, const std::function<void(std::function<void()>)>& post);
  void finish_results(std::function<void(std::function<void()>)> post);
  // The response to one result; a task to keep, when there is one, goes to `keep`.
  HttpResponse respond(const Pending& p, std::vector<TaskRecord>& keep);
  HttpResponse sent(const Call& call, const std::string& task_or_message, bool is_task,
                    const std::vector<std::string>& events);
  HttpResponse extended_card(const RpcRequest& rpc);
  // The public card, rebuilt at most once a second when the skills open to
  // tier 0 change.
  std::shared_ptr<const std::string> current_card();
  // The card as served: signed (JWS, A2A `signatures`) with the key it publishes.
  std::string render_card(const CardInfo& info) const;
  // The key a request proves it holds with a signed envelope in its
  // params.metadata ("bwoc.envelope"), checked (1–9) and not recorded.
  std::optional<PublicKey> authenticated_key(const RpcRequest& rpc);
  HttpResponse get_task(const RpcRequest& rpc);
  HttpResponse list_tasks(const RpcRequest& rpc);
  HttpResponse task_exists_error(const RpcRequest& rpc, int code_if_found, std::string_view message_if_found);
  std::optional<std::string> requested_task_id(const RpcRequest& rpc);
  void log_not_accepted(std::string_view what, std::string_view client);

  Workspace ws_;
  NodeOptions options_;
  Inbound& inbound_;
  std::unique_ptr<TaskStore> tasks_;
  std::optional<FileLock> serve_lock_;
  std::atomic<std::shared_ptr<const std::string>> card_;
  std::mutex card_mu_;
  CardInfo card_info_;
  std::atomic<std::int64_t> card_checked_ms_{0};
  std::mutex pending_mu_;
  std::vector<Pending> pending_;  // waiting for an I/O thread
  bool finisher_posted_ = false;
  std::mutex live_mu_;
  std::unordered_map<std::string, std::shared_ptr<LiveTask>> live_;
  log::Throttle not_accepted_lines_{20, std::chrono::seconds(1)};
};

HttpResponse json_response(std::string body, int status = 200);

}  // namespace bwoc::a2a

#endif  // BWOC_A2A_SRC_NODE_H_
