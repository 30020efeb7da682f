-- Millrace metadata schema, version 4 (docs/metadata.md, "access_tokens").
-- Applied once, in one transaction, by SqliteMetadataStore; never edit after release: add V5__*.sql.
-- Issued access tokens: the SHA-256 of the secret (lowercase hex), never the secret; the scope and
-- auto-prefix flag as AccessTokenCodec JSON, version 1; expires_at NULL = never. Created by issue,
-- deleted by revoke, never updated. The root token is not stored here.

CREATE TABLE access_tokens (
  id           TEXT    NOT NULL PRIMARY KEY,
  secret_hash  TEXT    NOT NULL,
  info         TEXT    NOT NULL,
  expires_at   TEXT,
  created_at   TEXT    NOT NULL
) WITHOUT ROWID;
