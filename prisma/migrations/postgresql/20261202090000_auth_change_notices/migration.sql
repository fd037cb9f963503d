-- Controllers remember who a bearer token belongs to for a few seconds (auth/principal-cache.ts).
-- Any change to tokens or users, from any process (another controller, `berth admin
-- rotate-token`), tells every listening controller to forget at once: NOTIFY is delivered when
-- the writing transaction commits. PostgreSQL only: a SQLite controller does not cache.
CREATE OR REPLACE FUNCTION berth_auth_changed() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('berth_auth', '');
  RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER "ApiToken_auth_changed" AFTER UPDATE OR DELETE OR TRUNCATE ON "ApiToken"
  FOR EACH STATEMENT EXECUTE FUNCTION berth_auth_changed();

CREATE TRIGGER "User_auth_changed" AFTER UPDATE OR DELETE OR TRUNCATE ON "User"
  FOR EACH STATEMENT EXECUTE FUNCTION berth_auth_changed();
