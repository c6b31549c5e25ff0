#include "node.h"

#include <cmath>

#include "bwoc/a2a/card.h"
#include "bwoc/core/export.h"
#include "bwoc/core/files.h"
#include "bwoc/core/log.h"
#include "bwoc/core/receipt.h"
#include "bwoc/core/shares.h"
#include "bwoc/core/trust.h"
#include "shapes.h"

namespace bwoc::a2a {

namespace {

constexpr std::size_t kMaxContextIdBytes = 256;
constexpr std::size_t kDefaultPageSize = 50;
constexpr std::size_t kMaxPageSize = 100;

bool printable(std::string_view s) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return false;
  }
  return true;
}

HttpResponse text_response(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

}  // namespace

HttpResponse json_response(std::string body, int status) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Result<std::unique_ptr<Node>> Node::open(const Workspace& ws, const NodeOptions& options) {
  if (!ws.has_agent(options.agent)) {
    return Error(Errc::not_found, "no agent \"" + options.agent + "\" in workspace \"" + ws.name() + "\"");
  }
  BWOC_ASSIGN_OR_RETURN(SecretKey key, ws.load_secret_key());
  std::unique_ptr<Node> node(new Node(ws, options, std::move(key)));
  std::filesystem::path dir = ws.state_dir() / "a2a" / options.agent;
  BWOC_RETURN_IF_ERROR(ensure_directory(dir, 0700));
  auto lock = FileLock::try_acquire(dir / "serve.lock");
  if (!lock.ok()) {
    if (lock.error().code() == Errc::already_exists) {
      return Error(Errc::already_exists, "agent \"" + options.agent + "\" is already served by another `bwoc a2a serve`");
    }
    return lock.error();
  }
  node->serve_lock_.emplace(std::move(lock).value());
  BWOC_ASSIGN_OR_RETURN(node->tasks_, TaskStore::open(dir, options.tasks));

  ReceiverOptions ropts;
  Node* raw = node.get();
  ropts.policy = [raw](const Envelope& env, const std::string&) -> std::optional<std::string> {
    // This endpoint delivers to its own agent only.
    if (env.to != raw->options_.agent) return std::string("recipient");
    if (raw->per_key_.take(env.key.to_text()) > 0) return std::string("rate_limited");
    return std::nullopt;
  };
  BWOC_ASSIGN_OR_RETURN(node->receiver_, Receiver::open(ws, std::move(ropts)));

  skill::HostOptions hopts;
  hopts.max_concurrent_runs = options.max_skill_runs;
  hopts.routes = [raw] { return raw->receiver_->routes(); };
  BWOC_ASSIGN_OR_RETURN(node->skills_, skill::SkillHost::open(ws, options.agent, std::move(hopts)));
  node->skill_work_ = std::make_unique<WorkQueue>(options.max_skill_runs, options.max_skill_queue);

  BWOC_ASSIGN_OR_RETURN(node->card_info_, card_info_for(ws, options.agent, options.base_url));
  node->card_ = std::make_shared<const std::string>(json::write(agent_card(node->card_info_)));
  node->card_checked_ms_ = now_millis();
  return node;
}

void Node::flush() { receiver_->flush(); }

void Node::log_refusal(std::string_view what, std::string_view client) {
  // A flood must not become a flood of log lines: at most 20 a second.
  std::int64_t second = now_millis() / 1000;
  if (last_log_second_.exchange(second) != second) logged_this_second_ = 0;
  if (++logged_this_second_ > 20) return;
  log::info("a2a.not_accepted", {{"agent", options_.agent}, {"why", std::string(what)}, {"client", std::string(client)}});
}

void Node::handle(HttpRequest request, std::function<void(HttpResponse)> reply) {
  const std::string& target = request.target;
  std::string_view path = std::string_view(target).substr(0, target.find('?'));
  if (path == "/.well-known/agent-card.json" || path == "/.well-known/agent.json") {
    if (request.method != "GET" && request.method != "HEAD") {
      HttpResponse r = text_response(405, "use GET\n");
      r.headers.emplace_back("Allow", "GET");
      return reply(std::move(r));
    }
    HttpResponse r;
    r.shared_body = current_card();
    r.headers.emplace_back("Cache-Control", "max-age=60");
    return reply(std::move(r));
  }
  if (path == "/a2a") {
    if (request.method != "POST") {
      HttpResponse r = text_response(405, "A2A JSON-RPC: POST a request here\n");
      r.headers.emplace_back("Allow", "POST");
      return reply(std::move(r));
    }
    return handle_rpc(request, reply);
  }
  reply(text_response(404, "not found: the agent card is at /.well-known/agent-card.json\n"));
}

