package io.millrace.client.cli;

import io.millrace.client.MillraceClient;
import io.millrace.client.proto.AccessTokenInfo;
import io.millrace.client.proto.AccessTokenScope;
import io.millrace.client.proto.Operation;
import io.millrace.client.proto.PermittedOperationGroups;
import io.millrace.client.proto.ReadWritePermissions;
import io.millrace.client.proto.ResourceSet;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code millrace tokens issue|list|revoke}: access tokens over IssueAccessToken and friends. */
@Command(
    name = "tokens",
    mixinStandardHelpOptions = true,
    description = "Issue, list and revoke access tokens (over the gRPC API).",
    subcommands = {
      TokensCommand.Issue.class,
      TokensCommand.ListTokens.class,
      TokensCommand.Revoke.class
    })
public final class TokensCommand implements Runnable {
  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code exact:NAME} or {@code prefix:P} ({@code prefix:} matches everything). */
  static ResourceSet resourceSet(String text) {
    if (text.startsWith("exact:")) {
      return ResourceSet.newBuilder().setExact(text.substring("exact:".length())).build();
    }
    if (text.startsWith("prefix:")) {
      return ResourceSet.newBuilder().setPrefix(text.substring("prefix:".length())).build();
    }
    throw new IllegalArgumentException(
        "a resource set is exact:NAME or prefix:PREFIX (prefix: for all), not " + text);
  }

  static String resourceSet(ResourceSet set) {
    return switch (set.getMatchingCase()) {
      case EXACT -> "exact:" + set.getExact();
      case PREFIX -> "prefix:" + set.getPrefix();
      default -> "none";
    };
  }

  /** {@code append}, {@code check-tail}, ...: an {@link Operation} without its prefix. */
  static Operation operation(String name) {
    String constant = "OPERATION_" + name.trim().toUpperCase(Locale.ROOT).replace('-', '_');
    try {
      Operation op = Operation.valueOf(constant);
      if (op != Operation.OPERATION_UNSPECIFIED) {
        return op;
      }
    } catch (IllegalArgumentException unknown) {
      // below
    }
    throw new IllegalArgumentException("not an operation: " + name);
  }

  static String operation(Operation op) {
    return op.name().substring("OPERATION_".length()).toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** {@code r}, {@code w} or {@code rw}. */
  static ReadWritePermissions permissions(String text) {
    if (!text.matches("r?w?") || text.isEmpty()) {
      throw new IllegalArgumentException("permissions are r, w or rw, not " + text);
    }
    return ReadWritePermissions.newBuilder()
        .setRead(text.contains("r"))
        .setWrite(text.contains("w"))
        .build();
  }

  static String permissions(ReadWritePermissions p) {
    return (p.getRead() ? "r" : "") + (p.getWrite() ? "w" : "");
  }

  /** {@code account=r,basin=rw,stream=rw}. */
  static PermittedOperationGroups groups(List<String> items) {
    PermittedOperationGroups.Builder b = PermittedOperationGroups.newBuilder();
    for (String item : items) {
      String[] kv = item.split("=", 2);
      if (kv.length != 2) {
        throw new IllegalArgumentException("an operation group is GROUP=r|w|rw, not " + item);
      }
      ReadWritePermissions p = permissions(kv[1].trim());
      switch (kv[0].trim()) {
        case "account" -> b.setAccount(p);
        case "basin" -> b.setBasin(p);
        case "stream" -> b.setStream(p);
        default ->
            throw new IllegalArgumentException(
                "operation groups are account, basin and stream, not " + kv[0]);
      }
    }
    return b.build();
  }

  /** One line of {@code tokens list}: id, expiry, scope. */
  static String describe(AccessTokenInfo t) {
    AccessTokenScope s = t.getScope();
    StringBuilder line = new StringBuilder(t.getId());
    line.append('\t').append(t.hasExpiresAt() ? Integer.toUnsignedString(t.getExpiresAt()) : "-");
    line.append("\tbasins=").append(resourceSet(s.getBasins()));
    line.append(" streams=").append(resourceSet(s.getStreams()));
    line.append(" access-tokens=").append(resourceSet(s.getAccessTokens()));
    if (s.hasOpGroups()) {
      PermittedOperationGroups g = s.getOpGroups();
      line.append(" op-groups=account=")
          .append(permissions(g.getAccount()))
          .append(",basin=")
          .append(permissions(g.getBasin()))
          .append(",stream=")
          .append(permissions(g.getStream()));
    }
    if (s.getOpsCount() > 0) {
      line.append(" ops=")
          .append(String.join(",", s.getOpsList().stream().map(TokensCommand::operation).toList()));
    }
    if (t.getAutoPrefixStreams()) {
      line.append(" auto-prefix-streams");
    }
    return line.toString();
  }

  @Command(
      name = "issue",
      mixinStandardHelpOptions = true,
      description =
          "Issue an access token and print its secret (shown only this once). Not retried: after"
              + " a lost answer, revoke the id and issue again.")
  static final class Issue extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "The token's id (1 to 96 bytes).")
    String id;

    @Option(
        names = "--basins",
        paramLabel = "exact:NAME|prefix:P",
        description = "Basins it may act on (default: none).")
    String basins;

    @Option(
        names = "--streams",
        paramLabel = "exact:NAME|prefix:P",
        description = "Streams it may act on (default: none).")
    String streams;

    @Option(
        names = "--access-tokens",
        paramLabel = "exact:ID|prefix:P",
        description = "Access tokens it may manage (default: none).")
    String accessTokens;

    @Option(
        names = "--ops",
        split = ",",
        paramLabel = "OP[,OP...]",
        description = "Operations it may perform: read, append, check-tail, list-streams, ...")
    List<String> ops = List.of();

    @Option(
        names = "--op-groups",
        split = ",",
        paramLabel = "GROUP=r|w|rw[,...]",
        description = "Operation groups it may perform: account, basin, stream.")
    List<String> opGroups = List.of();

    @Option(
        names = "--expires-at",
        paramLabel = "EPOCH_SECONDS",
        description = "When it stops working (default: never).")
    Long expiresAt;

    @Option(
        names = "--auto-prefix-streams",
        description = "Stream names it uses are prefixed with its streams prefix.")
    boolean autoPrefixStreams;

    @Override
    int run() {
      AccessTokenScope.Builder scope = AccessTokenScope.newBuilder();
      if (basins != null) {
        scope.setBasins(resourceSet(basins));
      }
      if (streams != null) {
        scope.setStreams(resourceSet(streams));
      }
      if (accessTokens != null) {
        scope.setAccessTokens(resourceSet(accessTokens));
      }
      for (String op : ops) {
        scope.addOps(operation(op));
      }
      if (!opGroups.isEmpty()) {
        scope.setOpGroups(groups(opGroups));
      }
      AccessTokenInfo.Builder info =
          AccessTokenInfo.newBuilder()
              .setId(id)
              .setScope(scope)
              .setAutoPrefixStreams(autoPrefixStreams);
      if (expiresAt != null) {
        if (expiresAt < 0 || expiresAt > 0xFFFF_FFFFL) {
          throw new IllegalArgumentException("--expires-at out of range: " + expiresAt);
        }
        info.setExpiresAt((int) (long) expiresAt);
      }
      try (MillraceClient client = options.connect(null)) {
        out().println(await(client.issueAccessToken(info.build())));
      }
      return 0;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List access tokens: id, expiry (epoch seconds or -), scope.")
  static final class ListTokens extends ClientCommand {
    @Option(names = "--prefix", description = "Only tokens whose ids start with this.")
    String prefix = "";

    @Override
    int run() {
      try (MillraceClient client = options.connect(null)) {
        for (AccessTokenInfo t : await(client.listAllAccessTokens(prefix))) {
          out().println(describe(t));
        }
      }
      return 0;
    }
  }

  @Command(
      name = "revoke",
      mixinStandardHelpOptions = true,
      description = "Revoke an access token.")
  static final class Revoke extends ClientCommand {
    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Override
    int run() {
      try (MillraceClient client = options.connect(null)) {
        await(client.revokeAccessToken(id));
        out().println("revoked " + id);
      }
      return 0;
    }
  }
}
