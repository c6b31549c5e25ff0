// A2A tasks that carry a skill's work, driven by the official A2A JS SDK in
// one generation:
//   node a2a_tasks.mjs v1|v03 BASE_URL SEED_HEX AGENT GATE_FIFO
// The skill "gate" answers only once something is written to GATE_FIFO:
// this script releases it (a bounded write, never a sleep) when the test is
// ready. Prints one JSON line with the ids of the tasks it made; exits 1 at
// the first expectation that fails.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { publicKeyText, signEnvelope, verifyEnvelope } from './envelope.mjs';

const [generation, base, seedHex, agent, gate] = process.argv.slice(2);
const seed = Buffer.from(seedHex, 'hex');
const WAIT_MS = Number(process.env.BWOC_TEST_WAIT_SECONDS ?? 120) * 1000;

function expect(cond, what, detail) {
  if (!cond) {
    console.error(`a2a_tasks ${generation}: FAILED: ${what}` + (detail === undefined ? '' : `: ${JSON.stringify(detail)}`));
    process.exit(1);
  }
}

// Lets the gate skill answer: one line into its FIFO, given up after WAIT_MS.
function release(word) {
  return new Promise((resolve) => {
    const child = spawn('timeout', [String(WAIT_MS / 1000), 'sh', '-c', 'printf "%s\\n" "$1" >"$2"', 'sh', word, gate],
                        { stdio: 'ignore' });
    child.on('exit', (code) => {
      expect(code === 0, 'the gate skill took its word', { word, code });
      resolve();
    });
  });
}

