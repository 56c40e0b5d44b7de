-- Each kept answer's references (the document-library passages it cites: library, document, title,
-- page, chunk, offsets, score), as the JSON list the answer carried less the passages' text: a Vault
-- ciphertext like the content, since a document's title is its owner's data. The text is left out so
-- that deleting a document takes its words with it; a reopened answer reads the passage from the
-- document while it exists. NULL for an answer that cites nothing.
ALTER TABLE messages ADD COLUMN answer_references BYTEA;
