-- Limits may also be set on a group of users: its members' calls count together against them.
ALTER TABLE limits DROP CONSTRAINT limits_subject_kind_check;
ALTER TABLE limits ADD CONSTRAINT limits_subject_kind_check
    CHECK (subject_kind IN ('organization', 'group', 'user', 'key'));
