-- 0010: runs that wait. `waiting_for` is 'timer' or 'approval'; `wait_until` is when a
-- worker picks the run up again (the timer, or the approval's deadline); an approval
-- records the `decision` and the approver's JSON body (`resume_payload`).
ALTER TABLE runs ADD COLUMN waiting_for TEXT;
ALTER TABLE runs ADD COLUMN wait_until INTEGER;
ALTER TABLE runs ADD COLUMN decision TEXT;
ALTER TABLE runs ADD COLUMN resume_payload TEXT;
CREATE INDEX runs_waiting ON runs (wait_until) WHERE status = 'waiting';
