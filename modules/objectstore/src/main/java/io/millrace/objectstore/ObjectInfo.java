package io.millrace.objectstore;

/** One listed object: its key and size in bytes. */
public record ObjectInfo(String key, long size) {}
