// One MQTT connection of a small server, for sockets that hand out their
// data to callbacks: Node's `socket.on("data")`, Bun's socket `data`
// handler and `Bun.serve`'s `websocket.message`, a Durable Object's
// `webSocketMessage`. Each chunk goes into a PacketParser, and what the
// packets ask for goes out as bytes made by encode(): no streams at all.
// Plain JavaScript without imports, so that Node, Bun and a Worker run the
// very same server; the library is passed in.
//
// What it serves: CONNECT → CONNACK (in the CONNECT's version, Maximum QoS
// 1), SUBSCRIBE → SUBACK (QoS 2 granted as 1), PUBLISH at QoS 0 or 1 →
// PUBACK at QoS 1 and the message routed to every connection of the server
// with a matching subscription (the sender's own included), PINGREQ →
// PINGRESP, DISCONNECT → the connection closed. A malformed packet or one
// the server refuses ends the connection with a DISCONNECT carrying the
// MqttError's reason code (MQTT 5), then the close [MQTT-4.13.1-1].
//
// Back-pressure: `io.send` says whether the socket took the bytes without
// queueing (Node's `socket.write`, Bun's `ws.send` returning -1); when it
// did not, the connection stops taking packets out of the parser until
// `resume()`, called on the socket's `drain`. Bytes that keep arriving
// meanwhile wait in the parser, up to `maximumBuffered` (an attacker that
// never reads cannot make the server queue replies without end), beyond
// which the connection ends with 0x97 Quota exceeded.

const MAXIMUM_QOS = 1;
const QUOTA_EXCEEDED = 0x97;
const QOS_NOT_SUPPORTED = 0x9b;
const PROTOCOL_ERROR = 0x82;

/**
 * The server side of one MQTT connection.
 *
 * `io`: `send(bytes)` returns false when the socket is back-pressured;
 * `close()` closes the connection; `route(message)` hands a PUBLISH to the
 * server's connections (each calls `deliver`).
 * `saved`: what `saved()` returned before, to go on after the connection's
 * object was lost (a Durable Object's hibernation).
 */
export class MqttConnection {
  constructor(lib, io, saved = {}, options = {}) {
    this.lib = lib;
    this.io = io;
    this.version = saved.version;
    this.subscriptions = saved.subscriptions ?? [];
    this.nextPacketId = saved.nextPacketId ?? 1;
    this.parser = new lib.PacketParser({ protocolVersion: saved.version });
    this.maximumBuffered = options.maximumBuffered ?? 1_048_576;
    /** Whether the socket is back-pressured: no packet is taken meanwhile. */
    this.paused = false;
    this.closed = false;
    /** How often the socket was back-pressured, and the most bytes held. */
    this.pauses = 0;
    this.mostBuffered = 0;
    /** The MqttError that ended the connection, if one did. */
    this.error = undefined;
    /** The socket's own error, if it failed. */
    this.failure = undefined;
  }

  /** What a new object needs to go on with this connection. */
  saved() {
    return {
      version: this.version,
      subscriptions: this.subscriptions,
      nextPacketId: this.nextPacketId,
    };
  }

  /** Bytes received and not yet part of a packet handled. */
  get bufferedBytes() {
    return this.parser.bufferedBytes;
  }

