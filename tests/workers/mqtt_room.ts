/**
 * A Durable Object that is a small MQTT broker for every client of one
 * room, on hibernatable WebSockets: `state.acceptWebSocket(ws, ["mqtt"])`,
 * and each message handed to `webSocketMessage(ws, data)`, which pushes it
 * into the socket's PacketParser (tests/support/callback_server.mjs serves
 * the packets). Run in workerd by tests/callback_sockets_test.ts.
 *
 * Hibernation drops the object, with every parser and the connections'
 * state, while the sockets stay open; the next message makes a new object.
 * So what a connection needs to go on lives with its socket, in its
 * attachment (`serializeAttachment`, at most 2 KiB): the protocol version
 * read from the CONNECT (a new parser must decode 3.1.1 as 3.1.1), the
 * subscriptions, the next packet identifier. The bytes of a packet split
 * over WebSocket messages (section 6 allows it [MQTT-6.0.0-2]) wait in the
 * parser; when a message leaves some, they are kept in the object's
 * storage (they can be larger than an attachment) and pushed into the new
 * parser after a hibernation. Split packets are common: our client sends
 * each packet in one message, but MQTT.js's Node build sends a packet's
 * parts (fixed header, topic, payload) in messages of their own.
 *
 * Routes of the Worker: `GET /room` (WebSocket, subprotocol `mqtt`) to the
 * room; `GET /room/ended`: how each connection ended, as JSON;
 * `GET /room/objects`: how many room objects were made (a fetch makes
 * one after a hibernation too, so read it only after the message);
 * `GET /room/splits`: how many messages ended inside a packet;
 * `POST /evict`: every Durable Object evicted with its WebSockets
 * hibernated (`workerd:unsafe`, under the `unsafe_module` flag: tests only).
 *
 * @module
 */

import * as lib from "../../mod.ts";
import { endedRecord, MqttConnection } from "../support/callback_server.mjs";

// The Workers API this module uses, declared for Deno's type-check.
interface HibernatableWebSocket extends WebSocket {
  serializeAttachment(value: unknown): void;
  deserializeAttachment(): unknown;
}
interface DurableObjectState {
  acceptWebSocket(socket: WebSocket, tags?: string[]): void;
  getWebSockets(tag?: string): HibernatableWebSocket[];
  storage: {
    get<T>(key: string): Promise<T | undefined>;
    put(key: string, value: unknown): Promise<void>;
    delete(key: string): Promise<boolean>;
  };
}
interface DurableObjectNamespace {
  idFromName(name: string): unknown;
  get(id: unknown): { fetch(request: Request): Promise<Response> };
}
declare const WebSocketPair: {
  new (): { 0: WebSocket; 1: HibernatableWebSocket };
};

/** What a socket's attachment holds. */
interface Attachment {
  id: string;
  saved: Partial<ReturnType<MqttConnection["saved"]>>;
  /** Whether bytes of a split packet wait in the storage. */
  partial: boolean;
  /** Whether the connection's end was recorded. */
  ended: boolean;
}

/** A socket's connection while the object lives. */
interface Entry {
  connection: MqttConnection;
  attachment: Attachment;
  /** The messages since the parser last held nothing. */
  chunks: Uint8Array[];
  /** The attachment as last written, to write it only when it changed. */
  written: string;
}

/**
 * How many room objects this isolate made: a hibernation drops the object,
 * not the isolate, so the next message makes one more.
 */
let objects = 0;
/** How many messages left bytes of a split packet in their parser. */
let splits = 0;

export class MqttRoom {
  readonly #state: DurableObjectState;
  readonly #entries = new Map<WebSocket, Entry>();

  constructor(state: DurableObjectState) {
    this.#state = state;
    objects++;
  }

