/**
 * A WebSocket as a pair of byte streams, so that `PacketReader` and
 * `PacketWriter` work over it exactly as over a TCP connection. MQTT over
 * WebSocket (section 6) sends packets in binary messages; a message may hold
 * several packets or part of one [MQTT-6.0.0-2], which `PacketReader`'s
 * framing takes care of.
 *
 * @module
 */

/** The two sides of a wrapped WebSocket. */
export interface WebSocketStreams {
  /** One chunk per binary message received; ends when the socket closes. */
  readable: ReadableStream<Uint8Array>;
  /** Each chunk is sent as one binary message; closing it closes the socket. */
  writable: WritableStream<Uint8Array>;
}

/**
 * Wraps a WebSocket (open or still connecting) as a readable and a writable
 * byte stream. A text message breaks [MQTT-6.0.0-1]: the socket is closed
 * and the readable side errors.
 */
export function webSocketStreams(socket: WebSocket): WebSocketStreams {
  socket.binaryType = "arraybuffer";
  const opened = new Promise<void>((resolve, reject) => {
    if (socket.readyState === WebSocket.OPEN) return resolve();
    socket.addEventListener("open", () => resolve(), { once: true });
    socket.addEventListener(
      "close",
      () => reject(new Error("WebSocket closed before it opened")),
      { once: true },
    );
  });
  // Nobody may be writing when the socket fails to open: do not let that
  // rejection go unhandled.
  opened.catch(() => {});

  let readableDone = false;
  const readable = new ReadableStream<Uint8Array>({
    start(controller) {
      socket.addEventListener("message", (event: MessageEvent) => {
        if (readableDone) return;
        if (!(event.data instanceof ArrayBuffer)) {
          readableDone = true;
          controller.error(
            new Error(
              "text WebSocket message: MQTT needs binary [MQTT-6.0.0-1]",
            ),
          );
          socket.close(1003, "MQTT needs binary messages");
          return;
        }
        controller.enqueue(new Uint8Array(event.data));
      });
      socket.addEventListener("close", () => {
        if (readableDone) return;
        readableDone = true;
        controller.close();
      });
    },
    cancel() {
      readableDone = true;
      closeSocket(socket);
    },
  });

  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      await opened;
      if (socket.readyState !== WebSocket.OPEN) {
        throw new Error("WebSocket is closed");
      }
      socket.send(chunk);
    },
    close() {
      closeSocket(socket);
    },
    abort() {
      closeSocket(socket);
    },
  });
  return { readable, writable };
}

function closeSocket(socket: WebSocket): void {
  if (
    socket.readyState === WebSocket.CONNECTING ||
    socket.readyState === WebSocket.OPEN
  ) {
    socket.close(1000);
  }
}
