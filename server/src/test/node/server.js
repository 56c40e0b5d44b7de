// The server under test, as TypeScriptSdksTest started it, and a guard that every request the
// SDKs make goes to it: no telemetry, no default endpoint, nothing off loopback.
import { after } from "node:test";
import assert from "node:assert/strict";

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run these tests through TypeScriptSdksTest (mvn test -Dtest=TypeScriptSdksTest)`);
  }
  return value;
}

/** The server's root, e.g. http://127.0.0.1:PORT (Mistral's SDK adds /v1 itself). */
export const root = required("SOUVERAIN_URL");
export const apiKey = required("SOUVERAIN_API_KEY");
export const model = required("SOUVERAIN_MODEL");
/** The sentence-embedding model the server embeds with by default. */
export const embeddingModel = required("SOUVERAIN_EMBEDDING_MODEL");

const hosts = [];
const fetched = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  // OpenAI's SDK fetches "data:," to learn whether fetch takes FormData: no connection is made.
  if (url.protocol !== "data:") {
    hosts.push(url.host);
  }
  return fetched(input, init);
};

after(() => {
  const expected = new URL(root).host;
  assert.ok(hosts.length > 0, "the SDKs made no request at all");
  assert.deepEqual([...new Set(hosts)], [expected], "every request must go to the server under test");
});

/** A JSON Schema that the tools of both SDKs share. */
export const weatherParameters = {
  type: "object",
  properties: { city: { type: "string" } },
  required: ["city"],
};

/** Asserts that `text` is a JSON object and returns it. */
export function jsonObject(text) {
  const value = JSON.parse(text);
  assert.equal(typeof value, "object");
  assert.ok(value !== null && !Array.isArray(value), `not a JSON object: ${text}`);
  return value;
}

/** The visible text of an error must never leak Java internals. */
export function assertNoInternals(text) {
  assert.doesNotMatch(text, /java\.|Exception|\tat /, `Java internals in: ${text}`);
}
