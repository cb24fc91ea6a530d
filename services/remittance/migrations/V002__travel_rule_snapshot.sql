-- The travel-rule snapshot (docs/central-bank.md "Travel rule"): what the registry knew of the
-- sender and the beneficiary when the remittance was created, so that remit.completed carries the
-- minimum record of DOMAIN.md 1.7 as it stood at that moment. Identity numbers are kept masked
-- only: the full number stays sealed in the registry, which finance reads (access-logged) if a
-- regulator asks. Remittances created before this migration have NULLs here.
--
-- sender_phone may also be added by another change for the payout messages: IF NOT EXISTS lets
-- both apply in either order.
ALTER TABLE remittances
    ADD COLUMN IF NOT EXISTS sender_phone text,
    ADD COLUMN IF NOT EXISTS sender_nationality text,
    ADD COLUMN IF NOT EXISTS sender_document text,
    ADD COLUMN IF NOT EXISTS sender_document_masked text,
    ADD COLUMN IF NOT EXISTS sender_employer text,
    ADD COLUMN IF NOT EXISTS beneficiary_relationship text,
    ADD COLUMN IF NOT EXISTS beneficiary_national_id_masked text;
