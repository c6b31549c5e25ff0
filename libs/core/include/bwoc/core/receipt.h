// Answers between nodes (spec §3): the receipt a node signs for an accepted
// envelope, and the checks an asker runs on any answer it gets back.
#ifndef BWOC_CORE_RECEIPT_H_
#define BWOC_CORE_RECEIPT_H_

#include <string>
#include <string_view>

#include "bwoc/core/envelope.h"
#include "bwoc/core/keys.h"
#include "bwoc/core/result.h"
#include "bwoc/core/seal.h"

namespace bwoc {

inline constexpr std::string_view kReceiptKind = "receipt";

// 16 bytes derived from the node's secret key, `purpose`, and a request
// (sender key and id), as 32 hex digits: stable for the same request, and
// as unpredictable to anyone else as a random id.
std::string derived_id(const SecretKey& node, std::string_view purpose, const PublicKey& sender,
                       std::string_view request_id);

// What an answer to `request` is: from its recipient agent to its sender, for
// the sender's workspace (`aud`), answering its id (`re`).
EnvelopeDraft answer_draft(const Envelope& request, std::string_view kind, json::Value payload);

// The node's signed receipt for an accepted envelope: kind "receipt", `re` the
// request's id, from the receiving agent to the sending one. Its id is derived
// and its ts is when the request was accepted, so a repeated request is
// answered with the original receipt, byte for byte.
// A receipt to a sealed request is sealed to `seal_to`, deterministically
// too, and names `reply` (this node's X25519 key).
Result<std::string> make_receipt(const SecretKey& node, const Envelope& request, UnixMillis accepted_at,
                                 const std::optional<SealPublicKey>& seal_to = std::nullopt,
                                 const std::optional<SealPublicKey>& reply = std::nullopt);

// Checks an answer to one of our requests: checks 1–3, then that it comes
// from the peer that was asked (`key` is `peer`), is for us (`aud` is `self`),
// answers our request (`re` is `request_id`), is of `expected_kind` when one
// is given, and that its signature verifies. No age check: an answer is bound
// to the request by `re`.
Checked<Envelope> verify_answer(std::string_view text, const PublicKey& peer, const PublicKey& self,
                                std::string_view request_id, std::string_view expected_kind = {});

}  // namespace bwoc

#endif  // BWOC_CORE_RECEIPT_H_
