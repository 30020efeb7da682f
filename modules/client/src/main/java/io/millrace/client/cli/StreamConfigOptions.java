package io.millrace.client.cli;

import io.millrace.client.proto.StorageClass;
import io.millrace.client.proto.StreamConfig;
import io.millrace.client.proto.TimestampingMode;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Option;

/** Stream configuration flags of {@code streams create|config}; unset flags change nothing. */
final class StreamConfigOptions {
  @Option(names = "--storage-class", paramLabel = "standard|express")
  String storageClass;

  @Option(
      names = "--retention-age",
      paramLabel = "SECONDS",
      description = "Retention by age; 0 = infinite (v1alpha's meaning).")
  Long retentionAge;

  @Option(names = "--timestamping-mode", paramLabel = "client-prefer|client-require|arrival")
  String timestampingMode;

  @Option(names = "--timestamping-uncapped", paramLabel = "true|false", arity = "1")
  Boolean timestampingUncapped;

  @Option(
      names = "--delete-on-empty-min-age",
      paramLabel = "SECONDS",
      description = "Delete the stream once empty for this long; 0 = never.")
  Long deleteOnEmptyMinAge;

  /** The flags as a config, and the mask paths ({@code prefix} + field) of the flags set. */
  StreamConfig build(String prefix, List<String> mask) {
    StreamConfig.Builder b = StreamConfig.newBuilder();
    if (storageClass != null) {
      b.setStorageClass(
          parse(
              StorageClass.class,
              "STORAGE_CLASS_" + enumName(storageClass, "storage class"),
              "storage class"));
      mask.add(prefix + "storage_class");
    }
    if (retentionAge != null) {
      b.setAge(retentionAge);
      mask.add(prefix + "retention_policy");
    }
    if (timestampingMode != null || timestampingUncapped != null) {
      StreamConfig.Timestamping.Builder t = StreamConfig.Timestamping.newBuilder();
      if (timestampingMode != null) {
        t.setMode(
            parse(
                TimestampingMode.class,
                "TIMESTAMPING_MODE_" + enumName(timestampingMode, "timestamping mode"),
                "timestamping mode"));
        mask.add(prefix + "timestamping.mode");
      }
      if (timestampingUncapped != null) {
        t.setUncapped(timestampingUncapped);
        mask.add(prefix + "timestamping.uncapped");
      }
      b.setTimestamping(t);
    }
    if (deleteOnEmptyMinAge != null) {
      b.setDeleteOnEmpty(
          StreamConfig.DeleteOnEmpty.newBuilder().setMinAgeSecs(deleteOnEmptyMinAge));
      mask.add(prefix + "delete_on_empty");
    }
    return b.build();
  }

  private static String enumName(String value, String what) {
    String n = value.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    if (n.isEmpty() || n.equals("UNSPECIFIED")) {
      throw new IllegalArgumentException("unknown " + what + ": " + value);
    }
    return n;
  }

  /** valueOf that names the flag in its error. */
  static <E extends Enum<E>> E parse(Class<E> type, String name, String what) {
    try {
      return Enum.valueOf(type, name);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown " + what + ": " + name);
    }
  }
}