  /** A chunk from the socket. */
  received(chunk) {
    if (this.closed) return;
    this.parser.push(chunk);
    this.mostBuffered = Math.max(this.mostBuffered, this.parser.bufferedBytes);
    if (this.paused && this.parser.bufferedBytes > this.maximumBuffered) {
      this.#refuse(
        new this.lib.MqttError(
          `${this.parser.bufferedBytes} bytes wait while the client does not read`,
          QUOTA_EXCEEDED,
        ),
      );
      return;
    }
    this.#serve();
  }

  /** The socket drained: take packets again. */
  resume() {
    if (!this.paused) return;
    this.paused = false;
    this.#serve();
  }

  /** The peer closed the connection; an error if it was inside a packet. */
  ended() {
    this.closed = true;
    try {
      this.parser.end();
    } catch (error) {
      if (!(error instanceof this.lib.MqttError)) throw error;
      this.error ??= error;
    }
  }

  /** The socket failed (a reset): not an MqttError, kept as it is. */
  failed(error) {
    this.closed = true;
    this.failure ??= error;
  }

  /** A PUBLISH routed here: sent if a subscription matches. */
  deliver(message) {
    if (this.closed || this.version === undefined) return;
    const matching = this.subscriptions.filter((s) =>
      this.lib.topicMatches(s.topicFilter, message.topic)
    );
    if (matching.length === 0) return;
    const granted = Math.max(...matching.map((s) => s.qos));
    const qos = Math.min(message.qos, granted, MAXIMUM_QOS);
    const { packetId: _, ...fields } = message;
    const packet = { ...fields, qos, dup: false };
    if (qos > 0) {
      packet.packetId = this.nextPacketId;
      this.nextPacketId = this.nextPacketId % 0xffff + 1;
    }
    this.#send(packet);
  }

  /** Takes and answers packets until the parser needs bytes or the socket is full. */
  #serve() {
    while (!this.paused && !this.closed) {
      let packet;
      try {
        packet = this.parser.next();
        if (packet === undefined) return;
        this.#answer(packet);
      } catch (error) {
        if (!(error instanceof this.lib.MqttError)) throw error;
        this.#refuse(error);
      }
    }
  }

  #answer(packet) {
    const { MqttError } = this.lib;
    switch (packet.type) {
      case "connect":
        if (this.version !== undefined) {
          // [MQTT-3.1.0-2] a second CONNECT is a protocol violation.
          throw new MqttError("a second CONNECT", PROTOCOL_ERROR);
        }
        this.version = packet.protocolVersion;
        return this.#send({
          type: "connack",
          sessionPresent: false,
          reasonCode: 0,
          ...(this.version === 5 ? { maximumQoS: MAXIMUM_QOS } : {}),
        });
      case "subscribe":
        this.subscriptions.push(
          ...packet.subscriptions.map(({ topicFilter, qos }) => ({
            topicFilter,
            qos: Math.min(qos, MAXIMUM_QOS),
          })),
        );
        return this.#send({
          type: "suback",
          packetId: packet.packetId,
          reasonCodes: packet.subscriptions.map((s) =>
            Math.min(s.qos, MAXIMUM_QOS)
          ),
        });
      case "publish":
        if (packet.qos > MAXIMUM_QOS) {
          // [MQTT-3.2.2-11] a QoS above the Maximum QoS is refused.
          throw new MqttError(
            `PUBLISH: QoS ${packet.qos} is above the Maximum QoS ${MAXIMUM_QOS}`,
            QOS_NOT_SUPPORTED,
          );
        }
        if (packet.qos === 1) {
          this.#send({ type: "puback", packetId: packet.packetId });
        }
        return this.io.route(packet);
      case "puback":
        return; // a client's acknowledgement of a message at QoS 1
      case "pingreq":
        return this.#send({ type: "pingresp" });
      case "disconnect":
        this.closed = true;
        return this.io.close();
      default:
        throw new MqttError(
          `${packet.type.toUpperCase()} is not expected from a client here`,
          PROTOCOL_ERROR,
        );
    }
  }

  #send(packet) {
    if (this.closed) return;
    const bytes = this.lib.encode(packet, { protocolVersion: this.version });
    if (!this.io.send(bytes) && !this.paused) {
      this.paused = true;
      this.pauses++;
    }
  }

  /** Tells an MQTT 5 client why, then closes [MQTT-4.13.1-1]. */
  #refuse(error) {
    this.error = error;
    if (this.version === 5) {
      this.#send({ type: "disconnect", reasonCode: error.reasonCode });
    }
    this.closed = true;
    this.io.close();
  }
}

/** The connections of a server, and the routing of messages between them. */
export class Room {
  constructor() {
    this.connections = new Set();
  }

  /** A connection for a new socket, routed through this room. */
  open(lib, io, options) {
    const connection = new MqttConnection(
      lib,
      {
        ...io,
        route: (message) => {
          for (const other of this.connections) other.deliver(message);
        },
      },
      {},
      options,
    );
    this.connections.add(connection);
    return connection;
  }

  /** Forgets a connection whose socket closed. */
  close(connection) {
    this.connections.delete(connection);
  }
}

/**
 * What a server reports when a connection ended, as JSON: its version, how
 * often the socket was back-pressured, the most bytes held, and the error
 * that ended it (an MqttError's reason code and message, or the socket's).
 */
export function endedRecord(connection) {
  const { error, failure } = connection;
  return {
    version: connection.version ?? null,
    pauses: connection.pauses,
    mostBuffered: connection.mostBuffered,
    reasonCode: error?.reasonCode ?? null,
    error: error?.message ?? (failure === undefined ? null : String(failure)),
  };
}
