package io.millrace.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class NamesTest {
  @Test
  void basinNamesFollowTheDnsLabelRules() {
    assertThat(Names.basinNameProblem("my-basin")).isNull();
    assertThat(Names.basinNameProblem("12345678")).isNull();
    assertThat(Names.basinNameProblem("a".repeat(48))).isNull();
    assertThat(Names.basinNameProblem("short")).contains("between 8 and 48");
    assertThat(Names.basinNameProblem("a".repeat(49))).contains("between 8 and 48");
    assertThat(Names.basinNameProblem("My-Basin")).contains("lowercase");
    assertThat(Names.basinNameProblem("my_basin")).contains("lowercase");
    assertThat(Names.basinNameProblem("-mybasin")).contains("begin and end");
    assertThat(Names.basinNameProblem("mybasin-")).contains("begin and end");
  }

  @Test
  void basinFiltersMayBeEmptyButMustStartWithALetterOrDigit() {
    assertThat(Names.basinFilterProblem("", "prefix")).isNull();
    assertThat(Names.basinFilterProblem("ab-", "prefix")).isNull();
    assertThat(Names.basinFilterProblem("-ab", "prefix")).contains("begin");
    assertThat(Names.basinFilterProblem("AB", "start_after")).startsWith("start_after");
  }

  @Test
  void streamNamesAreAnyUtf8ButDotAndDotDot() {
    assertThat(Names.streamNameProblem("orders/2026/eu")).isNull();
    assertThat(Names.streamNameProblem("ünïcødé ✓")).isNull();
    assertThat(Names.streamNameProblem("x".repeat(512))).isNull();
    assertThat(Names.streamNameProblem("x".repeat(513))).contains("512");
    assertThat(Names.streamNameProblem("é".repeat(257))).contains("512");
    assertThat(Names.streamNameProblem("")).contains("empty");
    assertThat(Names.streamNameProblem(".")).isNotNull();
    assertThat(Names.streamNameProblem("..")).isNotNull();
    assertThat(Names.streamNameProblem("...")).isNull();
  }

  @Test
  void streamNamesAndFiltersMustSurviveUtf8Unchanged() {
    assertThat(Names.streamNameProblem("emoji \uD83D\uDE00")).isNull();
    assertThat(Names.streamNameProblem("a\uD800")).contains("lone surrogate");
    assertThat(Names.streamNameProblem("\uDC00b")).contains("lone surrogate");
    assertThat(Names.streamNameProblem("\uDE00\uD83D")).contains("lone surrogate");
    assertThat(Names.streamNameProblem("\uFFFD")).contains("U+FFFD");
    assertThat(Names.streamFilterProblem("a\uD800", "prefix")).startsWith("prefix");
    assertThat(Names.streamFilterProblem("x\uFFFD", "start_after")).startsWith("start_after");
    assertThat(Names.streamFilterProblem(null, "prefix")).isNull();
  }
}
