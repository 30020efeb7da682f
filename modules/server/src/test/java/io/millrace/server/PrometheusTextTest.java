package io.millrace.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrometheusTextTest {
  @Test
  void countersAndGaugesAreWrittenWithHelpTypeAndOneSampleLine() {
    String text =
        new PrometheusText()
            .counter("millrace_appends_total", "Appends acknowledged.", 42)
            .gauge("process_uptime_seconds", "Seconds since start.", 12.5)
            .render();

    assertThat(text)
        .isEqualTo(
            "# HELP millrace_appends_total Appends acknowledged.\n"
                + "# TYPE millrace_appends_total counter\n"
                + "millrace_appends_total 42\n"
                + "# HELP process_uptime_seconds Seconds since start.\n"
                + "# TYPE process_uptime_seconds gauge\n"
                + "process_uptime_seconds 12.5\n");
  }

  @Test
  void labelledSamplesKeepTheirOrderAndEscapeLabelValues() {
    Map<Map<String, String>, Double> samples = new LinkedHashMap<>();
    samples.put(Map.of("status", "Up"), 3.0);
    samples.put(Map.of("status", "say \"hi\"\\\n"), 0.0);

    String text = new PrometheusText().gauge("members", "By status.", samples).render();

    assertThat(text.lines())
        .containsExactly(
            "# HELP members By status.",
            "# TYPE members gauge",
            "members{status=\"Up\"} 3",
            "members{status=\"say \\\"hi\\\"\\\\\\n\"} 0");
  }

  @Test
  void helpTextIsEscapedAndSpecialValuesAreSpelledAsPrometheusExpects() {
    String text =
        new PrometheusText()
            .gauge("a", "line one\nline two \\ end", Double.NaN)
            .gauge("b", "b", Double.POSITIVE_INFINITY)
            .gauge("c", "c", -1)
            .render();

    assertThat(text.lines())
        .contains("# HELP a line one\\nline two \\\\ end", "a NaN", "b +Inf", "c -1");
  }

  @Test
  void invalidNamesAndDuplicateFamiliesAreRefused() {
    assertThatThrownBy(() -> new PrometheusText().gauge("1bad", "x", 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1bad");
    assertThatThrownBy(() -> new PrometheusText().gauge("ok", "x", 1).gauge("ok", "x", 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("twice");
    assertThatThrownBy(
            () -> new PrometheusText().gauge("ok", "x", Map.of(Map.of("bad-label", "v"), 1.0)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bad-label");
  }
}
