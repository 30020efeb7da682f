package io.millrace.metadata;

import io.millrace.core.config.BasinConfig;
import java.time.Instant;

/**
 * Row of {@code basins}. {@code deletedAt} set while deletion is pending; {@code createToken} is
 * the {@code s2-request-token} of the create (null if none); {@code version} increases by one on
 * every update and guards conditional writes; {@code location} is the location the basin was
 * created in (null for basins created before locations were recorded), fixed for life.
 */
public record BasinRecord(
    String name,
    BasinConfig config,
    Instant createdAt,
    Instant deletedAt,
    String createToken,
    long version,
    String location) {}