void Node::handle_rpc(HttpRequest& request, std::function<void(HttpResponse)>& reply) {
  auto parsed = read_rpc(request.body, request.header("a2a-version"), options_.max_body_bytes);
  if (auto* err = std::get_if<RpcError>(&parsed)) {
    if (err->code == rpc_code::kParseError) log_refusal("request is not strict JSON", request.client);
    return reply(json_response(rpc_error(err->id, err->code, err->message)));
  }
  RpcRequest& rpc = std::get<RpcRequest>(parsed);
  switch (rpc.method) {
    case Method::send_message:
      return handle_send(rpc, false, request, std::move(reply));
    case Method::send_streaming_message:
      return handle_send(rpc, true, request, std::move(reply));
    case Method::get_task:
      return reply(get_task(rpc));
    case Method::cancel_task:
      // Tasks complete when they are created: there is never one to cancel.
      return reply(task_exists_error(rpc, rpc_code::kTaskNotCancelable, "Task not cancelable: it is completed"));
    case Method::subscribe_to_task:
      return reply(task_exists_error(rpc, rpc_code::kUnsupportedOperation,
                                     "Unsupported operation: the task is completed and cannot be subscribed to"));
    case Method::list_tasks:
      return reply(list_tasks(rpc));
    case Method::get_extended_card:
      return reply(extended_card(rpc));
    case Method::push_notification_config:
      return reply(json_response(
          rpc_error(rpc.id, rpc_code::kPushNotificationNotSupported, "Push notifications are not supported")));
  }
}

void Node::handle_send(RpcRequest& rpc, bool streaming, HttpRequest& request,
                       std::function<void(HttpResponse)> reply) {
  Call call{rpc.id, rpc.generation, streaming};
  json::Value* message = nullptr;
  for (json::Member& m : rpc.params.members()) {
    if (m.name == "message" && m.value.is_object()) message = &m.value;
  }
  if (message == nullptr) {
    return reply(json_response(rpc_error(rpc.id, rpc_code::kInvalidParams, "Invalid params: params.message is required")));
  }
  std::string context_id;
  if (const json::Value* c = message->find("contextId"); c && c->is_string() && !c->as_string().empty()) {
    if (c->as_string().size() > kMaxContextIdBytes || !printable(c->as_string())) {
      return reply(json_response(rpc_error(rpc.id, rpc_code::kInvalidParams, "Invalid params: contextId is too long")));
    }
    context_id = c->as_string();
  }
  // The envelope, taken out of the request (no copy): {"bwoc.envelope": …} in a data part.
  json::Value* envelope = const_cast<json::Value*>(envelope_in_parts(*message));
  if (envelope == nullptr) {
    log_refusal("no bwoc envelope in the message", request.client);
    return finish_send(call, context_id, Delivery(), reply);
  }
  if (envelope->is_object()) {
    const json::Value* kind = envelope->find("kind");
    if (kind != nullptr && kind->is_string() && (kind->as_string() == "peer.status" || kind->as_string() == "peer.learn")) {
      return answer_peer_request(call, context_id, json::write(*envelope), request, reply);
    }
    if (kind != nullptr && kind->is_string() && skill::is_skill_request(kind->as_string())) {
      return handle_skill_request(call, context_id, envelope, request, std::move(reply));
    }
  }
  auto done = [this, call = std::move(call), context_id, post = request.post, reply = std::move(reply)](Delivery d) mutable {
    // Off the commit thread: signing the receipt is the I/O thread's work.
    delivered(Delivered{std::move(call), std::move(context_id), std::move(d), std::move(reply)}, post);
  };
  if (envelope->is_string()) {
    // Sent as text: delivered as the very bytes that were sent.
    receiver_->receive(envelope->as_string(), Via::a2a, request.client, std::move(done));
  } else {
    std::string text = json::write(*envelope);
    receiver_->receive_document(std::move(*envelope), std::move(text), Via::a2a, request.client, std::move(done));
  }
}

