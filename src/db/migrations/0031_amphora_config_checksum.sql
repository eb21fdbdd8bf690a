-- The SHA-256 (hex) of the haproxy configuration the controller last pushed to an amphora and
-- its agent accepted: diagnostics (src/providers/amphora/lb-diagnostics.ts) compare it with
-- the checksum of the file the agent runs, so a configuration changed behind the controller's
-- back shows as drift. Null: nothing pushed since this column exists.
ALTER TABLE amphora ADD COLUMN haproxy_config_sha256 text;
