-- An answer cut off before it was whole (a client gone, the server killed): the conversation
-- keeps a mark of it in place of the answer, so that it can go on and say what happened.
ALTER TABLE messages ADD COLUMN interrupted INTEGER NOT NULL DEFAULT 0;
