package io.millrace.engine;

/**
 * Marker of every message sent through Cluster Sharding to a stream entity (and its replies), so a
 * serializer can be bound to it for multi-node clusters.
 */
public interface EngineSerializable {}
