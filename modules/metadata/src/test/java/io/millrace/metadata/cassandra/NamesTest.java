package io.millrace.metadata.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import io.millrace.core.KeyOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class NamesTest {

  @Test
  void theSuccessorOfAPrefixIsTheFirstNameAfterEveryNameStartingWithIt() {
    assertThat(Names.successor("ab")).isEqualTo("ac");
    assertThat(Names.successor("a/")).isEqualTo("a0");
    assertThat(Names.successor("")).isNull();
    assertThat(Names.successor("a\uD7FF")).isEqualTo("a\uE000");
    assertThat(Names.successor("a" + new String(Character.toChars(0x10FFFF)))).isEqualTo("b");
    assertThat(Names.successor("\uFFFF")).isEqualTo(new String(Character.toChars(0x10000)));
  }

  @Test
  void everyNameBetweenAPrefixAndItsSuccessorStartsWithThePrefix() {
    String prefix = "s\u00e9/";
    String successor = Names.successor(prefix);
    for (String name :
        List.of(
            "s\u00e9/", "s\u00e9/a", "s\u00e9/\uFFFF", "s\u00e9/" + "\uD83D\uDE00", "s\u00e90")) {
      boolean inRange =
          KeyOrder.compare(name, prefix) >= 0 && KeyOrder.compare(name, successor) < 0;
      assertThat(inRange).as(name).isEqualTo(name.startsWith(prefix));
    }
  }

  @Test
  void namesCompareLikeTheirUtf8Bytes() {
    List<String> names = List.of("a", "a-b", "a.c", "a/b", "a0", "\uFFFF", "\uD83D\uDE00");
    for (String a : names) {
      for (String b : names) {
        assertThat(Integer.signum(KeyOrder.compare(a, b)))
            .as(a + " vs " + b)
            .isEqualTo(
                Integer.signum(
                    Arrays.compareUnsigned(
                        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8))));
      }
    }
  }
}
