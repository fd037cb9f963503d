-- Controllers remember bootstrap (join) token rows for a few seconds (bootstrap/token-store.ts),
-- so a fleet joining with one token reads it once. A revocation, deletion or any change to what a
-- check reads, from any process, tells every listening controller to forget at once, on the
-- channel of auth_change_notices. Recording a token's use (lastUsedAt) notifies nobody.
CREATE TRIGGER "BootstrapToken_auth_changed" AFTER UPDATE OF "secretHash", "expiresAt", "revokedAt" OR DELETE OR TRUNCATE ON "BootstrapToken"
  FOR EACH STATEMENT EXECUTE FUNCTION berth_auth_changed();
