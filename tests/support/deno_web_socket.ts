/**
 * Deno WebSocket servers and sockets for the stream tests.
 *
 * @module
 */

/** Waits until `socket` is closed. */
export function closedSocket(socket: WebSocket): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) =>
    socket.addEventListener("close", () => resolve(), { once: true })
  );
}

/** A Deno WebSocket server whose sockets are handed to the test. */
export function upgradeServer(): {
  server: Deno.HttpServer<Deno.NetAddr>;
  next: () => Promise<WebSocket>;
} {
  const sockets: PromiseWithResolvers<WebSocket>[] = [
    Promise.withResolvers(),
  ];
  let accepted = 0;
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen() {},
  }, (request) => {
    const { socket, response } = Deno.upgradeWebSocket(request, {
      protocol: "mqtt",
    });
    const waiter = sockets[accepted++];
    sockets.push(Promise.withResolvers());
    socket.addEventListener("open", () => waiter.resolve(socket));
    return response;
  });
  let taken = 0;
  return { server, next: () => sockets[taken++].promise };
}
