package io.millrace.objectstore.s3;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A TCP proxy in front of a server that forwards every request but swallows the server's answers on
 * the first connection: the first request lands, its client never hears back and times out, exactly
 * like a response lost in the network.
 */
final class ResponseDroppingProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final int upstreamPort;
  private final AtomicBoolean first = new AtomicBoolean(true);
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();

  ResponseDroppingProxy(int upstreamPort) throws IOException {
    this.upstreamPort = upstreamPort;
    this.listener = new ServerSocket(0);
    Thread acceptor = new Thread(this::acceptLoop, "response-dropping-proxy");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return listener.getLocalPort();
  }

  private void acceptLoop() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        Socket upstream = new Socket();
        upstream.connect(new InetSocketAddress("127.0.0.1", upstreamPort));
        sockets.add(client);
        sockets.add(upstream);
        boolean drop = first.getAndSet(false);
        pump(client.getInputStream(), upstream.getOutputStream());
        pump(
            upstream.getInputStream(),
            drop ? OutputStream.nullOutputStream() : client.getOutputStream());
      } catch (IOException e) {
        return;
      }
    }
  }

  private static void pump(InputStream in, OutputStream out) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[8192];
              try {
                int n;
                while ((n = in.read(buf)) >= 0) {
                  out.write(buf, 0, n);
                  out.flush();
                }
              } catch (IOException ignored) {
                // a side closed
              }
            },
            "proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws IOException {
    listener.close();
    for (Socket s : sockets) {
      s.close();
    }
  }
}
