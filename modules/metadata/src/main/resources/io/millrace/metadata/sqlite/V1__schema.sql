-- Millrace metadata schema, version 1 (docs/metadata.md).
-- Applied once, in one transaction, by SqliteMetadataStore; never edit after release: add V2__*.sql.
-- Instants are ISO-8601 UTC text (Instant.toString); configs are ConfigCodec JSON, version 1.
-- Text keys use the BINARY collation, which orders by UTF-8 bytes.

CREATE TABLE basins (
  name          TEXT    NOT NULL PRIMARY KEY,
  config        TEXT    NOT NULL,
  created_at    TEXT    NOT NULL,
  deleted_at    TEXT,
  create_token  TEXT,
  version       INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE streams (
  basin         TEXT    NOT NULL,
  name          TEXT    NOT NULL,
  stream_id     TEXT    NOT NULL,
  config        TEXT    NOT NULL,
  created_at    TEXT    NOT NULL,
  deleted_at    TEXT,
  create_token  TEXT,
  cipher        TEXT,
  version       INTEGER NOT NULL,
  PRIMARY KEY (basin, name)
) WITHOUT ROWID;

CREATE TABLE stream_state (
  stream_id            TEXT    NOT NULL PRIMARY KEY,
  flushed_next_seq_num INTEGER NOT NULL,
  tail_seq_num         INTEGER NOT NULL,
  tail_timestamp       INTEGER NOT NULL,
  fencing_token        TEXT,
  trim_point           INTEGER NOT NULL,
  epoch                INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE streamlets (
  stream_id           TEXT    NOT NULL,
  epoch               INTEGER NOT NULL,
  channel_id          TEXT    NOT NULL,
  first_chunk_seq     INTEGER NOT NULL,
  sealed_next_seq_num INTEGER,
  last_chunk_seq      INTEGER,
  PRIMARY KEY (stream_id, epoch)
) WITHOUT ROWID;

CREATE TABLE segments (
  stream_id       TEXT    NOT NULL,
  first_seq_num   INTEGER NOT NULL,
  last_seq_num    INTEGER NOT NULL,
  first_timestamp INTEGER NOT NULL,
  last_timestamp  INTEGER NOT NULL,
  object_key      TEXT    NOT NULL,
  bytes           INTEGER NOT NULL,
  PRIMARY KEY (stream_id, first_seq_num)
) WITHOUT ROWID;

CREATE TABLE channels (
  channel_id     TEXT    NOT NULL PRIMARY KEY,
  node           TEXT,
  storage_class  TEXT,
  started_at     TEXT    NOT NULL,
  seal_chunk_seq INTEGER
) WITHOUT ROWID;
