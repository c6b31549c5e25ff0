// Drives `bwoc a2a serve` with the official A2A JS SDK, in one generation:
//   node a2a_sdk.mjs v1|v03 BASE_URL SEED_HEX AGENT
// Envelopes are signed by envelope.mjs (canonicalize + @noble/ed25519), not
// by bwoc. Prints one JSON line with the ids it expects delivered; exits 1 at
// the first expectation that fails.
import { randomUUID } from 'node:crypto';
import { publicKeyText, signEnvelope, verifyEnvelope } from './envelope.mjs';

const [generation, base, seedHex, agent] = process.argv.slice(2);
const seed = Buffer.from(seedHex, 'hex');

function expect(cond, what, detail) {
  if (!cond) {
    console.error(`a2a_sdk ${generation}: FAILED: ${what}` + (detail === undefined ? '' : `: ${JSON.stringify(detail)}`));
    process.exit(1);
  }
}

function cardKey(card) {
  const ext = (card.capabilities?.extensions ?? []).find((e) => e.uri === 'urn:bwoc:a2a:envelope:v1');
  return ext?.params?.publicKey;
}

function checkReceipt(receipt, request, nodeKey) {
  expect(verifyEnvelope(receipt) === 'ok', 'the receipt verifies with an independent Ed25519', receipt);
  expect(receipt.kind === 'receipt' && receipt.re === request.id, 'the receipt answers the request', receipt);
  expect(receipt.key === nodeKey, "the receipt is signed with the card's key");
  expect(receipt.aud === publicKeyText(seed), 'the receipt is addressed to us');
}

async function v1() {
  const { ClientFactory } = await import('a2a-sdk-v1/client');
  const { TaskNotFoundError } = await import('a2a-sdk-v1/errors');
  const client = await new ClientFactory().createFromUrl(base);
  const card = await client.getAgentCard();
  const nodeKey = cardKey(card);
  expect(nodeKey?.startsWith('ed25519:'), 'the card publishes the node key', card);
  const envelopeFor = (text) =>
    signEnvelope(seed, { kind: 'message', from: 'agent-js', to: agent, aud: nodeKey, payload: { text, sdk: '1.x' } });
  const dataMessage = (env) => ({
    message: {
      messageId: randomUUID(),
      role: 1, // ROLE_USER
      parts: [{ content: { $case: 'data', value: { 'bwoc.envelope': env } }, mediaType: 'application/json' }],
    },
  });

  const first = envelopeFor('hello from the A2A JS SDK 1.x');
  const task = await client.sendMessage(dataMessage(first));
  expect(task.id && task.status?.state === 3, 'a signed message gives a completed task', task);
  checkReceipt(task.artifacts[0].parts[0].content.value['bwoc.envelope'], first, nodeKey);

  const unsigned = await client.sendMessage({
    message: { messageId: randomUUID(), role: 1, parts: [{ content: { $case: 'text', value: 'no envelope' } }] },
  });
  expect('messageId' in unsigned && !('status' in unsigned), 'an unsigned message gets a message, not a task', unsigned);

  const streamed = envelopeFor('streamed from the A2A JS SDK 1.x');
  const events = [];
  for await (const e of client.sendMessageStream(dataMessage(streamed))) events.push(e);
  const last = events.at(-1)?.payload;
  expect(events.length >= 2 && last?.$case === 'statusUpdate' && last.value.status.state === 3,
         'the stream ends with a completed status', events);
  const artifact = events.find((e) => e.payload?.$case === 'artifactUpdate')?.payload.value.artifact;
  checkReceipt(artifact.parts[0].content.value['bwoc.envelope'], streamed, nodeKey);

  const again = await client.getTask({ id: task.id });
  expect(again.id === task.id && again.status.state === 3, 'getTask returns the task', again);

  try {
    await client.getTask({ id: '0123456789abcdef0123456789abcdef' });
    expect(false, 'getTask of an unknown task throws');
  } catch (e) {
    expect(e instanceof TaskNotFoundError, "an unknown task throws the SDK's TaskNotFoundError", String(e));
  }
  return [first.id, streamed.id];
}

async function v03() {
  const { ClientFactory, TaskNotFoundError } = await import('a2a-sdk-v03/client');
  const client = await new ClientFactory().createFromUrl(base);
  const card = await client.getAgentCard();
  const nodeKey = cardKey(card);
  expect(nodeKey?.startsWith('ed25519:'), 'the card publishes the node key', card);
  const envelopeFor = (text) =>
    signEnvelope(seed, { kind: 'message', from: 'agent-js', to: agent, aud: nodeKey, payload: { text, sdk: '0.3' } });
  const dataMessage = (env) => ({
    message: { kind: 'message', messageId: randomUUID(), role: 'user', parts: [{ kind: 'data', data: { 'bwoc.envelope': env } }] },
  });

  const first = envelopeFor('hello from the A2A JS SDK 0.3');
  const task = await client.sendMessage(dataMessage(first));
  expect(task.kind === 'task' && task.status?.state === 'completed', 'a signed message gives a completed task', task);
  checkReceipt(task.artifacts[0].parts[0].data['bwoc.envelope'], first, nodeKey);

  const unsigned = await client.sendMessage({
    message: { kind: 'message', messageId: randomUUID(), role: 'user', parts: [{ kind: 'text', text: 'no envelope' }] },
  });
  expect(unsigned.kind === 'message', 'an unsigned message gets a message, not a task', unsigned);

  const streamed = envelopeFor('streamed from the A2A JS SDK 0.3');
  const events = [];
  for await (const e of client.sendMessageStream(dataMessage(streamed))) events.push(e);
  const last = events.at(-1);
  expect(last?.kind === 'status-update' && last.status.state === 'completed' && last.final === true,
         'the stream ends with a final completed status', events);
  const artifact = events.find((e) => e.kind === 'artifact-update')?.artifact;
  checkReceipt(artifact.parts[0].data['bwoc.envelope'], streamed, nodeKey);

  const again = await client.getTask({ id: task.id });
  expect(again.id === task.id && again.status.state === 'completed', 'getTask returns the task', again);

  try {
    await client.getTask({ id: '0123456789abcdef0123456789abcdef' });
    expect(false, 'getTask of an unknown task throws');
  } catch (e) {
    expect(e instanceof TaskNotFoundError, "an unknown task throws the SDK's TaskNotFoundError", String(e));
  }
  return [first.id, streamed.id];
}

const delivered = generation === 'v1' ? await v1() : await v03();
console.log(JSON.stringify({ generation, delivered }));
