/**
 * A WebSocket end written by hand (RFC 6455) over a `node:net` socket, for
 * tests that need a peer to misbehave as real peers do: close the TCP
 * connection without a close frame (as mosquitto does), reset it (RST),
 * send a text message, refuse the subprotocol, never read, or start the
 * closing handshake and wait for the answer. It also records the close
 * code it was sent.
 *
 * @module
 */

import net from "node:net";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { once } from "node:events";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

function acceptKey(key: string): string {
  return createHash("sha1").update(key + GUID).digest("base64");
}

/** One end of a WebSocket connection, frames made and read by hand. */
export class RawWebSocket {
  readonly socket: net.Socket;
  /** The path of the handshake request (`/` unless asked for another). */
  readonly path: string;
  /** The binary messages received, in order (while `keepMessages`). */
  readonly messages: Uint8Array[] = [];
  /** Whether to keep each message; else only count them (a flood). */
  keepMessages = true;
  /** How many binary messages were received, and the last one. */
  messageCount = 0;
  lastMessage: Uint8Array | undefined;
  /** The text messages received. */
  readonly texts: string[] = [];
  /** The close code and reason the other end sent, once it did. */
  closeCode: number | undefined;
  closeReason = "";
  readonly #masks: boolean;
  #pending = Buffer.alloc(0);
  #closeSent = false;
  readonly #closed: Promise<void>;
  readonly #closeReceived = Promise.withResolvers<void>();

