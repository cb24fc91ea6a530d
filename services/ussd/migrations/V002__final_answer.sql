-- The final turn of a session that asked for something is answered again from here, not from
-- Redis: the row, its outbox message and this answer commit together, so an answer can only be
-- repeated for an action that was recorded. (Kept in Redis before the commit, a final turn whose
-- transaction then failed was answered "done" on the retry with nothing done.) Rows from before
-- this migration have no kept answer: a retry of their final turn ends the session.
ALTER TABLE actions ADD COLUMN final_text text;
ALTER TABLE actions ADD COLUMN final_answer text;
