// Drives `bwoc mcp serve` with the official MCP SDK's Client over stdio, the
// way an editor or a desktop assistant would, and checks what it gets.
//
//   BWOC=path/to/bwoc WS=workspace node bridge.mjs
//
// The workspace (made by tests/e2e/mcp_test.sh) speaks as agent-a, exposes
// word-count itself, and declares beta (path), gamma (A2A), delta (MQTT) and
// omega (offline). Prints one line per check; exits 1 if any failed.
import { execFileSync } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ToolListChangedNotificationSchema, LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";

const { BWOC, WS, GAMMA } = process.env;
let failures = 0;
let checks = 0;
function check(ok, what, detail = "") {
  checks++;
  if (ok) return;
  failures++;
  console.error(`FAIL: ${what}${detail ? ": " + detail : ""}`);
}
const text = (result) => (result.content ?? []).map((c) => c.text ?? "").join("\n");

const transport = new StdioClientTransport({
  command: BWOC,
  args: ["-w", WS, "mcp", "serve", "--agent", "agents/agent-a", "--refresh", "1s", "--list-wait", "20s",
         "--progress-interval", "200ms"],
  stderr: "inherit",
});
const client = new Client({ name: "bwoc-e2e", version: "1.0.0" });
let changed = 0;
let onChanged = () => {};
client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
  changed++;
  onChanged();
});
await client.connect(transport);

// initialize: the SDK's own protocol version, and tools that change.
check(client.getServerVersion()?.name === "bwoc", "server name", JSON.stringify(client.getServerVersion()));
check(client.getServerCapabilities()?.tools?.listChanged === true, "tools.listChanged capability");
check(transport._process !== undefined, "started");
console.log(`protocol ${LATEST_PROTOCOL_VERSION}`);

// tools/list: our skill and each reachable peer's, named stably and legally.
const { tools } = await client.listTools();
const names = tools.map((t) => t.name).sort();
console.log("tools: " + names.join(" "));
for (const want of ["self__word-count", "beta__word-count", "gamma__word-count", "delta__word-count", "beta__slow"]) {
  check(names.includes(want), `lists ${want}`, names.join(" "));
}
check(!names.some((n) => n.includes("secret-sauce")), "a hidden skill is not listed");
check(!names.includes("gamma__uppercase"), "a skill above our tier is not listed (yet)");
check(names.every((n) => /^[A-Za-z0-9._-]{1,128}$/.test(n)), "legal names");
const wc = tools.find((t) => t.name === "beta__word-count");
check(wc?.inputSchema?.type === "object" && wc.inputSchema.required?.includes("text"), "inputSchema from the contract");
check(wc?.outputSchema?.properties?.words !== undefined, "outputSchema from the contract");
check(/When to use: /.test(wc?.description ?? ""), "description carries when_to_use", wc?.description);
check(!JSON.stringify(tools).includes("skills/"), "no private paths in the list");

// tools/call: a local skill, and a remote one over each transport.
const local = await client.callTool({ name: "self__word-count", arguments: { text: "one two three" } });
check(!local.isError && local.structuredContent?.words === 3, "local call", JSON.stringify(local));
for (const [peer, via] of [["beta", "path"], ["gamma", "a2a"], ["delta", "mqtt"]]) {
  const r = await client.callTool({ name: `${peer}__word-count`, arguments: { text: "four small words here" } });
  check(!r.isError && r.structuredContent?.words === 4, `call over ${via}`, JSON.stringify(r));
  check(r._meta?.["bwoc/via"] === via, `answered over ${via}`, JSON.stringify(r._meta));
  check(JSON.parse(text(r)).words === 4, `text content over ${via}`);
}

// Progress while a long call runs, when asked for.
let progress = 0;
const slow = await client.callTool({ name: "beta__slow", arguments: {} }, undefined,
                                   { onprogress: () => progress++, timeout: 60000 });
check(!slow.isError && slow.structuredContent?.done === true, "slow call", JSON.stringify(slow));
check(progress >= 1, "progress notifications", String(progress));

// Refusals are tool errors with clear text, never protocol errors.
const hidden = await client.callTool({ name: "beta__secret-sauce", arguments: {} });
check(hidden.isError === true && text(hidden) === "beta answered: Unknown skill", "hidden skill", text(hidden));
const missing = await client.callTool({ name: "beta__no-such-skill", arguments: {} });
check(missing.isError === true && text(missing) === text(hidden).replace("beta", "beta"), "missing = hidden", text(missing));
const nobody = await client.callTool({ name: "nobody__word-count", arguments: {} });
check(nobody.isError === true && text(nobody) === "Unknown skill", "unknown tool", text(nobody));
const bad = await client.callTool({ name: "beta__word-count", arguments: { text: 5 } });
check(bad.isError === true && text(bad).startsWith("beta answered: Invalid input: "), "bad input", text(bad));
const badLocal = await client.callTool({ name: "self__word-count", arguments: { nope: 1 } });
check(badLocal.isError === true && text(badLocal).startsWith("Invalid input: "), "bad local input", text(badLocal));
const offline = await client.callTool({ name: "omega__word-count", arguments: { text: "x" } });
const queued = /waits for it as request ([0-9a-f]{32})/.exec(text(offline));
check(offline.isError === true && /omega is offline/.test(text(offline)) && queued !== null,
      "an offline peer's call waits as a request", text(offline));
check(names.includes("bwoc_result"), "lists bwoc_result", names.join(" "));
if (queued) {
  console.log("offline request: " + queued[1]);
  const pending = await client.callTool({ name: "bwoc_result", arguments: { id: queued[1] } });
  check(pending.isError === true && /not answered yet/.test(text(pending)), "bwoc_result: not answered yet", text(pending));
}
const unknown = await client.callTool({ name: "bwoc_result", arguments: { id: "0".repeat(32) } });
check(unknown.isError === true && /no request/.test(text(unknown)), "bwoc_result: an unknown id", text(unknown));

// list_changed: gamma raises us to INTERNAL, its uppercase skill appears.
const appeared = new Promise((resolve) => {
  onChanged = async () => {
    const now = (await client.listTools()).tools.map((t) => t.name);
    if (now.includes("gamma__uppercase")) resolve(now);
  };
});
execFileSync(BWOC, ["-w", GAMMA, "trust", "set", "alpha", "INTERNAL"]);
const timer = new Promise((resolve) => setTimeout(() => resolve(null), 30000));
const after = await Promise.race([appeared, timer]);
check(after !== null, "list_changed after a tier change", `changed=${changed}`);
if (after) {
  const up = await client.callTool({ name: "gamma__uppercase", arguments: { text: "shout" } });
  check(!up.isError && up.structuredContent?.text === "SHOUT", "the new tool works", JSON.stringify(up));
}

await client.close();
console.log(`${checks - failures} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