  constructor(socket: net.Socket, client: boolean, rest: Buffer, path = "/") {
    this.socket = socket;
    this.path = path;
    this.#masks = client;
    this.#closed = new Promise((resolve) => socket.once("close", resolve));
    socket.on("error", () => {}); // a reset is part of the tests
    socket.on("data", (data: Buffer) => this.#receive(data));
    socket.on("end", () => this.#closeReceived.resolve());
    socket.on("close", () => this.#closeReceived.resolve());
    if (rest.length > 0) this.#receive(rest);
  }

  /** Sends one binary message. */
  send(bytes: Uint8Array): Promise<void> {
    return this.#write(0x2, bytes);
  }

  /** Sends one text message. */
  sendText(text: string): Promise<void> {
    return this.#write(0x1, new TextEncoder().encode(text));
  }

  /** Sends a close frame (without closing the TCP connection). */
  sendClose(code = 1000, reason = ""): Promise<void> {
    this.#closeSent = true;
    const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
    payload.writeUInt16BE(code, 0);
    payload.write(reason, 2);
    return this.#write(0x8, payload);
  }

  /** Everything received in binary messages until the connection ends. */
  async received(): Promise<Uint8Array> {
    await this.#closeReceived.promise;
    return Buffer.concat(this.messages);
  }

  /** Resolves when the other end sent its close frame (or the TCP connection ended). */
  closeReceived(): Promise<void> {
    return this.#closeReceived.promise;
  }

  /** Resolves when the TCP connection is closed. */
  closed(): Promise<void> {
    return this.#closed;
  }

  /** The closing handshake, then the TCP connection closed. */
  async close(code = 1000, reason = ""): Promise<void> {
    if (!this.#closeSent && !this.socket.destroyed) {
      await this.sendClose(code, reason);
    }
    await this.#closeReceived.promise;
    this.socket.end();
    await this.#closed;
  }

  /** Closes the TCP connection without a close frame. */
  drop(): void {
    this.socket.destroy();
  }

  /** Resets the TCP connection (RST). */
  reset(): void {
    this.socket.resetAndDestroy();
  }

  /** Stops reading: the other end's writes fill the TCP buffers. */
  stopReading(): void {
    this.socket.pause();
  }

  /** Reads again after {@linkcode RawWebSocket.stopReading}. */
  resumeReading(): void {
    this.socket.resume();
  }

  async #write(opcode: number, payload: Uint8Array): Promise<void> {
    const length = payload.length;
    const header: number[] = [0x80 | opcode];
    const maskBit = this.#masks ? 0x80 : 0;
    if (length < 126) header.push(maskBit | length);
    else if (length < 65_536) {
      header.push(maskBit | 126, length >> 8, length & 0xff);
    } else {
      header.push(maskBit | 127, 0, 0, 0, 0);
      header.push(
        (length >>> 24) & 0xff,
        (length >>> 16) & 0xff,
        (length >>> 8) & 0xff,
        length & 0xff,
      );
    }
    let body = Buffer.from(payload);
    if (this.#masks) {
      const mask = [0x12, 0x34, 0x56, 0x78];
      header.push(...mask);
      body = Buffer.from(body.map((byte, i) => byte ^ mask[i % 4]));
    }
    if (this.socket.destroyed) return;
    if (!this.socket.write(Buffer.concat([Buffer.from(header), body]))) {
      await once(this.socket, "drain");
    }
  }

  #receive(data: Buffer): void {
    this.#pending = Buffer.concat([this.#pending, data]);
    while (true) {
      const frame = this.#pending;
      if (frame.length < 2) return;
      let length = frame[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (frame.length < 4) return;
        length = frame.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (frame.length < 10) return;
        length = Number(frame.readBigUInt64BE(2));
        offset = 10;
      }
      const masked = (frame[1] & 0x80) !== 0;
      const mask = masked ? frame.subarray(offset, offset + 4) : undefined;
      if (masked) offset += 4;
      if (frame.length < offset + length) return;
      const payload = Buffer.from(frame.subarray(offset, offset + length));
      if (mask) { for (let i = 0; i < length; i++) payload[i] ^= mask[i % 4]; }
      this.#pending = frame.subarray(offset + length);
      this.#frame(frame[0] & 0x0f, payload);
    }
  }

  #frame(opcode: number, payload: Buffer): void {
    switch (opcode) {
      case 0x1:
        this.texts.push(payload.toString("utf8"));
        break;
      case 0x2:
        this.messageCount++;
        this.lastMessage = new Uint8Array(payload);
        if (this.keepMessages) this.messages.push(this.lastMessage);
        break;
      case 0x8:
        this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
        this.closeReason = payload.subarray(2).toString("utf8");
        if (!this.#closeSent) {
          // Answer as RFC 6455 asks; a server then closes the TCP connection.
          void this.sendClose(this.closeCode === 1005 ? 1000 : this.closeCode)
            .then(() => {
              if (!this.#masks) this.socket.end();
            });
        }
        this.#closeReceived.resolve();
        break;
      case 0x9:
        void this.#write(0xa, payload);
        break;
    }
  }
}

/** Reads an HTTP head; returns it and the bytes after it. */
async function readHead(socket: net.Socket): Promise<[string, Buffer]> {
  let buffer = Buffer.alloc(0);
  while (true) {
    const end = buffer.indexOf("\r\n\r\n");
    if (end !== -1) {
      return [
        buffer.subarray(0, end).toString("latin1"),
        buffer.subarray(end + 4),
      ];
    }
    const [chunk] = await once(socket, "data") as [Buffer];
    buffer = Buffer.concat([buffer, chunk]);
  }
}

/** A WebSocket server of one connection at a time, accepting with `protocol` (or none). */
export interface RawWebSocketServer {
  url: string;
  port: number;
  /** The next connection, once its handshake is done. */
  accept(): Promise<RawWebSocket>;
  close(): Promise<void>;
}

/** Starts a raw WebSocket server on 127.0.0.1, on a free port. */
export async function rawWebSocketServer(
  protocol: string | null = "mqtt",
): Promise<RawWebSocketServer> {
  const waiting: PromiseWithResolvers<RawWebSocket>[] = [];
  const ready: RawWebSocket[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer(async (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.pause();
    socket.on("error", () => {});
    const reading = readHead(socket);
    socket.resume();
    const [head, rest] = await reading;
    socket.pause();
    const key = /sec-websocket-key: *(.+)/i.exec(head)?.[1].trim() ?? "";
    socket.write(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n` +
        (protocol === null ? "" : `Sec-WebSocket-Protocol: ${protocol}\r\n`) +
        "\r\n",
    );
    const path = /^GET (\S+)/.exec(head)?.[1] ?? "/";
    const end = new RawWebSocket(socket, false, rest, path);
    socket.resume();
    const waiter = waiting.shift();
    if (waiter) waiter.resolve(end);
    else ready.push(end);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    accept() {
      const end = ready.shift();
      if (end) return Promise.resolve(end);
      const waiter = Promise.withResolvers<RawWebSocket>();
      waiting.push(waiter);
      return waiter.promise;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, "close");
    },
  };
}

/**
 * Connects a raw WebSocket client to 127.0.0.1:`port`, asking for
 * `protocol`, at `path`.
 */
export async function rawWebSocketClient(
  port: number,
  protocol = "mqtt",
  path = "/",
): Promise<RawWebSocket> {
  const socket = net.connect({ host: "127.0.0.1", port });
  socket.on("error", () => {});
  await once(socket, "connect");
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
      `Sec-WebSocket-Protocol: ${protocol}\r\n\r\n`,
  );
  const [head, rest] = await readHead(socket);
  if (!head.startsWith("HTTP/1.1 101")) {
    socket.destroy();
    throw new Error(`the WebSocket handshake failed: ${head.split("\r\n")[0]}`);
  }
  return new RawWebSocket(socket, true, rest, path);
}
