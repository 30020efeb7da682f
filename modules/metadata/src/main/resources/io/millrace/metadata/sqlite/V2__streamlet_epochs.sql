-- Millrace metadata schema, version 2 (docs/metadata.md, "Fenced owner writes").
-- Applied once, in one transaction, by SqliteMetadataStore; never edit after release: add V3__*.sql.
-- The highest streamlet epoch ever created per stream (the SQLite counterpart of the static column
-- streamlets.latest_epoch in Cassandra). createStreamlet raises it and refuses epochs at or below
-- it; sealStreamlet refuses to seal an epoch below it. deleteStreamlets leaves it alone, so the
-- fence survives the deletion of the streamlet rows.

CREATE TABLE streamlet_epochs (
  stream_id     TEXT    NOT NULL PRIMARY KEY,
  latest_epoch  INTEGER NOT NULL
) WITHOUT ROWID;

-- Existing streams: the highest epoch of their remaining streamlets.
INSERT INTO streamlet_epochs(stream_id, latest_epoch)
  SELECT stream_id, MAX(epoch) FROM streamlets GROUP BY stream_id;
