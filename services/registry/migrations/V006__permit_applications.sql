-- Applications (docs/registry.md "Permits and directives"): a permit is recorded from its
-- application on (`draft` … `submitted`, the VFS receipt being proof of application) and moved by
-- officers through the decision phase to `issued`. Until issue it has no permit number, no printed
-- date and no legal expiry; from issue on it must have all of them, as every permit had before.
ALTER TABLE permits ADD COLUMN vfs_reference text;
ALTER TABLE permits ALTER COLUMN number DROP NOT NULL;
ALTER TABLE permits ALTER COLUMN issued_on DROP NOT NULL;
ALTER TABLE permits ALTER COLUMN printed_expiry DROP NOT NULL;
ALTER TABLE permits ALTER COLUMN legal_expiry DROP NOT NULL;
ALTER TABLE permits ADD CONSTRAINT permits_issued_have_number_and_dates CHECK (
    status NOT IN ('issued', 'valid', 'expired', 'extended_by_directive', 'revoked', 'superseded')
    OR (number IS NOT NULL AND issued_on IS NOT NULL AND printed_expiry IS NOT NULL
        AND legal_expiry IS NOT NULL)
);
-- A submitted application (and all that follows it) carries its receipt.
ALTER TABLE permits ADD CONSTRAINT permits_submitted_have_vfs_reference CHECK (
    status NOT IN ('submitted', 'in_adjudication', 'approved', 'ready_for_collection', 'rejected',
                   'appeal_or_review_pending', 'refused_final')
    OR vfs_reference IS NOT NULL
);
-- A worker may record their own application: its status was set by the applicant.
ALTER TABLE permits DROP CONSTRAINT permits_status_source_check;
ALTER TABLE permits ADD CONSTRAINT permits_status_source_check
    CHECK (status_source IN ('calendar', 'officer', 'registry', 'applicant'));
