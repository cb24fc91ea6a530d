-- Agency directors' identity numbers are sealed like every other identity number: each director in
-- agencies.directors keeps `national_id_enc` (AES-256-GCM envelope, associated data
-- `agencies.directors.national_id:<agency id>:<index>`) and `national_id_masked`, never a clear
-- `national_id`. NOT VALID: rows written before this migration are sealed by the service right
-- after the migrations run (RegistryService::migrate, which holds the keys), then validated.
ALTER TABLE agencies ADD CONSTRAINT agencies_directors_sealed
    CHECK (NOT jsonb_path_exists(directors, '$[*].national_id')) NOT VALID;
