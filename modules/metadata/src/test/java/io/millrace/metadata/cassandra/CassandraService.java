package io.millrace.metadata.cassandra;

import io.millrace.testsupport.ServiceProcess;

/** One Cassandra 5.0.9 per test JVM, started on first use by deploy/services/services.sh. */
final class CassandraService {
  private static ServiceProcess process;

  private CassandraService() {}

  /** Settings for the shared node (keyspace {@code millrace}). */
  static synchronized CassandraSettings settings() {
    if (process == null) {
      process = ServiceProcess.start("cassandra");
    }
    return CassandraSettings.local(process.port());
  }
}