void Node::delivered(Delivered item, const std::function<void(std::function<void()>)>& post) {
  bool post_finisher;
  {
    std::lock_guard lock(delivered_mu_);
    delivered_.push_back(std::move(item));
    post_finisher = !finisher_posted_;
    finisher_posted_ = true;
  }
  if (post_finisher) post([this, post] { finish_delivered(post); });
}

void Node::finish_delivered(std::function<void(std::function<void()>)> post) {
  std::vector<Delivered> mine;
  bool more;
  {
    std::lock_guard lock(delivered_mu_);
    std::size_t share = (delivered_.size() + options_.io_threads - 1) / options_.io_threads;
    if (share == delivered_.size()) {
      mine.swap(delivered_);
    } else {
      mine.assign(std::make_move_iterator(delivered_.begin()), std::make_move_iterator(delivered_.begin() + share));
      delivered_.erase(delivered_.begin(), delivered_.begin() + share);
    }
    more = !delivered_.empty();
    finisher_posted_ = more;
  }
  if (more) post([this, post] { finish_delivered(post); });  // the rest for another thread
  for (Delivered& d : mine) finish_send(d.call, d.context_id, d.delivery, d.reply);
  if (Status st = tasks_->flush(); !st.ok()) {
    // The envelopes are delivered and the receipts sound; only task reads suffer.
    log::warning("a2a.task_store_failed", {{"agent", options_.agent}, {"error", st.error().message()}});
  }
}

void Node::handle_skill_request(const Call& call, const std::string& context_id, json::Value* envelope,
                                HttpRequest& request, std::function<void(HttpResponse)> reply) {
  auto post = request.post;
  auto done = [this, call, context_id, post, reply = std::move(reply)](Delivery d) mutable {
    if (!d.delivered() || !d.envelope) {
      return post([this, call, context_id, d = std::move(d), reply = std::move(reply)] {
        finish_send(call, context_id, d, reply);
      });
    }
    auto work = [this, call, context_id, post, d, reply]() mutable {
      auto answer = skills_->respond(*d.envelope, d.peer, key_, d.outcome == Delivery::Outcome::duplicate);
      post([this, call, context_id, d = std::move(d), reply = std::move(reply), answer = std::move(answer)] {
        if (!answer.ok()) {
          log::error("a2a.skill_answer_failed", {{"agent", options_.agent}, {"error", answer.error().message()}});
          return reply(json_response(rpc_error(call.id, rpc_code::kInternalError, "Internal error")));
        }
        finish_send(call, context_id, d, reply, &answer.value());
      });
    };
    if (!skill_work_->try_post(std::move(work))) {
      // Every worker is busy and the queue is full: the caller may retry the
      // same envelope (the repeat is answered once there is room).
      post([call, reply] {
        HttpResponse r = json_response(rpc_error(call.id, rpc_code::kInternalError, "Too many requests"), 429);
        r.headers.emplace_back("Retry-After", "1");
        reply(std::move(r));
      });
    }
  };
  if (envelope->is_string()) {
    receiver_->receive(envelope->as_string(), Via::a2a, request.client, std::move(done));
  } else {
    std::string text = json::write(*envelope);
    receiver_->receive_document(std::move(*envelope), std::move(text), Via::a2a, request.client, std::move(done));
  }
}

std::shared_ptr<const std::string> Node::current_card() {
  std::int64_t now = now_millis();
  if (now - card_checked_ms_.load(std::memory_order_relaxed) >= 1000) {
    std::lock_guard lock(card_mu_);
    if (now - card_checked_ms_.load() >= 1000) {
      card_checked_ms_ = now;
      auto open_skills = skills_->card_skills(kUntrusted);
      if (open_skills.ok() && !(*open_skills == card_info_.skills)) {
        card_info_.skills = std::move(open_skills).value();
        card_ = std::make_shared<const std::string>(json::write(agent_card(card_info_)));
      }
    }
  }
  return card_.load();
}

