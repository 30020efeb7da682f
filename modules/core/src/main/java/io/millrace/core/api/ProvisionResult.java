package io.millrace.core.api;

import io.millrace.core.WireNames;

/** The {@code s2-provision-result} of a create or ensure. */
public enum ProvisionResult {
  CREATED,
  UPDATED,
  NOOP;

  private final String wire = WireNames.of(this);

  /** {@code created}, {@code updated} or {@code noop}. */
  public String wire() {
    return wire;
  }
}
