#include "node.h"

#include <cmath>

#include "bwoc/a2a/card.h"
#include "bwoc/core/key_ring.h"
#include "bwoc/core/files.h"
#include "bwoc/core/log.h"
#include "bwoc/core/trust.h"
#include "shapes.h"

namespace bwoc::a2a {

namespace {

constexpr std::size_t kMaxContextIdBytes = 256;
constexpr std::size_t kDefaultPageSize = 50;
constexpr std::size_t kMaxPageSize = 100;
constexpr std::string_view kTaskIdPurpose = "bwoc a2a task v1";
constexpr std::string_view kContextIdPurpose = "bwoc a2a context v1";

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

HttpResponse too_many_requests(const json::Value& id) {
  HttpResponse r = json_response(rpc_error(id, rpc_code::kInternalError, "Too many requests"), 429);
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

}  // namespace

HttpResponse json_response(std::string body, int status) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Result<std::unique_ptr<Node>> Node::open(const Workspace& ws, const NodeOptions& options, Inbound& inbound) {
  if (!ws.has_agent(options.agent)) {
    return Error(Errc::not_found, "no agent \"" + options.agent + "\" in workspace \"" + ws.name() + "\"");
  }
  if (inbound.agent() != options.agent) {
    return Error(Errc::internal, "the inbound layer serves agent \"" + inbound.agent() + "\", not \"" + options.agent + "\"");
  }
  std::unique_ptr<Node> node(new Node(ws, options, inbound));
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
  BWOC_ASSIGN_OR_RETURN(node->card_info_, card_info_for(ws, options.agent, options.base_url));
  if (auto offer = inbound.offer(kUntrusted); offer.ok()) node->card_info_.skills = card_skills(*offer);
  node->card_ = std::make_shared<const std::string>(node->render_card(node->card_info_));
  node->card_checked_ms_ = now_millis();
  return node;
}

void Node::flush() { inbound_.flush(); }

void Node::log_not_accepted(std::string_view what, std::string_view client) {
  // A flood must not become a flood of log lines.
  log::info(not_accepted_lines_, "a2a.not_accepted",
            {{"agent", options_.agent}, {"why", std::string(what)}, {"client", std::string(client)}});
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
    if (err->code == rpc_code::kParseError) log_not_accepted("request is not strict JSON", request.client);
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
      return cancel_task(rpc, std::move(reply));
    case Method::subscribe_to_task:
      return subscribe_to_task(rpc, std::move(reply));
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
  json::Value* message = nullptr;
  for (json::Member& m : rpc.params.members()) {
    if (m.name == "message" && m.value.is_object()) message = &m.value;
  }
  if (message == nullptr) {
    return reply(json_response(rpc_error(rpc.id, rpc_code::kInvalidParams, "Invalid params: params.message is required")));
  }
  Call call{rpc.id, rpc.generation, streaming, "", false};
  // A2A 1.0 says `returnImmediately`, 0.3 `blocking: false`.
  if (const json::Value* config = rpc.params.find("configuration"); config && config->is_object()) {
    const json::Value* at_once = config->find("returnImmediately");
    const json::Value* blocking = config->find("blocking");
    call.return_at_once = (at_once && at_once->is_bool() && at_once->as_bool()) ||
                          (blocking && blocking->is_bool() && !blocking->as_bool());
  }
  if (const json::Value* c = message->find("contextId"); c && c->is_string() && !c->as_string().empty()) {
    if (c->as_string().size() > kMaxContextIdBytes || !printable(c->as_string())) {
      return reply(json_response(rpc_error(rpc.id, rpc_code::kInvalidParams, "Invalid params: contextId is too long")));
    }
    call.context_id = c->as_string();
  }
  // The envelope, taken out of the request (no copy): {"bwoc.envelope": …} in a data part.
  json::Value* envelope = const_cast<json::Value*>(envelope_in_parts(*message));
  if (envelope == nullptr) {
    log_not_accepted("no bwoc envelope in the message", request.client);
    std::vector<TaskRecord> none;
    return reply(respond(Pending{std::move(call), InboundResult(), nullptr}, none));
  }
  auto send = new_send(std::move(call), std::move(reply), request.post);
  auto done = [this, send](InboundResult r) { on_done(send, std::move(r)); };
  // Work the inbound layer runs later gets its task at once (node_tasks.cc).
  Progress progress;
  progress.queued = [this, send](const Delivery& d, std::stop_source stop) { on_queued(send, d, std::move(stop)); };
  progress.started = [this, send] { on_started(send); };
  if (envelope->is_string()) {
    // Sent as text: delivered as the very bytes that were sent.
    inbound_.receive(envelope->as_string(), Via::a2a, request.client, std::move(done), std::move(progress));
  } else {
    std::string text = json::write(*envelope);
    inbound_.receive_document(std::move(*envelope), std::move(text), Via::a2a, request.client, std::move(done),
                              std::move(progress));
  }
}

void Node::queue_result(Pending item, const std::function<void(std::function<void()>)>& post) {
  bool post_finisher;
  {
    std::lock_guard lock(pending_mu_);
    pending_.push_back(std::move(item));
    post_finisher = !finisher_posted_;
    finisher_posted_ = true;
  }
  if (post_finisher) post([this, post] { finish_results(post); });
}

void Node::finish_results(std::function<void(std::function<void()>)> post) {
  std::vector<Pending> mine;
  bool more;
  {
    std::lock_guard lock(pending_mu_);
    std::size_t share = (pending_.size() + options_.io_threads - 1) / options_.io_threads;
    if (share == pending_.size()) {
      mine.swap(pending_);
    } else {
      mine.assign(std::make_move_iterator(pending_.begin()), std::make_move_iterator(pending_.begin() + share));
      pending_.erase(pending_.begin(), pending_.begin() + share);
    }
    more = !pending_.empty();
    finisher_posted_ = more;
  }
  if (more) post([this, post] { finish_results(post); });  // the rest for another thread
  std::vector<HttpResponse> responses;
  responses.reserve(mine.size());
  std::vector<TaskRecord> keep;
  for (const Pending& p : mine) responses.push_back(respond(p, keep));
  // Nothing is answered before its task is on disk: a client that was told
  // of a task must find it, crash or not.
  Status kept = ok_status();
  for (const TaskRecord& t : keep) {
    if (kept.ok()) kept = tasks_->put(t);
  }
  if (kept.ok() && !keep.empty()) kept = tasks_->sync();
  if (!kept.ok()) {
    log::error("a2a.task_store_failed", {{"agent", options_.agent}, {"error", kept.error().message()}});
    for (std::size_t i = 0; i < mine.size(); ++i) {
      // The envelope is in the inbox; a retry of it is a repeat that finds or rebuilds its task.
      if (responses[i].status == 200 && mine[i].result.stored) {
        responses[i] = json_response(rpc_error(mine[i].call.id, rpc_code::kInternalError,
                                               "Internal error: the task could not be stored; try again later"));
      }
    }
  }
  for (std::size_t i = 0; i < mine.size(); ++i) mine[i].reply(std::move(responses[i]));
}

HttpResponse Node::sent(const Call& call, const std::string& task_or_message, bool is_task,
                        const std::vector<std::string>& events) {
  if (!call.streaming) return json_response(rpc_result(call.id, send_result(call.generation, task_or_message, is_task)));
  HttpResponse r;
  r.content_type = "text/event-stream";
  r.headers.emplace_back("Cache-Control", "no-cache");
  if (events.empty()) {
    r.body = sse_event(call.id, send_result(call.generation, task_or_message, is_task));
  } else {
    for (const std::string& e : events) r.body += sse_event(call.id, e);
  }
  return r;
}

HttpResponse Node::respond(const Pending& p, std::vector<TaskRecord>& keep) {
  const Call& call = p.call;
  const InboundResult& r = p.result;
  using D = InboundResult::Disposition;
  switch (r.disposition) {
    case D::failed:
      log::error("a2a.not_stored", {{"agent", options_.agent},
                                    {"error", r.delivery.error ? r.delivery.error->message() : "the action failed"}});
      return json_response(rpc_error(call.id, rpc_code::kInternalError,
                                     "Internal error: the message could not be handled; try again later"));
    case D::rate_limited:
    case D::busy:
    case D::cancelled:
      return too_many_requests(call.id);
    case D::not_accepted: {
      // Refused by a check or by this endpoint: the same words whatever the
      // reason, which goes to the local logs only.
      const Delivery& d = r.delivery;
      if (d.refusal) log_not_accepted(reason_code(d.refusal->reason), "");
      if (d.outcome == Delivery::Outcome::denied) log_not_accepted("denied: " + d.policy, "");
      std::string context = call.context_id.empty() ? random_id() : call.context_id;
      return sent(call, not_accepted_message(call.generation, context), false, {});
    }
    case D::answered:
    case D::stored:
    case D::silent:
      break;
  }
  const Delivery& d = r.delivery;
  const Envelope& env = *d.envelope;
  TaskView view;
  view.id = inbound_.derive_id(kTaskIdPurpose, env.key, env.id);
  view.request_id = env.id;
  view.timestamp = format_timestamp(d.accepted_at > 0 ? d.accepted_at : now_millis());
  std::optional<TaskRecord> existing;
  if (d.outcome == Delivery::Outcome::duplicate) existing = tasks_->get(view.id);
  if (existing) {
    view.context_id = existing->context_id;
    view.state = existing->state;
    view.receipt = existing->receipt;
  } else {
    view.context_id =
        call.context_id.empty() ? inbound_.derive_id(kContextIdPurpose, env.key, env.id) : call.context_id;
    if (r.disposition == D::answered) {
      view.receipt = r.answer;
      view.state = std::string(state_name(state_for_answer(view.receipt)));
    } else if (r.disposition == D::stored) {
      auto receipt = inbound_.receipt(d);
      if (!receipt.ok()) return json_response(rpc_error(call.id, rpc_code::kInternalError, "Internal error"));
      view.receipt = std::move(receipt).value();
    }
    // A read's answer is sent back once; a stored envelope's task is kept.
    if (r.stored) {
      keep.push_back(TaskRecord{view.id, view.context_id, env.key.to_text(), env.id, d.accepted_at, view.state,
                                view.receipt});
    }
  }
  if (log::enabled(log::Level::debug)) {
    log::event(log::Level::debug, "a2a.delivered",
               {{"agent", options_.agent}, {"peer", d.peer}, {"id", env.id}, {"task", view.id},
                {"outcome", std::string(outcome_name(d.outcome))}});
  }
  std::vector<std::string> events;
  if (call.streaming) events = stream_events(call.generation, view);
  return sent(call, task_json(call.generation, view), true, events);
}

std::shared_ptr<const std::string> Node::current_card() {
  std::int64_t now = now_millis();
  if (now - card_checked_ms_.load(std::memory_order_relaxed) >= 1000) {
    std::lock_guard lock(card_mu_);
    if (now - card_checked_ms_.load() >= 1000) {
      card_checked_ms_ = now;
      bool changed = false;
      // After `bwoc trust rotate` the card publishes (and is signed by) the new key.
      if (!(inbound_.public_key() == card_info_.public_key)) {
        auto ws = Workspace::open(inbound_.workspace().root());
        auto info = ws.ok() ? card_info_for(*ws, options_.agent, options_.base_url) : Result<CardInfo>(ws.error());
        if (info.ok()) {
          info->skills = card_info_.skills;
          card_info_ = std::move(info).value();
          changed = true;
        }
      }
      auto offer = inbound_.offer(kUntrusted);
      if (offer.ok()) {
        json::Value open_skills = card_skills(*offer);
        if (!(open_skills == card_info_.skills)) {
          card_info_.skills = std::move(open_skills);
          changed = true;
        }
      }
      if (changed) card_ = std::make_shared<const std::string>(render_card(card_info_));
    }
  }
  return card_.load();
}

std::string Node::render_card(const CardInfo& info) const {
  return json::write(sign_card(agent_card(info), inbound_.keys()->key));
}

std::optional<PublicKey> Node::authenticated_key(const RpcRequest& rpc) {
  const json::Value* metadata = rpc.params.find("metadata");
  const json::Value* auth = metadata ? metadata->find(kEnvelopePartKey) : nullptr;
  if (auth == nullptr || !(auth->is_object() || auth->is_string())) return std::nullopt;
  Delivery d = inbound_.check(auth->is_string() ? auth->as_string() : json::write(*auth), Via::a2a);
  if (d.outcome != Delivery::Outcome::accepted || !d.envelope) return std::nullopt;
  return d.envelope->key;
}

HttpResponse Node::extended_card(const RpcRequest& rpc) {
  // Without proof of a key the caller sees what tier 0 sees: the public
  // card (SDKs fetch the extended card on their own when it is advertised).
  std::optional<int> tier;
  if (auto key = authenticated_key(rpc)) tier = inbound_.tier_of(*key);
  if (!tier) return json_response(rpc_result(rpc.id, *current_card()));
  CardInfo info;
  {
    std::lock_guard lock(card_mu_);
    info = card_info_;
  }
  auto offer = inbound_.offer(*tier);
  if (!offer.ok()) return json_response(rpc_error(rpc.id, rpc_code::kInternalError, "Internal error"));
  info.skills = card_skills(*offer);
  if (const json::Value* contracts = offer->find("skills")) info.skill_contracts = *contracts;
  if (const json::Value* hash = offer->find("set_hash"); hash && hash->is_string()) info.skill_set_hash = hash->as_string();
  return json_response(rpc_result(rpc.id, render_card(info)));
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
  if (auto live = live_task(*id)) {
    // Work under way: the state last on disk, or none yet.
    std::optional<TaskView> view;
    {
      std::lock_guard lock(live_task_mutex(*live));
      view = told_view(*live);
    }
    if (!view) return json_response(rpc_error(rpc.id, rpc_code::kTaskNotFound, "Task not found"));
    return json_response(rpc_result(rpc.id, task_json(rpc.generation, *view)));
  }
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
  if (auto key = authenticated_key(rpc)) {
    for (const TaskRecord& t : tasks_->list(key->to_text(), offset, page_size, &total)) {
      TaskView view{t.id, t.context_id, t.state, format_timestamp(t.created), t.request_id, t.receipt};
      tasks.push_back(task_json(Generation::v10, view));
    }
  }
  std::string next = offset + tasks.size() < total ? std::to_string(offset + tasks.size()) : "";
  return json_response(rpc_result(rpc.id, list_result(tasks, next, page_size, total)));
}

}  // namespace bwoc::a2a
