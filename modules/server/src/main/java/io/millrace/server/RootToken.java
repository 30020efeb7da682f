package io.millrace.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;

/**
 * Where the root token comes from (docs/configuration.md, "Authentication"), in this order: the
 * file named by {@code --root-token-file} / {@code millrace.server.auth.root-token-file} / {@code
 * MILLRACE_ROOT_TOKEN_FILE}; else {@code millrace.server.auth.root-token} / {@code
 * MILLRACE_ROOT_TOKEN}; else, for a node with a data dir and SQLite metadata, the file {@code
 * root-token} in the data dir, generated (32 random bytes, mode 0600) on the first start and reused
 * after. A cluster node (Cassandra metadata) must be given the token, so that every node accepts
 * the same one. The token is never logged.
 */
final class RootToken {
  /** The root token's file in the data dir. */
  static final String FILE_NAME = "root-token";

  static final int MIN_CHARS = 16;
  static final int MAX_CHARS = 512;

  private RootToken() {}

  /** A root token and where it came from (for the log; never the token itself). */
  record Resolved(String token, String source) {}

  static Resolved resolve(AuthSettings auth, ServerSettings server) {
    if (auth.rootTokenFile() != null) {
      return new Resolved(read(auth.rootTokenFile()), "the file " + auth.rootTokenFile());
    }
    if (!auth.rootToken().isEmpty()) {
      return new Resolved(
          check(auth.rootToken(), "millrace.server.auth.root-token"), "configuration");
    }
    if (server.metadata() != ServerSettings.MetadataKind.SQLITE) {
      throw new StartupException(
          "A cluster node needs the root token every node accepts: set MILLRACE_ROOT_TOKEN or"
              + " --root-token-file (or turn authentication off with --auth off, for local"
              + " development only).");
    }
    Path file = server.dataDir().resolve(FILE_NAME);
    if (Files.exists(file)) {
      return new Resolved(read(file), "the data dir (" + file.toAbsolutePath() + ")");
    }
    return new Resolved(generate(file), "the data dir (" + file.toAbsolutePath() + ", new)");
  }

  private static String read(Path file) {
    String token;
    try {
      token = Files.readString(file, StandardCharsets.UTF_8).trim();
    } catch (IOException | SecurityException e) {
      throw new StartupException(
          "Cannot read the root token file "
              + file.toAbsolutePath()
              + " ("
              + e.getClass().getSimpleName()
              + ").",
          e);
    }
    return check(token, "the root token file " + file.toAbsolutePath());
  }

  /** Refuses a token that is too short, too long, or not printable ASCII without spaces. */
  static String check(String token, String what) {
    if (token.length() < MIN_CHARS || token.length() > MAX_CHARS) {
      throw new StartupException(
          "The root token in "
              + what
              + " must be "
              + MIN_CHARS
              + " to "
              + MAX_CHARS
              + " characters.");
    }
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c <= 0x20 || c >= 0x7f) {
        throw new StartupException(
            "The root token in " + what + " must be printable ASCII without spaces.");
      }
    }
    return token;
  }

  /** A new token written to {@code file} (mode 0600 where the file system has POSIX modes). */
  private static String generate(Path file) {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    String token = "mrroot." + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
    try {
      Files.deleteIfExists(tmp);
      Set<PosixFilePermission> owner = PosixFilePermissions.fromString("rw-------");
      try {
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(owner));
      } catch (UnsupportedOperationException e) {
        Files.createFile(tmp);
      }
      Files.writeString(tmp, token + "\n", StandardCharsets.UTF_8);
      try (var ch =
          java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file);
      }
    } catch (FileAlreadyExistsException e) {
      return read(file);
    } catch (IOException | SecurityException e) {
      throw new StartupException(
          "Cannot write the root token file "
              + file.toAbsolutePath()
              + " ("
              + e.getClass().getSimpleName()
              + ").",
          e);
    }
    return token;
  }
}