HttpResponse Node::extended_card(const RpcRequest& rpc) {
  // Authenticated by a signed skill.discover envelope in the request's
  // metadata, checked (1–9) but not recorded: reading changes nothing.
  const json::Value* metadata = rpc.params.find("metadata");
  const json::Value* auth = metadata ? metadata->find(kEnvelopePartKey) : nullptr;
  std::optional<int> tier;
  if (auth != nullptr && (auth->is_object() || auth->is_string())) {
    Delivery d = receiver_->check(auth->is_string() ? auth->as_string() : json::write(*auth), Via::a2a);
    if (d.outcome == Delivery::Outcome::accepted && d.envelope && d.envelope->to == options_.agent &&
        d.envelope->kind == skill::kDiscoverKind) {
      TrustStore trust(ws_, receiver_->routes());
      auto t = trust.tier_of(d.envelope->key);
      if (t.ok()) tier = *t;
    }
  }
  // Without proof of a key the caller sees what tier 0 sees: the public
  // card (SDKs fetch the extended card on their own when it is advertised).
  if (!tier) return json_response(rpc_result(rpc.id, *current_card()));
  CardInfo info;
  {
    std::lock_guard lock(card_mu_);
    info = card_info_;
  }
  auto skills = skills_->card_skills(*tier);
  auto contracts = skills_->discovery(*tier);
  if (!skills.ok() || !contracts.ok()) return json_response(rpc_error(rpc.id, rpc_code::kInternalError, "Internal error"));
  info.skills = std::move(skills).value();
  info.skill_contracts = *contracts->find("skills");
  info.skill_set_hash = contracts->find("set_hash")->as_string();
  json::Value card = agent_card(info);
  return json_response(rpc_result(rpc.id, json::write(card)));
}

void Node::answer_peer_request(const Call& call, const std::string& context_id, const std::string& text,
                               HttpRequest& request, const std::function<void(HttpResponse)>& reply) {
  // A read changes nothing, so it is checked (1–9) without being recorded;
  // its age is bounded by A2A's 300 s like any envelope.
  Delivery d = receiver_->check(text, Via::a2a);
  std::string why;
  if (d.outcome != Delivery::Outcome::accepted || !d.envelope) {
    if (d.refusal) why = std::string(reason_code(d.refusal->reason));
  } else if (d.envelope->to != options_.agent) {
    why = "recipient";
  } else if (per_key_.take(d.envelope->key.to_text()) > 0) {
    why = "rate_limited";
  } else {
    // The tier in force now (trust.json), not only what routes.toml declares.
    TrustStore trust(ws_, receiver_->routes());
    auto tier = trust.tier_of(d.envelope->key);
    if (!tier.ok() || tier->value_or(kUntrusted) < kKnown) why = "tier";
  }
  if (!why.empty()) {
    log_refusal(d.envelope ? d.envelope->kind + ": " + why : why, request.client);
    return finish_send(call, context_id, Delivery(), reply);
  }
  const Envelope& env = *d.envelope;
  auto payload = peer_request_payload(env);
  if (!payload.ok()) {
    log::warning("a2a.peer_request_failed", {{"kind", env.kind}, {"error", payload.error().message()}});
    return reply(json_response(rpc_error(call.id, rpc_code::kInternalError, "Internal error")));
  }
  EnvelopeDraft draft;
  draft.kind = env.kind + ".result";
  draft.from = options_.agent;
  draft.to = env.from;
  draft.aud = env.key;
  draft.re = env.id;
  draft.payload = std::move(payload).value();
  auto answer_text = sign_envelope(draft, key_);
  if (!answer_text.ok()) return reply(json_response(rpc_error(call.id, rpc_code::kInternalError, "Internal error")));
  d.accepted_at = now_millis();
  finish_send(call, context_id, d, reply, &answer_text.value());
}

