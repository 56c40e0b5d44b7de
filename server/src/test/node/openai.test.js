// OpenAI's official TypeScript SDK against Souverain: the fields it reads must be there, with
// the types it expects, and its error classes must recognise our errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { root, apiKey, model, embeddingModel, weatherParameters, jsonObject, assertNoInternals } from "./server.js";

const openai = new OpenAI({ apiKey, baseURL: `${root}/v1`, maxRetries: 0, timeout: 60_000 });

const story = { model, messages: [{ role: "user", content: "Tell me a story" }], temperature: 0, seed: 7, max_completion_tokens: 24 };

test("a chat completion", async () => {
  const answer = await openai.chat.completions.create(story);
  assert.match(answer.id, /^chatcmpl-/);
  assert.equal(answer.object, "chat.completion");
  assert.equal(answer.model, model);
  const [choice] = answer.choices;
  assert.equal(choice.message.role, "assistant");
  assert.ok(choice.message.content.trim().length > 0);
  assert.equal(choice.finish_reason, "length");
  assert.equal(answer.usage.completion_tokens, 24);
  assert.equal(answer.usage.total_tokens, answer.usage.prompt_tokens + 24);
});

test("a streamed chat completion adds up to the whole answer, with usage when asked", async () => {
  const whole = (await openai.chat.completions.create(story)).choices[0].message.content;
  const chunks = [];
  const stream = await openai.chat.completions.create({ ...story, stream: true, stream_options: { include_usage: true } });
  for await (const chunk of stream) {
    chunks.push(chunk);
  }
  assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
  assert.ok(chunks.every((c) => c.object === "chat.completion.chunk"));
  assert.equal(chunks.flatMap((c) => c.choices).map((c) => c.delta.content ?? "").join(""), whole);
  assert.deepEqual(chunks.flatMap((c) => c.choices).map((c) => c.finish_reason).filter((f) => f != null), ["length"]);
  const last = chunks.at(-1);
  assert.deepEqual(last.choices, []);
  assert.equal(last.usage.completion_tokens, 24);
});

test("the SDK's stream helper assembles the same answer", async () => {
  const whole = (await openai.chat.completions.create(story)).choices[0].message.content;
  const final = await openai.chat.completions.stream(story).finalChatCompletion();
  assert.equal(final.choices[0].message.content, whole);
});

test("the same seed gives the same answer, another seed another", async () => {
  const sampled = (seed) => openai.chat.completions.create({ ...story, temperature: 1, seed, max_completion_tokens: 40 });
  const [first, again, other] = await Promise.all([sampled(11), sampled(11), sampled(12)]);
  const text = (answer) => answer.choices[0].message.content;
  assert.equal(text(again), text(first));
  assert.notEqual(text(other), text(first));
});

test("JSON mode and a JSON schema answer what they ask for", async () => {
  for (const seed of [1, 2, 3]) {
    const answer = await openai.chat.completions.create({
      ...story, temperature: 1, seed, max_completion_tokens: 60, response_format: { type: "json_object" },
    });
    jsonObject(answer.choices[0].message.content);
    assert.equal(answer.choices[0].finish_reason, "stop");
  }
  const hero = {
    type: "object",
    properties: { name: { type: "string", maxLength: 12 }, age: { type: "integer" }, brave: { type: "boolean" } },
    required: ["name", "age", "brave"],
    additionalProperties: false,
  };
  const answer = await openai.chat.completions.create({
    ...story, temperature: 1, seed: 4, max_completion_tokens: 60,
    response_format: { type: "json_schema", json_schema: { name: "hero", strict: true, schema: hero } },
  });
  const parsed = jsonObject(answer.choices[0].message.content);
  assert.deepEqual(Object.keys(parsed).sort(), ["age", "brave", "name"]);
  assert.ok(Number.isInteger(parsed.age));
  assert.equal(typeof parsed.brave, "boolean");
});

const weather = { type: "function", function: { name: "weather", description: "today's weather", parameters: weatherParameters } };

