// Batch inference through the official TypeScript SDKs of Mistral and OpenAI, by base URL alone:
// a JSONL file of requests uploaded (purpose "batch"), a job made of it, followed to its end, and
// its output file downloaded, each line answering its custom_id. The SDKs validate every response
// against their providers' schemas.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Mistral } from "@mistralai/mistralai";
import OpenAI, { toFile } from "openai";
import { root, apiKey, model } from "./server.js";

const mistral = new Mistral({ apiKey, serverURL: root, retryConfig: { strategy: "none" }, timeoutMs: 60_000 });
const openai = new OpenAI({ apiKey, baseURL: `${root}/v1`, maxRetries: 0, timeout: 60_000 });

/** JSONL lines asking for a short story each, keyed story-0, story-1, ... */
function lines(count, extra = (line) => line) {
  const out = [];
  for (let i = 0; i < count; i++) {
    out.push(JSON.stringify(extra({
      custom_id: `story-${i}`,
      body: { model, max_tokens: 8, seed: i, messages: [{ role: "user", content: `Once upon a time ${i}` }] },
    })));
  }
  return out.join("\n") + "\n";
}

/** Polls until `get` answers a status outside `running`, for at most a minute. */
async function finished(get, running) {
  for (let i = 0; i < 600; i++) {
    const job = await get();
    if (!running.includes(job.status)) return job;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail("the job did not end within a minute");
}

test("Mistral's SDK: a file of three requests runs as a batch job whose output answers each custom_id", async () => {
  const file = await mistral.files.upload({
    purpose: "batch",
    file: { fileName: "stories.jsonl", content: new TextEncoder().encode(lines(3)) },
  });
  assert.equal(file.purpose, "batch");
  const created = await mistral.batch.jobs.create({ inputFiles: [file.id], endpoint: "/v1/chat/completions", model,
    metadata: { client: "mistral-ts" } });
  assert.equal(created.totalRequests, 3);
  const job = await finished(() => mistral.batch.jobs.get({ jobId: created.id }),
    ["QUEUED", "RUNNING", "CANCELLATION_REQUESTED"]);
  assert.equal(job.status, "SUCCESS");
  assert.equal(job.succeededRequests, 3);
  const stream = await mistral.files.download({ fileId: job.outputFile });
  const output = await new Response(stream).text();
  const ids = output.trim().split("\n").map((line) => JSON.parse(line).custom_id).sort();
  assert.deepEqual(ids, ["story-0", "story-1", "story-2"]);
  const listed = await mistral.batch.jobs.list({ metadata: { client: "mistral-ts" } });
  assert.ok(listed.data.some((j) => j.id === created.id));
});

test("OpenAI's SDK: an input file runs as a batch whose output file answers each custom_id", async () => {
  const input = lines(2, (line) => ({ ...line, method: "POST", url: "/v1/chat/completions" }));
  const file = await openai.files.create({ file: await toFile(Buffer.from(input), "stories.jsonl"), purpose: "batch" });
  const created = await openai.batches.create({ input_file_id: file.id, endpoint: "/v1/chat/completions",
    completion_window: "24h" });
  const batch = await finished(() => openai.batches.retrieve(created.id),
    ["validating", "in_progress", "finalizing", "cancelling"]);
  assert.equal(batch.status, "completed");
  assert.equal(batch.request_counts.completed, 2);
  const output = await (await openai.files.content(batch.output_file_id)).text();
  const answers = output.trim().split("\n").map((line) => JSON.parse(line));
  assert.deepEqual(answers.map((a) => a.custom_id).sort(), ["story-0", "story-1"]);
  for (const answer of answers) {
    assert.equal(answer.response.status_code, 200);
    assert.ok(answer.response.body.choices[0].message.content.length > 0);
  }
});
