/**
 * MQTT's protocol state as deterministic state machines without I/O
 * ("sans-I/O"), for clients ({@linkcode ClientSession}) and servers
 * ({@linkcode ServerSession}). They take packets (as `PacketReader` gives
 * them), commands and the time, and give packets to write, events and the
 * next deadline; no sockets, timers, promises or clocks inside.
 *
 * Every rule of MQTT 5.0, 3.1.1 and 3.1 that is session state is kept here:
 * Packet Identifiers, QoS 1 and 2 in both directions with resending on a
 * resumed session and exactly-once delivery, flow control by Receive
 * Maximum, Topic Aliases both ways, Keep Alive, Maximum Packet Size both
 * ways, session resumption and expiry, Message Expiry, enhanced
 * authentication, and for servers subscriptions with all their options,
 * shared subscriptions, Wills and bounded queues.
 *
 * @example A client and a server session talking, packets passed by hand
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { ClientSession, ServerSession } from "@mqtt/codec/session";
 *
 * const client = new ClientSession({ clientId: "c1" });
 * const server = new ServerSession();
 * const now = 0;
 *
 * /** Moves every packet each side has to the other, answering a CONNECT with accept(). *\/
 * function exchange() {
 *   for (let moved = true; moved;) {
 *     moved = false;
 *     for (let p; (p = client.pollTransmit());) {
 *       server.handlePacket(p, now);
 *       moved = true;
 *     }
 *     for (let e; (e = server.pollEvent());) {
 *       if (e.type === "connect") server.accept({}, now);
 *     }
 *     for (let p; (p = server.pollTransmit());) {
 *       client.handlePacket(p, now);
 *       moved = true;
 *     }
 *   }
 * }
 *
 * client.connectionOpened(now);
 * client.subscribe({ subscriptions: [{ topicFilter: "a/#", qos: 1 }] }, now);
 * exchange();
 * assertEquals(client.pollEvent()?.type, "connected");
 * assertEquals(client.pollEvent()?.type, "subscribed");
 * ```
 *
 * @module
 */

export {
  ClientSession,
  type ClientSessionOptions,
  type ClientSessionState,
} from "../session/client_session.ts";
export {
  type AcceptOptions,
  type Delivery,
  type RejectOptions,
  ServerSession,
  type ServerSessionState,
} from "../session/server_session.ts";
export type { ServerSessionOptions } from "../session/server_options.ts";
export type {
  ClientSessionSnapshot,
  OutgoingMessageSnapshot,
  OutgoingStage,
  RequestSnapshot,
  ServerSessionSnapshot,
  SubscriptionSnapshot,
  WillSnapshot,
} from "../session/snapshot.ts";
export type * from "../session/types.ts";