Result<json::Value> Node::peer_request_payload(const Envelope& request) {
  if (request.kind == "peer.status") return status_summary(ws_);
  // peer.learn: {} lists the shared documents; {"doc": NAME} reads one. A
  // name that is not shared and a file that is missing answer the same.
  const json::Value* doc = request.payload().find("doc");
  if (doc == nullptr || !doc->is_string()) {
    BWOC_ASSIGN_OR_RETURN(std::vector<SharedFile> docs, shared_files(ws_));
    json::Value list = json::Value::array();
    for (const SharedFile& d : docs) {
      list.push_back(json::Value::object(
          {{"name", d.name}, {"description", d.description}, {"modified", format_timestamp(d.modified)}}));
    }
    return json::Value::object({{"docs", std::move(list)}});
  }
  std::optional<std::string> text;
  auto read = read_share(ws_, doc->as_string(), 1 << 20);
  if (read.ok() && json::is_valid_utf8(*read)) text = std::move(read).value();
  if (!text) return json::Value::object({{"doc", doc->as_string()}, {"found", false}});
  return json::Value::object({{"doc", doc->as_string()}, {"found", true}, {"text", std::move(*text)}});
}

void Node::finish_send(const Call& call, const std::string& requested_context, const Delivery& d,
                       const std::function<void(HttpResponse)>& reply, const std::string* answer_text) {
  auto answer = [&](const std::string& task_or_message, bool is_task, const std::vector<std::string>& events) {
    if (!call.streaming) {
      return reply(json_response(rpc_result(call.id, send_result(call.generation, task_or_message, is_task))));
    }
    HttpResponse r;
    r.content_type = "text/event-stream";
    r.headers.emplace_back("Cache-Control", "no-cache");
    if (events.empty()) {
      r.body = sse_event(call.id, send_result(call.generation, task_or_message, is_task));
    } else {
      for (const std::string& e : events) r.body += sse_event(call.id, e);
    }
    reply(std::move(r));
  };

  if (d.outcome == Delivery::Outcome::failed) {
    log::error("a2a.store_failed", {{"agent", options_.agent}, {"error", d.error ? d.error->message() : ""}});
    return reply(json_response(rpc_error(call.id, rpc_code::kInternalError,
                                         "Internal error: the message could not be stored; try again later")));
  }
  if (d.outcome == Delivery::Outcome::denied && d.policy == "rate_limited") {
    HttpResponse r = json_response(rpc_error(call.id, rpc_code::kInternalError, "Too many requests"), 429);
    r.headers.emplace_back("Retry-After", std::to_string(static_cast<long>(
                                              std::ceil(options_.rate_per_key > 0 ? 1.0 / options_.rate_per_key : 1.0))));
    return reply(std::move(r));
  }
  if (!d.delivered()) {
    // Refused by a check or by policy: the same words whatever the reason.
    // The reason goes to the local logs only.
    if (d.refusal) log_refusal(reason_code(d.refusal->reason), "");
    if (d.outcome == Delivery::Outcome::denied) log_refusal("denied: " + d.policy, "");
    std::string context = requested_context.empty() ? random_id() : requested_context;
    return answer(not_accepted_message(call.generation, context), false, {});
  }

  const Envelope& env = *d.envelope;
  TaskView view;
  view.id = derived_id(key_, "bwoc a2a task v1", env.key, env.id);
  view.request_id = env.id;
  view.timestamp = format_timestamp(d.accepted_at);
  std::optional<TaskRecord> existing;
  if (d.outcome == Delivery::Outcome::duplicate) existing = tasks_->get(view.id);
  if (answer_text != nullptr) {
    // A read's answer: sent back once, not kept as a task.
    view.context_id = requested_context.empty() ? derived_id(key_, "bwoc a2a context v1", env.key, env.id)
                                                : requested_context;
    view.receipt = *answer_text;
  } else if (existing) {
    view.context_id = existing->context_id;
    view.receipt = existing->receipt;
  } else {
    view.context_id = requested_context.empty() ? derived_id(key_, "bwoc a2a context v1", env.key, env.id)
                                                : requested_context;
    auto receipt = make_receipt(key_, env, d.accepted_at);
    if (!receipt.ok()) return reply(json_response(rpc_error(call.id, rpc_code::kInternalError, "Internal error")));
    view.receipt = std::move(receipt).value();
    TaskRecord record{view.id, view.context_id, env.key.to_text(), env.id, d.accepted_at, "completed", view.receipt};
    if (Status st = tasks_->put(record); !st.ok()) {
      // The envelope is delivered and the receipt is sound; only task reads suffer.
      log::warning("a2a.task_store_failed", {{"agent", options_.agent}, {"error", st.error().message()}});
    }
  }
  if (log::enabled(log::Level::debug)) {
    log::event(log::Level::debug, "a2a.delivered",
               {{"agent", options_.agent}, {"peer", d.peer}, {"id", env.id}, {"task", view.id},
                {"outcome", std::string(outcome_name(d.outcome))}});
  }
  std::vector<std::string> events;
  if (call.streaming) events = stream_events(call.generation, view);
  answer(task_json(call.generation, view), true, events);
}

