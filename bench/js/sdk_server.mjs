// The baseline for bench/a2a_bench.sh: the official A2A JS SDK's own server
// (@a2a-js/sdk/server with express), answering unsigned SendMessage with a
// minimal executor that completes a task at once. No cryptography.
//   node sdk_server.mjs PORT
import express from 'express';
import { DefaultRequestHandler, InMemoryTaskStore } from 'a2a-sdk-v1/server';
import { jsonRpcHandler, agentCardHandler, UserBuilder } from 'a2a-sdk-v1/server/express';

const port = Number(process.argv[2] ?? 9090);
const card = {
  name: 'sdk-baseline',
  description: 'The A2A JS SDK server with a minimal executor',
  version: '1.0.0',
  supportedInterfaces: [{ url: `http://127.0.0.1:${port}/a2a`, protocolBinding: 'JSONRPC', protocolVersion: '1.0', tenant: '' }],
  capabilities: { streaming: true, pushNotifications: false, extensions: [] },
  securitySchemes: {},
  securityRequirements: [],
  defaultInputModes: ['application/json', 'text/plain'],
  defaultOutputModes: ['application/json'],
  skills: [],
  signatures: [],
};

class MinimalExecutor {
  async execute(ctx, bus) {
    bus.publish({
      kind: 'task',
      data: {
        id: ctx.taskId,
        contextId: ctx.contextId,
        status: { state: 3 /* TASK_STATE_COMPLETED */, message: undefined, timestamp: new Date().toISOString() },
        artifacts: [],
        history: [],
        metadata: undefined,
      },
    });
    bus.finished();
  }
  async cancelTask() {}
}

const handler = new DefaultRequestHandler(card, new InMemoryTaskStore(), new MinimalExecutor());
const app = express();
app.use('/.well-known/agent-card.json', agentCardHandler({ agentCardProvider: handler }));
app.use('/a2a', jsonRpcHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication }));
app.listen(port, '127.0.0.1', () => console.log(`listening on ${port}`));