  async fetch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === "/room/ended") {
      return Response.json(await this.#state.storage.get("ended") ?? []);
    }
    if (pathname === "/room/objects") return Response.json(objects);
    if (pathname === "/room/splits") return Response.json(splits);
    const offered = (request.headers.get("sec-websocket-protocol") ?? "")
      .split(",").map((protocol) => protocol.trim());
    // MQTT over WebSocket uses the subprotocol "mqtt" [MQTT-6.0.0-4].
    if (!offered.includes("mqtt")) {
      return new Response("the subprotocol must be mqtt", { status: 400 });
    }
    const pair = new WebSocketPair();
    const server = pair[1];
    this.#state.acceptWebSocket(server, ["mqtt"]);
    const attachment: Attachment = {
      id: crypto.randomUUID(),
      saved: {},
      partial: false,
      ended: false,
    };
    server.serializeAttachment(attachment);
    const init: ResponseInit & { webSocket: WebSocket } = {
      status: 101,
      webSocket: pair[0],
      headers: { "sec-websocket-protocol": "mqtt" },
    };
    return new Response(null, init);
  }

  async webSocketMessage(
    socket: HibernatableWebSocket,
    message: ArrayBuffer | string,
  ): Promise<void> {
    if (typeof message === "string") {
      // [MQTT-6.0.0-1] MQTT travels in binary messages only.
      socket.close(1003, "MQTT needs binary messages");
      return;
    }
    const entry = this.#entry(socket);
    const { connection, attachment } = entry;
    if (attachment.partial && entry.chunks.length === 0) {
      // A new object after a hibernation: the bytes of the split packet.
      const partial = await this.#state.storage.get<Uint8Array>(
        `partial/${attachment.id}`,
      );
      if (partial !== undefined) {
        entry.chunks.push(partial);
        connection.received(partial);
      }
    }
    if (connection.bufferedBytes === 0) entry.chunks = [];
    const bytes = new Uint8Array(message);
    entry.chunks.push(bytes);
    connection.received(bytes);
    await this.#keepPartial(entry);
    await this.#saveAll();
  }

  async webSocketClose(
    socket: HibernatableWebSocket,
    code: number,
  ): Promise<void> {
    const entry = this.#entry(socket);
    entry.connection.ended();
    try {
      socket.close(code === 1005 ? 1000 : code, ""); // answer the close
    } catch {
      // closed already
    }
    await this.#end(entry);
  }

  async webSocketError(
    socket: HibernatableWebSocket,
    error: unknown,
  ): Promise<void> {
    const entry = this.#entry(socket);
    entry.connection.failed(error);
    await this.#end(entry);
  }

  /** The socket's connection: this object's, or made again from the attachment. */
  #entry(socket: HibernatableWebSocket): Entry {
    let entry = this.#entries.get(socket);
    if (entry !== undefined) return entry;
    const attachment = socket.deserializeAttachment() as Attachment;
    const connection = new MqttConnection(lib, {
      send(bytes: Uint8Array) {
        socket.send(bytes);
        // A Worker's WebSocket tells nothing of its queue (README.md,
        // "WebSocket back-pressure").
        return true;
      },
      close: () => {
        const reasonCode = connection.error?.reasonCode;
        socket.close(reasonCode === undefined ? 1000 : 1002, "");
        void this.#end(entry!);
      },
      route: (message: unknown) => {
        for (const other of this.#state.getWebSockets("mqtt")) {
          this.#entry(other).connection.deliver(message);
        }
      },
    }, attachment.saved);
    entry = { connection, attachment, chunks: [], written: "" };
    entry.written = JSON.stringify(attachment);
    this.#entries.set(socket, entry);
    return entry;
  }

  /**
   * Keeps the bytes of a packet split over messages in the storage, where
   * a new object finds them after a hibernation: the last `bufferedBytes`
   * bytes of the messages since the parser last held nothing.
   */
  async #keepPartial(entry: Entry): Promise<void> {
    const { connection, attachment } = entry;
    const waiting = connection.bufferedBytes;
    const key = `partial/${attachment.id}`;
    if (waiting === 0) {
      if (attachment.partial) await this.#state.storage.delete(key);
      attachment.partial = false;
      return;
    }
    const all = new Uint8Array(
      entry.chunks.reduce((size, chunk) => size + chunk.length, 0),
    );
    let offset = 0;
    for (const chunk of entry.chunks) {
      all.set(chunk, offset);
      offset += chunk.length;
    }
    await this.#state.storage.put(key, all.slice(all.length - waiting));
    attachment.partial = true;
    splits++;
  }

  /** Writes the attachment of every connection whose state changed. */
  async #saveAll(): Promise<void> {
    for (const [socket, entry] of this.#entries) {
      entry.attachment.saved = entry.connection.saved();
      const json = JSON.stringify(entry.attachment);
      if (json === entry.written) continue;
      entry.written = json;
      try {
        (socket as HibernatableWebSocket).serializeAttachment(
          entry.attachment,
        );
      } catch {
        // the socket closed
      }
    }
    await Promise.resolve();
  }

  /** Records how a connection ended, once. */
  async #end(entry: Entry): Promise<void> {
    if (entry.attachment.ended) return;
    entry.attachment.ended = true;
    await this.#saveAll();
    const ended = await this.#state.storage.get<unknown[]>("ended") ?? [];
    ended.push(endedRecord(entry.connection));
    await this.#state.storage.put("ended", ended);
    if (entry.attachment.partial) {
      await this.#state.storage.delete(`partial/${entry.attachment.id}`);
    }
    for (const [socket, other] of this.#entries) {
      if (other === entry) this.#entries.delete(socket);
    }
  }
}

export default {
  async fetch(
    request: Request,
    env: { ROOM: DurableObjectNamespace },
  ): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === "/evict" && request.method === "POST") {
      // A specifier the bundler leaves alone: workerd's own module.
      const unsafe = (await import(["workerd", "unsafe"].join(":"))).default;
      await unsafe.evictAllDurableObjects({ webSockets: "hibernate" });
      return new Response(null, { status: 204 });
    }
    if (pathname.startsWith("/room")) {
      return env.ROOM.get(env.ROOM.idFromName("room")).fetch(request);
    }
    return new Response("not found", { status: 404 });
  },
};
