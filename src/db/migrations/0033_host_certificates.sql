-- The agent certificate a joined host serves (docs/architecture.md §10): its serial and
-- validity, so operators see when it expires and housekeeping renews it in time
-- (src/housekeeping/host-cert-renewal.ts); when it was last renewed and why the last attempt
-- failed; and certificate_retry_at, the claim one renewal holds and the earliest retry.
-- Null for the local host, whose certificate the controller issues itself.
ALTER TABLE host ADD COLUMN certificate_serial text;
ALTER TABLE host ADD COLUMN certificate_not_before timestamptz;
ALTER TABLE host ADD COLUMN certificate_not_after timestamptz;
ALTER TABLE host ADD COLUMN certificate_renewed_at timestamptz;
ALTER TABLE host ADD COLUMN certificate_renewal_error text;
ALTER TABLE host ADD COLUMN certificate_retry_at timestamptz;
