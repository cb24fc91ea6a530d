-- Whether the ledger has ever confirmed this remittance's reservation, whatever the ledger state
-- was when the confirmation was handled. Replies are handled by several consumers (and service
-- instances), so a void's `pending_transfer_not_found` can be handled after the reply of a
-- reservation that the ledger applied after that void: the void reply must then know that a
-- reservation is held and void it late (docs/remittance.md "A void that overtakes its
-- reservation").
ALTER TABLE remittances ADD COLUMN reservation_landed boolean NOT NULL DEFAULT false;
