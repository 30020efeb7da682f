package io.millrace.grpc;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.millrace.core.S2Exception;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

class MessageSizeGuardTest {

  private static byte[] message(int length) {
    byte[] m = new byte[5 + length];
    m[1] = (byte) (length >>> 24);
    m[2] = (byte) (length >>> 16);
    m[3] = (byte) (length >>> 8);
    m[4] = (byte) length;
    return m;
  }

  @Test
  void messagesUpToTheLimitPassEvenWhenSplitAcrossChunksAtAnyByte() {
    byte[] two = concat(message(100), message(100));
    for (int split = 0; split <= two.length; split++) {
      MessageSizeGuard.Scanner scanner = new MessageSizeGuard.Scanner(100);
      int at = split;
      assertThatCode(
              () -> {
                scanner.scan(ByteString.fromArray(two, 0, at));
                scanner.scan(ByteString.fromArray(two, at, two.length - at));
              })
          .doesNotThrowAnyException();
    }
  }

  @Test
  void aPrefixAnnouncingAnOversizedMessageFailsBeforeItsBytesArrive() {
    MessageSizeGuard.Scanner scanner = new MessageSizeGuard.Scanner(100);
    scanner.scan(ByteString.fromArray(message(100)));
    byte[] big = message(101);
    scanner.scan(ByteString.fromArray(big, 0, 3));
    assertThatThrownBy(() -> scanner.scan(ByteString.fromArray(big, 3, 2)))
        .isInstanceOf(S2Exception.class)
        .hasMessageContaining("101 bytes exceeds the limit of 100");
  }

  @Test
  void aLengthAbove2GiBIsReadUnsigned() {
    MessageSizeGuard.Scanner scanner = new MessageSizeGuard.Scanner(100);
    byte[] huge = new byte[] {0, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF};
    assertThatThrownBy(() -> scanner.scan(ByteString.fromArray(huge)))
        .hasMessageContaining("4294967295 bytes");
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
