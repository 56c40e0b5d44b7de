-- The group a user's call is accounted to (the first of the user's groups by name, as the call
-- was made; NULL for a key or a user in no group), so that usage can be reported by group.
ALTER TABLE usage_records ADD COLUMN group_id TEXT;
