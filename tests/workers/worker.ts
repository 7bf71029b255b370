/**
 * A Cloudflare Worker (module syntax) that serves MQTT over WebSocket with
 * this library, run in workerd by tests/runtime_workers_test.ts, which
 * bundles it with the library into one module.
 *
 * - `GET /mqtt` with `Upgrade: websocket` and subprotocol `mqtt`: a
 *   WebSocketPair; on its server side, PacketReader and PacketWriter over
 *   `webSocketStreams` answer CONNECT, SUBSCRIBE, PINGREQ and DISCONNECT,
 *   and send every PUBLISH back to the same connection when one of its
 *   subscriptions matches, at QoS 0 or 1 (the Worker's Maximum QoS).
 *   Workers cannot write to another request's WebSocket, so each
 *   connection is its own little broker.
 * - `POST /decode[?protocolVersion=4]`: the posted bytes decoded as one
 *   packet, answered as JSON (binary fields in hex); an MqttError is a 400
 *   with its reason code and message.
 * - `GET /stats`: how many MQTT connections were opened and ended, and the
 *   errors their loops threw, for the test to see that every connection
 *   ended cleanly on the server side too.
 * - `GET /close-orders/ROW?id=ID&control=URL` with `Upgrade: websocket`:
 *   row ROW of tests/support/close_orders.mjs with the server side of a
 *   WebSocketPair through `webSocketStreams` as the local end, and the
 *   client (a raw WebSocket in the Deno test) as the peer, driven over HTTP
 *   at the control URL (tests/support/peer_control.ts), where the outcome
 *   is posted too, with any uncaught exception or unhandled rejection.
 *
 * @module
 */

import * as lib from "../../mod.ts";
import {
  CLOSE_ORDERS,
  remotePeer,
  watchUncaught,
} from "../support/close_orders.mjs";
import {
  decode,
  MqttError,
  type Packet,
  PacketReader,
  PacketWriter,
  type ProtocolVersion,
  type PublishPacket,
  type QoS,
  ReasonCode,
  type Subscription,
  topicMatches,
  webSocketStreams,
} from "../../mod.ts";

// The Workers API this module uses, declared for Deno's type-check (the
// types of @cloudflare/workers-types do not mix with Deno's).
interface ServerWebSocket extends WebSocket {
  /** Starts delivering events on the server side of a WebSocketPair. */
  accept(): void;
}
declare const WebSocketPair: {
  new (): { 0: WebSocket; 1: ServerWebSocket };
};
/** The third argument of `fetch`: work that outlives the response. */
interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

/** Every uncaught exception and unhandled rejection in the Worker. */
const uncaught = watchUncaught(globalThis);

/** The Worker's Maximum QoS, announced in CONNACK [MQTT-3.2.2-9]. */
const MAXIMUM_QOS = 1;

const stats = { opened: 0, ended: 0, errors: [] as string[] };

export default {
  fetch(
    request: Request,
    _env: unknown,
    context: ExecutionContext,
  ): Response | Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === "/mqtt") return acceptMqtt(request);
    if (pathname.startsWith("/close-orders/")) {
      return runCloseOrder(request, context);
    }
    if (pathname === "/decode" && request.method === "POST") {
      return decodePosted(request);
    }
    if (pathname === "/stats") return Response.json(stats);
    return new Response("not found", { status: 404 });
  },
};

/** Upgrades to a WebSocket with subprotocol `mqtt` and serves MQTT on it. */
function acceptMqtt(request: Request): Response {
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    return new Response("expected a WebSocket upgrade", { status: 426 });
  }
  const offered = (request.headers.get("sec-websocket-protocol") ?? "")
    .split(",").map((protocol) => protocol.trim());
  // MQTT over WebSocket uses the subprotocol "mqtt" (section 6).
  if (!offered.includes("mqtt")) {
    return new Response("the WebSocket subprotocol must be mqtt", {
      status: 400,
    });
  }
  const pair = new WebSocketPair();
  const server = pair[1];
  server.accept();
  const { readable, writable } = webSocketStreams(server);
  stats.opened++;
  serve(new PacketReader(readable), new PacketWriter(writable)).then(
    () => stats.ended++,
    (error) => {
      stats.ended++;
      stats.errors.push(String(error));
    },
  );
  const init: ResponseInit & { webSocket: WebSocket } = {
    status: 101,
    webSocket: pair[0],
    headers: { "sec-websocket-protocol": "mqtt" },
  };
  return new Response(null, init);
}

/**
 * Runs one close order on the server side of a new WebSocket; the row's
 * outcome goes to the control server, which also drives the peer.
 */
function runCloseOrder(request: Request, context: ExecutionContext): Response {
  const url = new URL(request.url);
  const order = CLOSE_ORDERS[Number(url.pathname.split("/")[2])];
  const id = url.searchParams.get("id");
  const control = url.searchParams.get("control");
  if (order === undefined || id === null || control === null) {
    return new Response("no such close order", { status: 404 });
  }
  const pair = new WebSocketPair();
  const server = pair[1];
  server.accept();
  const connection = {
    local: webSocketStreams(server),
    peer: remotePeer(control, id),
    kind: "websocket",
    // workerd fires no error event when the connection is reset: only a
    // close with 1006 (and the same reason as for a drop).
    silentErrors: true,
  };
  const report = async (error?: unknown) => {
    // Late rejections of the row show up here too.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await fetch(`${control}/result/${id}`, {
      method: "POST",
      body: JSON.stringify({
        error: error === undefined ? undefined : String(
          (error as Error)?.stack ?? error,
        ),
        uncaught: uncaught.seen.splice(0),
      }),
    });
  };
  context.waitUntil(order.run(lib, connection).then(() => report(), report));
  const init: ResponseInit & { webSocket: WebSocket } = {
    status: 101,
    webSocket: pair[0],
    headers: { "sec-websocket-protocol": "mqtt" },
  };
  return new Response(null, init);
}

