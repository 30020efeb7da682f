-- Millrace metadata schema, version 6 (docs/metadata.md, "metering").
-- Applied once, in one transaction, by SqliteMetadataStore; never edit after release: add V7__*.sql.
-- Metering series for the metrics API: per (basin, stream, metric, width) partition, one row per
-- bucket, label and writer. Counters are written by each node incarnation as absolute totals of
-- its own (upserts, never read-modify-write); gauges are sampled with node ''. Rows older than 32
-- days are deleted by the metering flush (deleteMeteringBefore).

CREATE TABLE metering (
  basin   TEXT    NOT NULL,
  stream  TEXT    NOT NULL,
  metric  TEXT    NOT NULL,
  width   INTEGER NOT NULL,
  bucket  INTEGER NOT NULL,
  label   TEXT    NOT NULL,
  node    TEXT    NOT NULL,
  value   INTEGER NOT NULL,
  PRIMARY KEY (basin, stream, metric, width, bucket, label, node)
) WITHOUT ROWID;

CREATE INDEX metering_by_bucket ON metering(bucket);
