// Tasks whose work runs after their message was accepted: the inbound layer
// says so (Progress::queued), and the task then follows the work through
// task_machine.h's states. Every state is put and synced before anyone hears
// of it; waiting sends, streams and cancels are told in the order the
// states were reached.
#include <algorithm>

#include "bwoc/core/envelope.h"
#include "bwoc/core/log.h"
#include "node.h"

namespace bwoc::a2a {

namespace {

constexpr std::string_view kTaskIdPurpose = "bwoc a2a task v1";
constexpr std::string_view kContextIdPurpose = "bwoc a2a context v1";

// A SendMessage is answered when its work ends, unless the client asked
// for the task at once; a stream starts at once either way.
bool waits_for_the_end(const Node::Call& call) { return !call.return_at_once && !call.streaming; }

HttpResponse stream_response(std::string first_event) {
  HttpResponse r;
  r.content_type = "text/event-stream";
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.body = std::move(first_event);
  return r;
}

}  // namespace

// One stream following a task: an SSE response of its own generation.
struct Watcher {
  json::Value rpc_id;
  Generation generation;
  std::shared_ptr<HttpStream> stream;
};

struct Node::Waiter {
  Call call;
  std::function<void(HttpResponse)> reply;
  bool until_final;  // else: as soon as the task is on disk
  bool is_send;      // a SendMessage result (1.0 wraps it), else the task itself (CancelTask)
};

struct Node::LiveTask {
  std::mutex mu;
  TaskRecord record;  // its state is the machine's, as last put
  TaskMachine machine;
  std::stop_source stop;
  // The states it went through, in order; the first `told` of them are on
  // disk and told to everyone waiting (a state passed on the way is told
  // with the next one).
  std::vector<TaskState> path{TaskState::submitted};
  std::size_t told = 0;
  UnixMillis changed = 0;  // when the last told state was told