std::optional<std::string> Node::requested_task_id(const RpcRequest& rpc) {
  const json::Value* id = rpc.params.find("id");
  if (id == nullptr || !id->is_string()) return std::nullopt;
  // 1.0 may name a task as a resource: "tasks/<id>".
  std::string value = id->as_string();
  if (value.rfind("tasks/", 0) == 0) value = value.substr(6);
  return value;
}

HttpResponse Node::get_task(const RpcRequest& rpc) {
  auto id = requested_task_id(rpc);
  if (!id) return json_response(rpc_error(rpc.id, rpc_code::kInvalidParams, "Invalid params: params.id is required"));
  // A task id is 128 random bits: knowing it is what lets a caller read it.
  auto task = tasks_->get(*id);
  if (!task) return json_response(rpc_error(rpc.id, rpc_code::kTaskNotFound, "Task not found"));
  TaskView view{task->id, task->context_id, task->state, format_timestamp(task->created), task->request_id,
                std::move(task->receipt)};
  return json_response(rpc_result(rpc.id, task_json(rpc.generation, view)));
}

HttpResponse Node::task_exists_error(const RpcRequest& rpc, int code_if_found, std::string_view message_if_found) {
  auto id = requested_task_id(rpc);
  if (!id) return json_response(rpc_error(rpc.id, rpc_code::kInvalidParams, "Invalid params: params.id is required"));
  if (!tasks_->contains(*id)) return json_response(rpc_error(rpc.id, rpc_code::kTaskNotFound, "Task not found"));
  return json_response(rpc_error(rpc.id, code_if_found, message_if_found));
}

HttpResponse Node::list_tasks(const RpcRequest& rpc) {
  std::size_t page_size = kDefaultPageSize;
  if (const json::Value* p = rpc.params.find("pageSize"); p && p->is_number()) {
    double v = p->as_number();
    if (v < 1 || v > kMaxPageSize || std::trunc(v) != v) {
      return json_response(rpc_error(rpc.id, rpc_code::kInvalidParams, "Invalid params: pageSize must be 1 to 100"));
    }
    page_size = static_cast<std::size_t>(v);
  }
  std::size_t offset = 0;
  if (const json::Value* t = rpc.params.find("pageToken"); t && t->is_string() && !t->as_string().empty()) {
    try {
      offset = std::stoul(t->as_string());
    } catch (...) {
      return json_response(rpc_error(rpc.id, rpc_code::kInvalidParams, "Invalid params: unknown pageToken"));
    }
  }
  // Only a caller that shows, with a signed envelope, which key it is sees
  // its own tasks; everyone else sees an empty list.
  std::vector<std::string> tasks;
  std::size_t total = 0;
  const json::Value* metadata = rpc.params.find("metadata");
  const json::Value* auth = metadata ? metadata->find(kEnvelopePartKey) : nullptr;
  if (auth != nullptr && (auth->is_object() || auth->is_string())) {
    std::string text = auth->is_string() ? auth->as_string() : json::write(*auth);
    Delivery d = receiver_->check(text, Via::a2a);
    if (d.outcome == Delivery::Outcome::accepted && d.envelope && d.envelope->to == options_.agent) {
      for (const TaskRecord& t : tasks_->list(d.envelope->key.to_text(), offset, page_size, &total)) {
        TaskView view{t.id, t.context_id, t.state, format_timestamp(t.created), t.request_id, t.receipt};
        tasks.push_back(task_json(Generation::v10, view));
      }
    }
  }
  std::string next = offset + tasks.size() < total ? std::to_string(offset + tasks.size()) : "";
  return json_response(rpc_result(rpc.id, list_result(tasks, next, page_size, total)));
}

}  // namespace bwoc::a2a
