-- Cash pickup: the voucher code the payout service sent the recipient (payout.voucher_issued),
-- shown to the sender with the remittance; the PIN never comes here.
ALTER TABLE remittances ADD COLUMN voucher_code text;
ALTER TABLE remittances ADD COLUMN voucher_expires_at timestamptz;
