package io.millrace.core.api;

/** The {@code s2-provision-result} of a create or ensure. */
public enum ProvisionResult {
  CREATED("created"),
  UPDATED("updated"),
  NOOP("noop");

  private final String wire;

  ProvisionResult(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }
}