// Polls a condition on the task until it holds (bounded: a test that would
// hang fails instead); the pause between reads only spares the CPU.
async function until(read, holds, what) {
  const end = Date.now() + WAIT_MS;
  for (;;) {
    const v = await read();
    if (holds(v)) return v;
    expect(Date.now() < end, `in time: ${what}`, v);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function cardKey(card) {
  return (card.capabilities?.extensions ?? []).find((e) => e.uri === 'urn:bwoc:a2a:envelope:v1')?.params?.publicKey;
}

function checkResult(answer, request, nodeKey, word) {
  expect(verifyEnvelope(answer) === 'ok', 'the answer verifies with an independent Ed25519', answer);
  expect(answer.kind === 'skill.result' && answer.re === request.id, 'the answer is the skill result of the request', answer);
  expect(answer.key === nodeKey && answer.aud === publicKeyText(seed), 'signed by the node, to us', answer);
  expect(answer.payload?.output?.word === word, 'the skill answered with what the test released', answer.payload);
}

// What differs between the generations: message shapes, states, events.
const shapes = {
  v1: {
    states: { submitted: 1, working: 2, completed: 3, canceled: 5 },
    message: (env, atOnce) => ({
      message: {
        messageId: randomUUID(),
        role: 1,
        parts: [{ content: { $case: 'data', value: { 'bwoc.envelope': env } }, mediaType: 'application/json' }],
      },
      ...(atOnce ? { configuration: { returnImmediately: true, acceptedOutputModes: [], historyLength: 0 } } : {}),
    }),
    answerOf: (artifact) => artifact.parts[0].content.value['bwoc.envelope'],
    // Each stream event as [what, state]: task, status, artifact.
    event: (e) => {
      const p = e.payload ?? e;
      if (p.$case === 'task') return ['task', p.value.status.state, p.value];
      if (p.$case === 'statusUpdate') return ['status', p.value.status.state, p.value];
      if (p.$case === 'artifactUpdate') return ['artifact', undefined, p.value];
      return ['?', undefined, e];
    },
  },
  v03: {
    states: { submitted: 'submitted', working: 'working', completed: 'completed', canceled: 'canceled' },
    message: (env, atOnce) => ({
      message: { kind: 'message', messageId: randomUUID(), role: 'user', parts: [{ kind: 'data', data: { 'bwoc.envelope': env } }] },
      ...(atOnce ? { configuration: { blocking: false } } : {}),
    }),
    answerOf: (artifact) => artifact.parts[0].data['bwoc.envelope'],
    event: (e) => {
      if (e.kind === 'task') return ['task', e.status.state, e];
      if (e.kind === 'status-update') return ['status', e.status.state, e];
      if (e.kind === 'artifact-update') return ['artifact', undefined, e];
      return ['?', undefined, e];
    },
  },
}[generation];

async function clientAndErrors() {
  if (generation === 'v1') {
    const { ClientFactory } = await import('a2a-sdk-v1/client');
    const errors = await import('a2a-sdk-v1/errors');
    return { client: await new ClientFactory().createFromUrl(base), errors };
  }
  const sdk = await import('a2a-sdk-v03/client');
  return { client: await new sdk.ClientFactory().createFromUrl(base), errors: sdk };
}

const { client, errors } = await clientAndErrors();
const S = shapes.states;
const nodeKey = cardKey(await client.getAgentCard());
expect(nodeKey?.startsWith('ed25519:'), 'the card publishes the node key');
const call = (word) =>
  signEnvelope(seed, { kind: 'skill.call', from: 'agent-js', to: agent, aud: nodeKey,
                       payload: { skill: 'gate', input: { word } } });
const getTask = (id) => client.getTask({ id });
const made = [];

// 1. Sent, answered at once with the task under way; polled to its end.
{
  const request = call(`polled-${generation}`);
  const task = await client.sendMessage(shapes.message(request, true));
  made.push(task.id);
  expect([S.submitted, S.working].includes(task.status?.state), 'the task is under way when the send returns', task);
  expect((task.artifacts ?? []).length === 0, 'no answer before the work ends', task);
  await until(() => getTask(task.id), (t) => t.status.state === S.working, 'the task is working');
  await release(`polled-${generation}`);
  const done = await until(() => getTask(task.id), (t) => t.status.state === S.completed, 'the task completes');
  checkResult(shapes.answerOf(done.artifacts[0]), request, nodeKey, `polled-${generation}`);

  // Finished work is not canceled: the SDK's own error.
  try {
    await client.cancelTask({ id: task.id });
    expect(false, 'canceling a completed task throws');
  } catch (e) {
    expect(e instanceof errors.TaskNotCancelableError, "a completed task throws the SDK's TaskNotCancelableError", String(e));
  }
  // A send that waits (the SDK's default) gets the task at its end.
  const again = call(`blocking-${generation}`);
  const waiting = client.sendMessage(shapes.message(again, false));
  await release(`blocking-${generation}`);
  const ended = await waiting;
  made.push(ended.id);
  expect(ended.status.state === S.completed, 'a waiting send gets the completed task', ended);
  checkResult(shapes.answerOf(ended.artifacts[0]), again, nodeKey, `blocking-${generation}`);
}

// 2. Streamed: every state in order, the answer before the final status.
{
  const request = call(`streamed-${generation}`);
  const seen = [];
  let released = false;
  for await (const e of client.sendMessageStream(shapes.message(request, false))) {
    const [what, state, value] = shapes.event(e);
    seen.push(what === 'artifact' ? 'artifact' : `${what}:${state}`);
    if (what === 'task') made.push(value.id);
    if (what === 'artifact') checkResult(shapes.answerOf(value.artifact), request, nodeKey, `streamed-${generation}`);
    if (state === S.working && !released) {
      released = true;
      await release(`streamed-${generation}`);
    }
  }
  const want = [`task:${S.submitted}`, `status:${S.working}`, 'artifact', `status:${S.completed}`];
  expect(JSON.stringify(seen) === JSON.stringify(want), 'the stream shows submitted, working, the answer, completed', seen);
}

// 3. Subscribed again while the work runs.
{
  const request = call(`resubscribed-${generation}`);
  const task = await client.sendMessage(shapes.message(request, true));
  made.push(task.id);
  await until(() => getTask(task.id), (t) => t.status.state === S.working, 'the task is working');
  const seen = [];
  let released = false;
  for await (const e of client.resubscribeTask({ id: task.id })) {
    const [what, state, value] = shapes.event(e);
    seen.push(what === 'artifact' ? 'artifact' : `${what}:${state}`);
    if (what === 'artifact') checkResult(shapes.answerOf(value.artifact), request, nodeKey, `resubscribed-${generation}`);
    if (!released) {
      released = true;
      await release(`resubscribed-${generation}`);
    }
  }
  const want = [`task:${S.working}`, 'artifact', `status:${S.completed}`];
  expect(JSON.stringify(seen) === JSON.stringify(want), 'a subscriber sees the task as it is, then the rest', seen);
}

// 4. Canceled while the work runs: canceled, the skill stopped (it is never
// released: the node kills it, which the test that runs this checks in the
// node's log), and no answer told.
{
  const request = call(`canceled-${generation}`);
  const task = await client.sendMessage(shapes.message(request, true));
  made.push(task.id);
  await until(() => getTask(task.id), (t) => t.status.state === S.working, 'the task is working');
  const canceled = await client.cancelTask({ id: task.id });
  expect(canceled.status.state === S.canceled, 'CancelTask answers with the canceled task', canceled);
  const after = await getTask(task.id);
  expect(after.status.state === S.canceled && (after.artifacts ?? []).length === 0, 'the task stays canceled, no answer', after);
  try {
    await client.cancelTask({ id: task.id });
    expect(false, 'canceling a canceled task throws');
  } catch (e) {
    expect(e instanceof errors.TaskNotCancelableError, "a canceled task throws TaskNotCancelableError", String(e));
  }
}

console.log(JSON.stringify({ generation, tasks: made }));