/** What one MQTT connection knows about its client. */
interface Session {
  version: ProtocolVersion;
  subscriptions: Subscription[];
  nextPacketId: number;
}

/** One MQTT connection: a client that may publish to itself. */
async function serve(reader: PacketReader, writer: PacketWriter) {
  const session: Session = { version: 5, subscriptions: [], nextPacketId: 1 };
  try {
    for await (const packet of reader) {
      if (packet.type === "disconnect") return await writer.close();
      let replies: Packet[];
      try {
        replies = answer(packet, session);
      } catch (error) {
        // Refused here, inside the loop: leaving the loop by a throw would
        // cancel the reader, which closes the WebSocket before our
        // DISCONNECT is sent.
        if (!(error instanceof MqttError)) throw error;
        return await refuse(writer, session, error);
      }
      writer.protocolVersion = session.version;
      for (const reply of replies) await writer.write(reply);
    }
  } catch (error) {
    // A malformed packet: the reader keeps the WebSocket open for our answer.
    if (!(error instanceof MqttError)) throw error;
    await refuse(writer, session, error);
  }
}

/** Tells an MQTT 5 client why, then closes [MQTT-4.13.1-1]. */
async function refuse(
  writer: PacketWriter,
  session: Session,
  error: MqttError,
) {
  if (session.version === 5) {
    await writer.write({ type: "disconnect", reasonCode: error.reasonCode });
  }
  await writer.close();
}

/** The packets that answer `packet`; throws MqttError to refuse it. */
function answer(packet: Packet, session: Session): Packet[] {
  switch (packet.type) {
    case "connect":
      session.version = packet.protocolVersion;
      return [{
        type: "connack",
        sessionPresent: false,
        reasonCode: 0,
        ...(session.version === 5 ? { maximumQoS: MAXIMUM_QOS } : {}),
      }];
    case "subscribe":
      session.subscriptions.push(...packet.subscriptions);
      return [{
        type: "suback",
        packetId: packet.packetId,
        reasonCodes: packet.subscriptions.map((s) =>
          Math.min(s.qos, MAXIMUM_QOS)
        ),
      }];
    case "publish": {
      if (packet.qos > MAXIMUM_QOS) {
        // [MQTT-3.2.2-11] a QoS above Maximum QoS is a protocol error.
        throw new MqttError(
          `PUBLISH: QoS ${packet.qos} is above the Maximum QoS ${MAXIMUM_QOS}`,
          ReasonCode.QoSNotSupported,
        );
      }
      const replies: Packet[] = [];
      if (packet.qos === 1) {
        replies.push({ type: "puback", packetId: packet.packetId! });
      }
      const echo = echoOf(packet, session.subscriptions);
      if (echo) {
        if (echo.qos > 0) {
          echo.packetId = session.nextPacketId;
          session.nextPacketId = session.nextPacketId % 0xffff + 1;
        }
        replies.push(echo);
      }
      return replies;
    }
    case "puback":
      return []; // the client's acknowledgement of an echo at QoS 1
    case "pingreq":
      return [{ type: "pingresp" }];
    default:
      throw new MqttError(
        `${packet.type.toUpperCase()}: not expected from a client here`,
        ReasonCode.ProtocolError,
      );
  }
}

/**
 * The message sent back for `publish`, at the lower of its QoS and the
 * highest granted QoS of the matching subscriptions; none if none match.
 */
function echoOf(
  publish: PublishPacket,
  subscriptions: Subscription[],
): PublishPacket | undefined {
  const matching = subscriptions.filter((s) =>
    topicMatches(s.topicFilter, publish.topic)
  );
  if (matching.length === 0) return undefined;
  const granted = Math.min(
    Math.max(...matching.map((s) => s.qos)),
    MAXIMUM_QOS,
  );
  const { packetId: _, ...message } = publish;
  return {
    ...message,
    qos: Math.min(publish.qos, granted) as QoS,
    dup: false,
  };
}

/** The posted packet as JSON, binary data in hex. */
async function decodePosted(request: Request): Promise<Response> {
  const bytes = new Uint8Array(await request.arrayBuffer());
  const version = new URL(request.url).searchParams.get("protocolVersion");
  try {
    const packet = decode(bytes, {
      protocolVersion: version === null
        ? undefined
        : Number(version) as ProtocolVersion,
    });
    return new Response(JSON.stringify(packet, binaryAsHex), {
      headers: { "content-type": "application/json" },
    });
  } catch (error) {
    if (!(error instanceof MqttError)) throw error;
    return Response.json(
      {
        error: error.name,
        reasonCode: error.reasonCode,
        message: error.message,
      },
      { status: 400 },
    );
  }
}

/** A JSON replacer that writes a Uint8Array as a hex string. */
function binaryAsHex(_key: string, value: unknown): unknown {
  if (!(value instanceof Uint8Array)) return value;
  return Array.from(value, (byte) => byte.toString(16).padStart(2, "0")).join(
    "",
  );
}
