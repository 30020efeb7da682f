package io.millrace.server;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Writes metrics in the Prometheus text exposition format (version 0.0.4): one {@code # HELP} and
 * {@code # TYPE} line per metric family, then one sample line per label set. Names are checked
 * against the Prometheus name rules; label values and help texts are escaped.
 */
public final class PrometheusText {
  /** The content type of the format. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final StringBuilder out = new StringBuilder();
  private final Set<String> families = new LinkedHashSet<>();

  /** Adds a counter (a value that only grows); its name should end in {@code _total}. */
  public PrometheusText counter(String name, String help, double value) {
    return family(name, "counter", help, Map.of(Map.of(), value));
  }

  /** Adds a gauge without labels. */
  public PrometheusText gauge(String name, String help, double value) {
    return family(name, "gauge", help, Map.of(Map.of(), value));
  }

  /** Adds a gauge with one sample per label set (iteration order is kept). */
  public PrometheusText gauge(String name, String help, Map<Map<String, String>, Double> samples) {
    return family(name, "gauge", help, samples);
  }

  /** Adds a counter with one sample per label set (iteration order is kept). */
  public PrometheusText counter(
      String name, String help, Map<Map<String, String>, Double> samples) {
    return family(name, "counter", help, samples);
  }

  /** The text, each line ending in a newline. */
  public String render() {
    return out.toString();
  }

  private PrometheusText family(
      String name, String type, String help, Map<Map<String, String>, Double> samples) {
    if (!name.matches("[a-zA-Z_:][a-zA-Z0-9_:]*")) {
      throw new IllegalArgumentException("Invalid Prometheus metric name: " + name);
    }
    if (!families.add(name)) {
      throw new IllegalArgumentException("Metric " + name + " is written twice.");
    }
    out.append("# HELP ").append(name).append(' ').append(escapeHelp(help)).append('\n');
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    for (Map.Entry<Map<String, String>, Double> sample : samples.entrySet()) {
      out.append(name);
      Map<String, String> labels = new LinkedHashMap<>(sample.getKey());
      if (!labels.isEmpty()) {
        out.append('{');
        boolean first = true;
        for (Map.Entry<String, String> label : labels.entrySet()) {
          if (!label.getKey().matches("[a-zA-Z_][a-zA-Z0-9_]*")) {
            throw new IllegalArgumentException("Invalid Prometheus label name: " + label.getKey());
          }
          out.append(first ? "" : ",")
              .append(label.getKey())
              .append("=\"")
              .append(escapeLabel(label.getValue()))
              .append('"');
          first = false;
        }
        out.append('}');
      }
      out.append(' ').append(number(sample.getValue())).append('\n');
    }
    return this;
  }

  /** A sample value: integers without a fraction, NaN and infinities as Prometheus spells them. */
  static String number(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "+Inf" : "-Inf";
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    return Double.toString(v);
  }

  private static String escapeHelp(String s) {
    return s.replace("\\", "\\\\").replace("\n", "\\n");
  }

  private static String escapeLabel(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
