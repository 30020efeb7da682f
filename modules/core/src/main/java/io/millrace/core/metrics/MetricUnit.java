package io.millrace.core.metrics;

/** The unit of a metric (spec section 4.4). */
public enum MetricUnit {
  BYTES("bytes"),
  OPERATIONS("operations");

  private final String wireName;

  MetricUnit(String wireName) {
    this.wireName = wireName;
  }

  public String wireName() {
    return wireName;
  }
}
