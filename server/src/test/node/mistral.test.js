// Mistral's official TypeScript SDK against Souverain. The SDK validates every response against
// Mistral's schemas (zod), so a missing or mistyped field fails the call.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Mistral } from "@mistralai/mistralai";
import * as errors from "@mistralai/mistralai/models/errors";
import { root, apiKey, model, embeddingModel, weatherParameters, jsonObject, assertNoInternals } from "./server.js";

const mistral = new Mistral({ apiKey, serverURL: root, retryConfig: { strategy: "none" }, timeoutMs: 60_000 });

const story = { model, messages: [{ role: "user", content: "Tell me a story" }], temperature: 0, maxTokens: 24 };

test("a chat completion", async () => {
  const answer = await mistral.chat.complete(story);
  assert.match(answer.id, /^chatcmpl-/);
  assert.equal(answer.object, "chat.completion");
  assert.equal(answer.model, model);
  assert.ok(Number.isInteger(answer.created));
  const [choice] = answer.choices;
  assert.equal(choice.message.role, "assistant");
  assert.equal(typeof choice.message.content, "string");
  assert.ok(choice.message.content.trim().length > 0);
  assert.equal(choice.finishReason, "length");
  assert.equal(answer.usage.completionTokens, 24);
  assert.equal(answer.usage.totalTokens, answer.usage.promptTokens + 24);
});

test("a streamed chat completion adds up to the whole answer, its usage on the last chunk", async () => {
  const whole = (await mistral.chat.complete(story)).choices[0].message.content;
  const chunks = [];
  for await (const event of await mistral.chat.stream(story)) {
    chunks.push(event.data);
  }
  assert.ok(chunks.length > 2);
  assert.equal(new Set(chunks.map((c) => c.id)).size, 1);
  const streamed = chunks.flatMap((c) => c.choices).map((c) => c.delta.content ?? "").join("");
  assert.equal(streamed, whole);
  const finishes = chunks.flatMap((c) => c.choices).map((c) => c.finishReason).filter((f) => f != null);
  assert.deepEqual(finishes, ["length"]);
  assert.equal(chunks.at(-1).usage.completionTokens, 24);
});

test("the same random seed gives the same answer, another seed another", async () => {
  const sampled = (seed) => mistral.chat.complete({ ...story, temperature: 1, maxTokens: 40, randomSeed: seed });
  const [first, again, other] = await Promise.all([sampled(11), sampled(11), sampled(12)]);
  const text = (answer) => answer.choices[0].message.content;
  assert.equal(text(again), text(first));
  assert.notEqual(text(other), text(first));
});

test("JSON mode answers a JSON object", async () => {
  for (const seed of [1, 2, 3]) {
    const answer = await mistral.chat.complete({
      ...story, temperature: 1, maxTokens: 60, randomSeed: seed, responseFormat: { type: "json_object" },
    });
    jsonObject(answer.choices[0].message.content);
    assert.equal(answer.choices[0].finishReason, "stop");
  }
});

const weather = { type: "function", function: { name: "weather", description: "today's weather", parameters: weatherParameters } };

test("a tool call the SDK reads, whole and streamed", async () => {
  const request = { ...story, temperature: 1, maxTokens: 60, randomSeed: 2, tools: [weather], toolChoice: "any" };
  const answer = await mistral.chat.complete(request);
  const [choice] = answer.choices;
  assert.equal(choice.finishReason, "tool_calls");
  const [call] = choice.message.toolCalls;
  assert.ok(call.id.length > 0);
  assert.equal(call.function.name, "weather");
  const args = typeof call.function.arguments === "string" ? JSON.parse(call.function.arguments) : call.function.arguments;
  assert.deepEqual(Object.keys(args), ["city"]);

  let streamedArguments = "";
  const names = [];
  for await (const event of await mistral.chat.stream(request)) {
    for (const streamed of event.data.choices) {
      for (const delta of streamed.delta.toolCalls ?? []) {
        if (delta.function.name) names.push(delta.function.name);
        streamedArguments += typeof delta.function.arguments === "string"
          ? delta.function.arguments : JSON.stringify(delta.function.arguments);
      }
    }
  }
  assert.deepEqual(names, ["weather"]);
  assert.equal(typeof jsonObject(streamedArguments).city, "string");
});

test("embeddings, with the response id the SDK requires", async () => {
  const answer = await mistral.embeddings.create({ model, inputs: ["a cat", "a dog"] });
  assert.equal(typeof answer.id, "string");
  assert.ok(answer.id.length > 0);
  assert.equal(answer.model, model);
  assert.deepEqual(answer.data.map((d) => d.index), [0, 1]);
  for (const { embedding } of answer.data) {
    assert.equal(embedding.length, 64);
    assert.ok(Math.abs(Math.hypot(...embedding) - 1) < 1e-4);
  }
  assert.notDeepEqual(answer.data[0].embedding, answer.data[1].embedding);
  assert.ok(answer.usage.promptTokens > 0);
});

test("embeddings with the sentence-embedding model: paraphrases closest, in French too", async () => {
  const answer = await mistral.embeddings.create({
    model: embeddingModel,
    inputs: ["Le chat dort sur le canapé.", "Un chat fait la sieste sur le sofa.", "La facture est due à la fin du mois."],
  });
  assert.equal(answer.model, embeddingModel);
  const [cat, napping, invoice] = answer.data.map((d) => d.embedding);
  assert.equal(cat.length, 384);
  const dot = (a, b) => a.reduce((sum, x, i) => sum + x * b[i], 0);
  assert.ok(dot(cat, napping) > dot(cat, invoice), `${dot(cat, napping)} <= ${dot(cat, invoice)}`);
  assert.ok(answer.usage.promptTokens > 0);
});

test("the models list and one model's card", async () => {
  const list = await mistral.models.list();
  assert.deepEqual(list.data.map((m) => m.id), [model, embeddingModel]);
  const card = await mistral.models.retrieve({ modelId: model });
  assert.equal(card.id, model);
  assert.equal(card.type, "base");
  assert.ok(card.maxContextLength > 0);
  assert.equal(card.capabilities.completionChat, true);
  const embedder = await mistral.models.retrieve({ modelId: embeddingModel });
  assert.equal(embedder.capabilities.completionChat, false);
});

async function refusal(call) {
  try {
    await call();
  } catch (error) {
    assert.ok(error instanceof errors.MistralError, `not the SDK's HTTP error: ${error}`);
    assertNoInternals(error.body);
    return { status: error.statusCode, body: JSON.parse(error.body), message: error.message };
  }
  assert.fail("the call succeeded");
}

test("errors reach the SDK as its HTTP errors, in the documented shape", async () => {
  const unknownModel = await refusal(() => mistral.chat.complete({ ...story, model: "no-such-model" }));
  assert.equal(unknownModel.status, 404);
  assert.equal(unknownModel.body.object, "error");
  assert.equal(unknownModel.body.code, "model_not_found");
  assert.match(unknownModel.body.message, /no-such-model/);

  const badKey = await refusal(() => new Mistral({ apiKey: "sk-souv-wrong", serverURL: root, retryConfig: { strategy: "none" } })
    .models.list());
  assert.equal(badKey.status, 401);
  assert.equal(badKey.body.code, "invalid_api_key");

  const badValue = await refusal(() => mistral.chat.complete({ ...story, temperature: 7 }));
  assert.equal(badValue.status, 400);
  assert.equal(badValue.body.param, "temperature");

  const unknownCard = await refusal(() => mistral.models.retrieve({ modelId: "no-such-model" }));
  assert.equal(unknownCard.status, 404);
});
