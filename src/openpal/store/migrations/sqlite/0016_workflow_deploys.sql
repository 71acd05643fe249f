-- 0016: workflows deployed over the API (/v1/automations). `deleted_at` is a soft
-- delete: the workflow leaves lists, lookups and run targets, its versions and runs
-- stay. `current_set_by` says who last moved the current-version pointer: 'load' (a
-- process loading its workflows folder) or 'api' (a deploy, promote or restore).
-- A folder load moves the pointer to content the store has never seen, and to known
-- content only while the pointer is the folder's own ('load', not deleted), so a
-- restart that reloads the same files never undoes a promote, a restore or a delete.
ALTER TABLE workflows ADD COLUMN deleted_at INTEGER;
ALTER TABLE workflows ADD COLUMN current_set_by TEXT NOT NULL DEFAULT 'load';
