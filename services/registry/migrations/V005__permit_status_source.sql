-- Who set a permit's status (docs/registry.md "Permits and directives"): the calendar and the
-- directives, which the daily job may recompute; an officer (POST /v1/permits/{id}/status) or the
-- permit registry (a revocation or supersession found on verification), whose `expired` or
-- `extended_by_directive` the job leaves alone until an officer moves it.
ALTER TABLE permits ADD COLUMN status_source text NOT NULL DEFAULT 'calendar'
    CHECK (status_source IN ('calendar', 'officer', 'registry'));

-- Existing permits: the history row that last changed the status says who did. The service wrote
-- 'recorded' (from no status), 'daily check' (actor 'system'), 'directive recorded ...' and
-- 'permit registry check'; any other reason was typed by an officer changing the status.
UPDATE permits p
   SET status_source = CASE
           WHEN h.reason = 'permit registry check' AND h.to_status IN ('revoked', 'superseded')
               THEN 'registry'
           WHEN h.from_status IS NULL OR h.actor = 'system' OR h.reason = 'permit registry check'
                OR h.reason LIKE 'directive recorded%' OR h.reason LIKE 'daily check%'
               THEN 'calendar'
           ELSE 'officer'
       END
  FROM (SELECT DISTINCT ON (permit_id) permit_id, from_status, to_status, reason, actor
          FROM permit_history
         WHERE from_status IS DISTINCT FROM to_status
         ORDER BY permit_id, id DESC) h
 WHERE h.permit_id = p.id AND h.to_status = p.status;
