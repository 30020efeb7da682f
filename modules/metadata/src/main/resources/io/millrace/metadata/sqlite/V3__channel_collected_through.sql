-- Millrace metadata schema, version 3 (docs/metadata.md, "channels": WAL chunk GC).
-- Applied once, in one transaction, by SqliteMetadataStore; never edit after release: add V4__*.sql.
-- The chunk GC's per-channel watermark: every chunk of the channel at or below it may have been
-- deleted (its stream sections were all flushed into segments, trimmed, expired or deleted). It is
-- written before the chunks are deleted and only ever raised. Recovery reads and seals a channel's
-- WAL only above it, so a collected prefix is never mistaken for a lost chunk. Null: nothing
-- collected yet.

ALTER TABLE channels ADD COLUMN collected_through INTEGER;
