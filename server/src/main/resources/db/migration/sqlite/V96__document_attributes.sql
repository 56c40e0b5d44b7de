-- A document's attributes (Mistral's Libraries API: PUT/PATCH /v1/libraries/{id}/documents/{id}), a
-- JSON object of names and values given by its library's editors: a Vault ciphertext under the
-- organization's data key, bound to the document, like its name. NULL for a document without any.
ALTER TABLE library_documents ADD COLUMN attributes BLOB;
