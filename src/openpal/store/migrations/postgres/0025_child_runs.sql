-- 0025: child runs. A run started by a `workflow.invoke` step carries its parent run
-- (parent_id) and the index of the parent's step that started it (parent_step), so a
-- parent resumed or taken over finds the child it already started instead of a second.
ALTER TABLE runs ADD COLUMN parent_id TEXT;
ALTER TABLE runs ADD COLUMN parent_step INTEGER;
CREATE UNIQUE INDEX runs_children ON runs (parent_id, parent_step) WHERE parent_id IS NOT NULL;
