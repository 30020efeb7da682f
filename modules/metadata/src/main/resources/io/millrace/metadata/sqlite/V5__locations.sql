-- Millrace metadata schema, version 5 (docs/metadata.md, "basins" and "account_settings").
-- Applied once, in one transaction, by SqliteMetadataStore; never edit after release: add V6__*.sql.

-- The location a basin was created in (spec 4.1 BasinInfo.location); null for basins created
-- before version 3.
ALTER TABLE basins ADD COLUMN location TEXT;

-- Account-wide settings, one value per key (e.g. default_location, spec 4.5), upserted.
CREATE TABLE account_settings (
  name   TEXT NOT NULL PRIMARY KEY,
  value  TEXT NOT NULL
) WITHOUT ROWID;