  bool move(TaskMachine::Event event) {
    if (!machine.apply(event)) return false;
    path.push_back(machine.state());
    return true;
  }
  std::optional<TaskState> told_state() const {
    return told == 0 ? std::nullopt : std::optional<TaskState>(path[told - 1]);
  }
  std::vector<Watcher> watchers;
  std::vector<Waiter> waiters;
  bool persisting = false;
  bool again = false;  // a state changed while another thread was persisting
};

// What one SendMessage became while the inbound layer handles it.
struct Node::SendCall {
  Call call;
  std::function<void(HttpResponse)> reply;
  std::function<void(std::function<void()>)> post;
  std::mutex mu;
  std::shared_ptr<LiveTask> task;  // set once its work is queued
  bool finished = false;           // done() came first: answered as any envelope is
  bool ignored = false;            // answered otherwise (a repeat, too many tasks): done() brings nothing
  bool started = false;            // started() came before queued()
};

namespace {

// The events that take a stream from the task's state `from` (an index
// into its path) to `to`: a status for each state passed, the answer and a
// final status for the state it ended in.
std::vector<std::string> events_between(Generation g, const std::vector<TaskState>& path, std::size_t from,
                                        std::size_t to, TaskView view) {
  std::vector<std::string> out;
  std::string answer = std::move(view.receipt);
  for (std::size_t i = from; i < to; ++i) {
    view.state = std::string(state_name(path[i]));
    if (is_final(path[i])) {
      view.receipt = answer;
      if (!view.receipt.empty()) out.push_back(artifact_event(g, view));
      out.push_back(status_event(g, view, true));
    } else {
      out.push_back(status_event(g, view, false));
    }
  }
  return out;
}

}  // namespace

std::mutex& Node::live_task_mutex(LiveTask& task) { return task.mu; }

std::optional<TaskView> Node::told_view(LiveTask& task) {
  auto state = task.told_state();
  if (!state) return std::nullopt;
  TaskView v;
  v.id = task.record.id;
  v.context_id = task.record.context_id;
  v.state = std::string(state_name(*state));
  v.timestamp = format_timestamp(task.changed);
  v.request_id = task.record.request_id;
  if (is_final(*state)) v.receipt = task.record.receipt;
  return v;
}

std::shared_ptr<Node::LiveTask> Node::live_task(std::string_view id) {
  std::lock_guard lock(live_mu_);
  if (live_.empty()) return nullptr;
  auto it = live_.find(std::string(id));
  return it == live_.end() ? nullptr : it->second;
}

std::shared_ptr<Node::SendCall> Node::new_send(Call call, std::function<void(HttpResponse)> reply,
                                               std::function<void(std::function<void()>)> post) {
  auto send = std::make_shared<SendCall>();
  send->call = std::move(call);
  send->reply = std::move(reply);
  send->post = std::move(post);
  return send;
}

void Node::on_queued(const std::shared_ptr<SendCall>& send, const Delivery& d, std::stop_source stop) {
  const Envelope& env = *d.envelope;
  std::string id = inbound_.derive_id(kTaskIdPurpose, env.key, env.id);
  std::unique_lock call_lock(send->mu);
  if (send->finished) return;  // the work is done already: answered with its task as any envelope is
  if (d.outcome == Delivery::Outcome::duplicate) {
    // A retry of a request under way or done: its task, never its work twice.
    auto live = live_task(id);
    if (live || tasks_->contains(id)) {
      stop.request_stop();
      send->ignored = true;
      call_lock.unlock();
      if (live) {
        wait_for(live, Waiter{send->call, send->reply, waits_for_the_end(send->call), true});
        // Its state so far may be one nobody needed on disk yet.
        return send->post([this, live] { persist(live); });
      }
      InboundResult repeat;
      repeat.disposition = InboundResult::Disposition::stored;
      repeat.delivery = d;
      repeat.stored = true;
      return queue_result(Pending{send->call, std::move(repeat), send->reply}, send->post);
    }
  }
  auto task = std::make_shared<LiveTask>();
  task->record = TaskRecord{id,
                            send->call.context_id.empty() ? inbound_.derive_id(kContextIdPurpose, env.key, env.id)
                                                          : send->call.context_id,
                            env.key.to_text(),
                            env.id,
                            d.accepted_at > 0 ? d.accepted_at : now_millis(),
                            std::string(state_name(TaskState::submitted)),
                            ""};
  task->stop = std::move(stop);
  if (send->started) task->move(TaskMachine::Event::started);
  {
    std::lock_guard lock(live_mu_);
    if (live_.size() >= options_.max_live_tasks) {
      task->stop.request_stop();
      send->ignored = true;
      log::warning("a2a.busy", {{"agent", options_.agent}, {"why", "too many tasks under way"}});
      HttpResponse r = json_response(rpc_error(send->call.id, rpc_code::kInternalError, "Too many requests"), 429);
      r.headers.emplace_back("Retry-After", "1");
      send->reply(std::move(r));
      return;
    }
    live_[id] = task;
  }
  send->task = task;
  task->waiters.push_back(Waiter{send->call, send->reply, waits_for_the_end(send->call), true});
  call_lock.unlock();
  // This is the inbound layer's commit thread: the disk is waited for on an I/O thread.
  send->post([this, task] { persist(task); });
}

void Node::on_started(const std::shared_ptr<SendCall>& send) {
  std::shared_ptr<LiveTask> task;
  {
    std::lock_guard lock(send->mu);
    task = send->task;
    if (!task) {
      send->started = true;
      return;
    }
  }
  bool moved;
  {
    std::lock_guard lock(task->mu);
    moved = task->move(TaskMachine::Event::started);
  }
  if (moved) persist(task);
}

void Node::on_done(const std::shared_ptr<SendCall>& send, InboundResult r) {
  std::shared_ptr<LiveTask> task;
  {
    std::lock_guard lock(send->mu);
    if (send->ignored) return;
    task = send->task;
    if (!task) {
      // Done before anyone heard of it being under way: its task is complete
      // when it is first told, as any envelope's is.
      send->finished = true;
      queue_result(Pending{send->call, std::move(r), send->reply}, send->post);
      return;
    }
  }
  using D = InboundResult::Disposition;
  std::string answer;
  TaskMachine::Event event = TaskMachine::Event::failed;
  if (r.disposition == D::cancelled) return;  // canceled first: nothing ran
  if (r.disposition == D::answered) {
    answer = std::move(r.answer);
    // A signed error is the work's answer too, and says it failed.
    event = state_for_answer(answer) == TaskState::failed ? TaskMachine::Event::failed : TaskMachine::Event::answered;
  } else if (r.disposition == D::stored && r.delivery.envelope) {
    auto receipt = inbound_.receipt(r.delivery);
    if (receipt.ok()) {
      answer = std::move(receipt).value();
      event = TaskMachine::Event::answered;
    }
  }
  bool moved;
  {
    std::lock_guard lock(task->mu);
    moved = task->move(event);
    if (moved) task->record.receipt = std::move(answer);
  }
  // Canceled meanwhile: the answer is dropped, never told.
  if (moved) persist(task);
}

void Node::persist(const std::shared_ptr<LiveTask>& task) {
  {
    std::lock_guard lock(task->mu);
    if (task->persisting) {
      task->again = true;
      return;
    }
    task->persisting = true;
  }
  for (;;) {
    TaskState state;
    std::size_t reached;
    Status kept = ok_status();
    {
      std::lock_guard lock(task->mu);
      task->again = false;
      state = task->machine.state();
      reached = task->path.size();
      // A state on the way is put once anyone may ask for it: someone knows
      // the task (it was told before), follows it or waits for the next
      // state. A SendMessage that waits for the end costs one sync, as any
      // envelope does.
      bool heard = task->told > 0 || !task->watchers.empty() ||
                   std::any_of(task->waiters.begin(), task->waiters.end(), [](const Waiter& w) { return !w.until_final; });
      if (!is_final(state) && !heard) {
        task->persisting = false;
        return;
      }
      task->record.state = std::string(state_name(state));
      // Put under the task's lock: its lines are in the order of its states.
      kept = tasks_->put(task->record);
    }
    if (kept.ok()) kept = tasks_->sync();
    std::vector<std::function<void()>> tell;
    bool ended = false;
    bool more;
    {
      std::lock_guard lock(task->mu);
      if (!kept.ok()) {
        log::error("a2a.task_store_failed", {{"agent", options_.agent}, {"error", kept.error().message()}});
        // Nobody is told of a state that may not survive a crash: the
        // waiting are answered with an error, the streams end.
        for (Waiter& w : task->waiters) {
          tell.push_back([w = std::move(w)] {
            w.reply(json_response(rpc_error(w.call.id, rpc_code::kInternalError,
                                             "Internal error: the task could not be stored; try again later")));
          });
        }
        task->waiters.clear();
        for (Watcher& w : task->watchers) w.stream->end();
        task->watchers.clear();
      } else if (task->told < reached) {
        std::size_t before = task->told;
        task->told = reached;
        task->changed = now_millis();
        TaskView view = *told_view(*task);
        for (auto& w : task->watchers) {
          for (std::string& e : events_between(w.generation, task->path, before, reached, view)) {
            w.stream->write(sse_event(w.rpc_id, e));
          }
          if (is_final(state)) w.stream->end();
        }
        std::erase_if(task->watchers, [&](const Watcher& w) { return is_final(state) || !w.stream->open(); });
        std::vector<Waiter> still;
        for (Waiter& w : task->waiters) {
          if (w.until_final && !is_final(state)) {
            still.push_back(std::move(w));
            continue;
          }
          tell.push_back([this, task, w = std::move(w)] {
            if (w.call.streaming) return w.reply(follow(task, w.call, true));  // from the start
            std::optional<TaskView> v;
            {
              std::lock_guard l(task->mu);
              v = told_view(*task);
            }
            std::string json = task_json(w.call.generation, *v);
            w.reply(json_response(rpc_result(w.call.id, w.is_send ? send_result(w.call.generation, json, true) : json)));
          });
        }
        task->waiters = std::move(still);
      }
      ended = kept.ok() && is_final(state) && !task->again;
      more = task->again;
      if (!more) task->persisting = false;
    }
    for (auto& t : tell) t();
    if (ended) {
      // On disk and told: GetTask reads it from the store from now on.
      std::lock_guard lock(live_mu_);
      live_.erase(task->record.id);
    }
    if (!more) return;
  }
}

void Node::wait_for(const std::shared_ptr<LiveTask>& task, Waiter waiter) {
  std::optional<TaskView> view;
  {
    std::lock_guard lock(task->mu);
    auto told = task->told_state();
    bool ready = told && (!waiter.until_final || is_final(*told));
    if (!ready) {
      task->waiters.push_back(std::move(waiter));
      return;
    }
    view = told_view(*task);
  }
  if (waiter.call.streaming) return waiter.reply(follow(task, waiter.call, true));
  std::string json = task_json(waiter.call.generation, *view);
  waiter.reply(json_response(rpc_result(waiter.call.id, waiter.is_send ? send_result(waiter.call.generation, json, true) : json)));
}

HttpResponse Node::follow(const std::shared_ptr<LiveTask>& task, const Call& call, bool from_start) {
  std::size_t shown;
  std::string first;
  {
    std::lock_guard lock(task->mu);
    auto view = told_view(*task);
    if (!view) return json_response(rpc_error(call.id, rpc_code::kTaskNotFound, "Task not found"));
    if (task->watchers.size() >= options_.max_streams_per_task) {
      std::erase_if(task->watchers, [](const Watcher& w) { return !w.stream->open(); });
      if (task->watchers.size() >= options_.max_streams_per_task) {
        HttpResponse r = json_response(rpc_error(call.id, rpc_code::kInternalError, "Too many streams of this task"), 429);
        r.headers.emplace_back("Retry-After", "1");
        return r;
      }
    }
    // A stream that sent the message sees the task from its first state;
    // one that subscribes later, from the state it is in.
    shown = from_start ? 1 : task->told;
    view->state = std::string(state_name(task->path[shown - 1]));
    if (!is_final(task->path[shown - 1])) view->receipt.clear();
    first = sse_event(call.id, task_event(call.generation, *view));
  }
  HttpResponse r = stream_response(std::move(first));
  r.stream = [task, id = call.id, g = call.generation, shown](std::shared_ptr<HttpStream> stream) {
    // The states told since the first event, then each as it is told.
    std::lock_guard lock(task->mu);
    if (task->told > shown) {
      for (std::string& e : events_between(g, task->path, shown, task->told, *told_view(*task))) {
        stream->write(sse_event(id, e));
      }
    }
    if (is_final(*task->told_state())) return stream->end();
    task->watchers.push_back(Watcher{id, g, std::move(stream)});
  };
  return r;
}

void Node::cancel_task(const RpcRequest& rpc, std::function<void(HttpResponse)> reply) {
  auto id = requested_task_id(rpc);
  if (!id) return reply(json_response(rpc_error(rpc.id, rpc_code::kInvalidParams, "Invalid params: params.id is required")));
  auto task = live_task(*id);
  if (!task) return reply(task_exists_error(rpc, rpc_code::kTaskNotCancelable, "Task not cancelable: its work has ended"));
  {
    std::lock_guard lock(task->mu);
    if (!task->move(TaskMachine::Event::canceled)) {
      return reply(json_response(rpc_error(rpc.id, rpc_code::kTaskNotCancelable, "Task not cancelable: its work has ended")));
    }
    task->stop.request_stop();
  }
  log::info("a2a.task_canceled", {{"agent", options_.agent}, {"task", *id}});
  // Answered once the canceled state is on disk, by whichever thread puts it.
  wait_for(task, Waiter{Call{rpc.id, rpc.generation, false, "", false}, std::move(reply), true, false});
  persist(task);
}

void Node::subscribe_to_task(const RpcRequest& rpc, std::function<void(HttpResponse)> reply) {
  auto id = requested_task_id(rpc);
  if (!id) return reply(json_response(rpc_error(rpc.id, rpc_code::kInvalidParams, "Invalid params: params.id is required")));
  auto task = live_task(*id);
  if (!task) {
    return reply(task_exists_error(rpc, rpc_code::kUnsupportedOperation,
                                   "Unsupported operation: the task has ended and cannot be subscribed to"));
  }
  reply(follow(task, Call{rpc.id, rpc.generation, true, "", false}, false));
}

}  // namespace bwoc::a2a
