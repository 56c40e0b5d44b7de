// Mistral's official TypeScript SDK managing Souverain's document libraries by base URL alone:
// create a library, upload a document (multipart), wait for its processing, list it, read its
// text, rename it and give it attributes, download it and its text through signed URLs, reprocess
// it, share the library with the organization, update and delete it. The SDK validates every
// response against Mistral's schemas.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Mistral } from "@mistralai/mistralai";
import { root, apiKey } from "./server.js";

const mistral = new Mistral({ apiKey, serverURL: root, retryConfig: { strategy: "none" }, timeoutMs: 60_000 });

test("a library is created, a document uploaded, processed, listed and read, the library shared and deleted", async () => {
  const library = await mistral.beta.libraries.create({ name: "SDK library", description: "made by the SDK" });
  assert.equal(library.name, "SDK library");
  assert.equal(library.nbDocuments, 0);

  const text = "The SDK canary sentence says that the blue kettle boils at noon.\n\nA second paragraph.";
  const uploaded = await mistral.beta.libraries.documents.upload({
    libraryId: library.id,
    requestBody: { file: { fileName: "kettle.txt", content: new TextEncoder().encode(text) } },
  });
  assert.equal(uploaded.name, "kettle.txt");
  assert.equal(uploaded.libraryId, library.id);

  let status;
  for (let i = 0; i < 600; i++) {
    status = await mistral.beta.libraries.documents.status({ libraryId: library.id, documentId: uploaded.id });
    if (status.processingStatus !== "Running") break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(status.processingStatus, "Completed");
  assert.equal(status.processStatus, "done");

  const listed = await mistral.beta.libraries.documents.list({ libraryId: library.id, search: "kettle" });
  assert.equal(listed.pagination.totalItems, 1);
  assert.equal(listed.data[0].id, uploaded.id);
  assert.equal(listed.data[0].mimeType, "text/plain");

  const content = await mistral.beta.libraries.documents.textContent({ libraryId: library.id, documentId: uploaded.id });
  assert.match(content.text, /blue kettle boils at noon/);

  const attributes = { team: "kitchen", year: 2026, checked: true, tags: ["tea", "noon"] };
  const patched = await mistral.beta.libraries.documents.update({
    libraryId: library.id, documentId: uploaded.id,
    updateDocumentRequest: { name: "kettle-notes.txt", attributes },
  });
  assert.equal(patched.name, "kettle-notes.txt");
  assert.deepEqual(patched.attributes, attributes);
  const put = await mistral.beta.libraries.documents.librariesDocumentsUpdateV1({
    libraryId: library.id, documentId: uploaded.id, updateDocumentRequest: { name: "kettle.txt" },
  });
  assert.equal(put.name, "kettle.txt");
  assert.deepEqual(put.attributes, attributes);

  // Signed URLs download without the API key.
  const url = await mistral.beta.libraries.documents.getSignedUrl({ libraryId: library.id, documentId: uploaded.id });
  const original = await fetch(url);
  assert.equal(original.status, 200);
  assert.equal(await original.text(), text);
  const textUrl = await mistral.beta.libraries.documents.extractedTextSignedUrl({
    libraryId: library.id, documentId: uploaded.id,
  });
  assert.match(await (await fetch(textUrl)).text(), /blue kettle boils at noon/);
  const tampered = await fetch(url.replace(/signature=.*/, "signature=AAAA"));
  assert.equal(tampered.status, 403);

  await mistral.beta.libraries.documents.reprocess({ libraryId: library.id, documentId: uploaded.id });
  for (let i = 0; i < 600; i++) {
    status = await mistral.beta.libraries.documents.status({ libraryId: library.id, documentId: uploaded.id });
    if (status.processingStatus !== "Running") break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.equal(status.processingStatus, "Completed");

  const libraries = await mistral.beta.libraries.list();
  assert.ok(libraries.data.some((l) => l.id === library.id && l.nbDocuments === 1));

  const shared = await mistral.beta.libraries.accesses.updateOrCreate({
    libraryId: library.id,
    sharingRequest: { level: "Viewer", shareWithUuid: await orgOf(library), shareWithType: "Org" },
  });
  assert.equal(shared.role, "Viewer");
  const accesses = await mistral.beta.libraries.accesses.list({ libraryId: library.id });
  assert.ok(accesses.data.some((a) => a.shareWithType === "Org"));

  const renamed = await mistral.beta.libraries.update({ libraryId: library.id, updateLibraryRequest: { name: "Renamed" } });
  assert.equal(renamed.name, "Renamed");
  await mistral.beta.libraries.documents.delete({ libraryId: library.id, documentId: uploaded.id });
  await mistral.beta.libraries.delete({ libraryId: library.id });
  await assert.rejects(mistral.beta.libraries.get({ libraryId: library.id }), (e) => e.statusCode === 404);
});

/** The organization of the library: the owner's share lists it. */
async function orgOf(library) {
  const accesses = await mistral.beta.libraries.accesses.list({ libraryId: library.id });
  return accesses.data[0].orgId;
}
