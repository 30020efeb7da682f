package io.millrace.it.nemesis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A one-way TCP link between two cluster members on loopback: listens on {@code listen} and
 * forwards every connection to {@code target}, byte for byte, in both directions. The nemesis can
 * {@linkplain #blackhole() black-hole} the link (bytes already in flight and all later bytes are
 * silently discarded, new connections are accepted and then starve, as on a partitioned network),
 * {@linkplain #delay(long) delay} it (each chunk waits before it is forwarded), and {@linkplain
 * #heal() heal} it.
 *
 * <p>Black-holing rather than closing connections matters: a closed socket tells the peer at once,
 * a partition tells it nothing and leaves detection to the failure detector.
 */
final class LinkProxy implements AutoCloseable {
  private final String name;
  private final ServerSocket server;
  private final InetSocketAddress target;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private volatile boolean blackholed;
  private volatile long delayMillis;
  private volatile boolean closed;

  LinkProxy(String name, InetAddress listenHost, int listenPort, InetSocketAddress target)
      throws IOException {
    this.name = name;
    this.target = target;
    this.server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(listenHost, listenPort), 50);
    Thread acceptor = new Thread(this::acceptLoop, "proxy-" + name);
    acceptor.setDaemon(true);
    acceptor.start();
  }

  String name() {
    return name;
  }

  /** Drops every byte on the link from now on until {@link #heal()}. */
  void blackhole() {
    blackholed = true;
  }

  /** Delays every chunk on the link by {@code millis} until {@link #heal()}. */
  void delay(long millis) {
    delayMillis = millis;
  }

  /**
   * Passes bytes again. Connections that lost bytes while black-holed are closed, so both ends see
   * a broken connection and reconnect instead of reading a corrupted stream.
   */
  void heal() {
    boolean wasBlackholed = blackholed;
    delayMillis = 0;
    blackholed = false;
    if (wasBlackholed) {
      for (Socket socket : sockets) {
        closeQuietly(socket);
      }
    }
  }

  private void acceptLoop() {
    while (!closed) {
      Socket inbound;
      try {
        inbound = server.accept();
      } catch (IOException e) {
        if (closed) {
          return;
        }
        continue;
      }
      sockets.add(inbound);
      Thread connector = new Thread(() -> connect(inbound), "proxy-" + name + "-connect");
      connector.setDaemon(true);
      connector.start();
    }
  }

  private void connect(Socket inbound) {
    Socket outbound = new Socket();
    try {
      outbound.connect(target, 2000);
      outbound.setTcpNoDelay(true);
      inbound.setTcpNoDelay(true);
    } catch (IOException e) {
      closeQuietly(inbound);
      closeQuietly(outbound);
      sockets.remove(inbound);
      return;
    }
    sockets.add(outbound);
    pump(inbound, outbound, "up");
    pump(outbound, inbound, "down");
  }

  private void pump(Socket from, Socket to, String direction) {
    Thread thread =
        new Thread(
            () -> {
              byte[] buffer = new byte[16 * 1024];
              try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                while (true) {
                  int n = in.read(buffer);
                  if (n < 0) {
                    break;
                  }
                  long delay = delayMillis;
                  if (delay > 0) {
                    Thread.sleep(delay);
                  }
                  if (blackholed) {
                    continue;
                  }
                  out.write(buffer, 0, n);
                  out.flush();
                }
              } catch (SocketException e) {
                // closed by the other pump, by heal() or by close()
              } catch (IOException e) {
                // the peer went away
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              } finally {
                closeQuietly(from);
                closeQuietly(to);
                sockets.remove(from);
                sockets.remove(to);
              }
            },
            "proxy-" + name + "-" + direction);
    thread.setDaemon(true);
    thread.start();
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // already closed
    }
    for (Socket socket : sockets) {
      closeQuietly(socket);
    }
  }
}