test("a required tool call, whole and streamed", async () => {
  const request = { ...story, temperature: 1, seed: 2, max_completion_tokens: 60, tools: [weather], tool_choice: "required" };
  const answer = await openai.chat.completions.create(request);
  const [choice] = answer.choices;
  assert.equal(choice.finish_reason, "tool_calls");
  const [call] = choice.message.tool_calls;
  assert.equal(call.type, "function");
  assert.ok(call.id.length > 0);
  assert.equal(call.function.name, "weather");
  assert.deepEqual(Object.keys(jsonObject(call.function.arguments)), ["city"]);

  const final = await openai.chat.completions.stream(request).finalChatCompletion();
  const [streamed] = final.choices[0].message.tool_calls;
  assert.equal(streamed.function.name, "weather");
  assert.equal(typeof jsonObject(streamed.function.arguments).city, "string");
  assert.equal(final.choices[0].finish_reason, "tool_calls");
});

test("embeddings, as floats and as base64", async () => {
  const answer = await openai.embeddings.create({ model, input: ["a cat", "a dog"], encoding_format: "float" });
  assert.equal(answer.object, "list");
  assert.deepEqual(answer.data.map((d) => d.index), [0, 1]);
  for (const { embedding, object } of answer.data) {
    assert.equal(object, "embedding");
    assert.equal(embedding.length, 64);
    assert.ok(Math.abs(Math.hypot(...embedding) - 1) < 1e-4);
  }
  assert.ok(answer.usage.prompt_tokens > 0);
  // The SDK's default asks for base64 and decodes it itself.
  const decoded = await openai.embeddings.create({ model, input: ["a cat", "a dog"] });
  decoded.data.forEach((d, i) => d.embedding.forEach((x, j) => assert.ok(Math.abs(x - answer.data[i].embedding[j]) < 1e-6)));
});

test("embeddings with the sentence-embedding model, which does not chat", async () => {
  const answer = await openai.embeddings.create({ model: embeddingModel, input: ["a cat sleeps", "a cat naps", "an invoice"] });
  assert.equal(answer.model, embeddingModel);
  assert.ok(answer.data.every(({ embedding }) => embedding.length === 384));
  const chat = await refusal(() => openai.chat.completions.create({
    model: embeddingModel, messages: [{ role: "user", content: "Hi" }], max_tokens: 4,
  }));
  assert.equal(chat.status, 400);
  assert.match(chat.error.message, /sentence-embedding model/);
});

test("the models list and one model", async () => {
  const ids = [];
  for await (const listed of openai.models.list()) {
    ids.push(listed.id);
    assert.equal(listed.object, "model");
    assert.equal(typeof listed.owned_by, "string");
    assert.ok(Number.isInteger(listed.created));
  }
  assert.deepEqual(ids, [model, embeddingModel]);
  assert.equal((await openai.models.retrieve(model)).id, model);
});

async function refusal(call) {
  try {
    await call();
  } catch (error) {
    assert.ok(error instanceof OpenAI.APIError, `not the SDK's API error: ${error}`);
    assertNoInternals(JSON.stringify(error.error ?? {}));
    return error;
  }
  assert.fail("the call succeeded");
}

test("errors are the SDK's own error classes, with the fields it reads", async () => {
  const unknownModel = await refusal(() => openai.chat.completions.create({ ...story, model: "no-such-model" }));
  assert.ok(unknownModel instanceof OpenAI.NotFoundError);
  assert.equal(unknownModel.code, "model_not_found");
  assert.equal(unknownModel.param, "model");
  assert.match(unknownModel.message, /no-such-model/);
  assert.match(unknownModel.requestID, /\S/);

  const badKey = await refusal(() => new OpenAI({ apiKey: "sk-souv-wrong", baseURL: `${root}/v1`, maxRetries: 0 }).models.list());
  assert.ok(badKey instanceof OpenAI.AuthenticationError);
  assert.equal(badKey.code, "invalid_api_key");

  const badValue = await refusal(() => openai.chat.completions.create({ ...story, temperature: 7 }));
  assert.ok(badValue instanceof OpenAI.BadRequestError);
  assert.equal(badValue.param, "temperature");

  const unknownField = await refusal(() => openai.chat.completions.create({ ...story, no_such_field: 1 }));
  assert.ok(unknownField instanceof OpenAI.UnprocessableEntityError);
  assert.equal(unknownField.type, "invalid_request_error");
});
