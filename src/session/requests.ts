/**
 * A client session's SUBSCRIBE and UNSUBSCRIBE requests (sections 3.8 to
 * 3.11): the ones waiting for a Packet Identifier, the ones waiting for
 * their SUBACK or UNSUBACK, and the events that answer them.
 *
 * @module
 */

import { MqttError } from "../error.ts";
import type {
  Packet,
  SubackPacket,
  SubscribePacket,
  UnsubackPacket,
  UnsubscribePacket,
} from "../packet.ts";
import { fitOrRefuse, type PeerLimits } from "./control.ts";
import { Deque } from "./deque.ts";
import type { PacketIdAllocator } from "./packet_ids.ts";
import type { RequestSnapshot, RestoredRequest } from "./snapshot.ts";
import type { SubscribedEvent, UnsubscribedEvent } from "./types.ts";
import type { VersionRules } from "./version.ts";
import { ReasonCode } from "../reason_code.ts";

/** A SUBSCRIBE or UNSUBSCRIBE waiting for its answer, or for a Packet Identifier. */
interface Request {
  /** The id `subscribe()` or `unsubscribe()` returned, which its event carries. */
  readonly id: number;
  /** Its `packetId` is set when it gets an identifier. */
  readonly packet: SubscribePacket | UnsubscribePacket;
}

/** How a request table is set up, for the whole session. */
export interface RequestTableOptions {
  /** The protocol version of the session. */
  readonly rules: VersionRules;
  /** The session's Packet Identifiers; the table's are tracked by it. */
  readonly ids: PacketIdAllocator;
  /** Where requests to send go, already fitted to the server's limits. */
  readonly transmit: (packet: Packet) => void;
  /** Where the events answering requests go. */
  readonly emit: (event: SubscribedEvent | UnsubscribedEvent) => void;
}

/**
 * The requests of a client session not yet answered. A request first waits
 * for a Packet Identifier, in the order made: it gets one no other packet
 * in flight holds [MQTT-2.2.1-3], keeps it until answered, and is sent when
 * the session is connected (the server's limits are known). The answer is
 * matched by its Packet Identifier.
 */
export class RequestTable {
  readonly #rules: VersionRules;
  readonly #ids: PacketIdAllocator;
  readonly #transmit: (packet: Packet) => void;
  readonly #emit: (event: SubscribedEvent | UnsubscribedEvent) => void;
  /** Every request with a Packet Identifier not yet answered, by it, in order. */
  readonly #inFlight = new Map<number, Request>();
  /**
   * Requests made while all 65,535 Packet Identifiers were in use, in
   * order: each gets one as one is freed [MQTT-2.2.1-3].
   */
  readonly #waiting = new Deque<Request>();

  constructor(options: RequestTableOptions) {
    this.#rules = options.rules;
    this.#ids = options.ids;
    this.#transmit = options.transmit;
    this.#emit = options.emit;
    options.ids.track(this.#inFlight);
  }

  /** How many requests are not answered yet, with an identifier or waiting for one. */
  get size(): number {
    return this.#inFlight.size + this.#waiting.length;
  }

  /** How many requests wait for a Packet Identifier. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Adds a request under the id of its event, and gives it an identifier
   * if one is free (sent at once when `server` is known).
   */
  add(
    id: number,
    packet: SubscribePacket | UnsubscribePacket,
    server: PeerLimits | undefined,
  ): void {
    this.#waiting.push({ id, packet });
    this.assignIdentifiers(server);
  }

  /**
   * Gives the waiting requests, in order, the Packet Identifiers that are
   * free (none in use by another packet, [MQTT-2.2.1-3]), and sends them
   * when `server` is known (connected). The rest wait for an
   * acknowledgement to free one.
   */
  assignIdentifiers(server: PeerLimits | undefined): void {
    const waiting = this.#waiting;
    while (waiting.length > 0) {
      const packetId = this.#ids.allocate();
      if (packetId === undefined) return;
      const request = waiting.shift()!;
      request.packet.packetId = packetId;
      this.#inFlight.set(packetId, request);
      if (server !== undefined) this.#send(request, server);
    }
  }

  /**
   * A new connection (a CONNACK): the requests not answered on an earlier
   * one go again, with their identifiers, then the ones waiting for an
   * identifier.
   */
  resend(server: PeerLimits): void {
    for (const request of this.#inFlight.values()) this.#send(request, server);
    this.assignIdentifiers(server);
  }

  /**
   * Takes the server's answer: the request of its Packet Identifier is
   * answered (its event emitted, its identifier freed).
   *
   * @throws {MqttError} 0x82 for an identifier of no request of that kind
   * [MQTT-2.2.1-6], or a reason code count that does not match the
   * request's filters [MQTT-3.9.3-1] [MQTT-3.11.3-1].
   */
  answer(packet: SubackPacket | UnsubackPacket): void {
    const request = this.#inFlight.get(packet.packetId);
    const expected = packet.type === "suback" ? "subscribe" : "unsubscribe";
    if (request === undefined || request.packet.type !== expected) {
      throw new MqttError(
        `${packet.type.toUpperCase()}: Packet Identifier ${packet.packetId} answers no ${expected.toUpperCase()} in flight [MQTT-2.2.1-6]`,
        ReasonCode.ProtocolError,
      );
    }
    const count = filterCount(request.packet);
    const codes = packet.reasonCodes;
    const hasCodes = packet.type === "suback" || this.#rules.reasonCodes;
    if (hasCodes && codes.length !== count) {
      throw new MqttError(
        `${packet.type.toUpperCase()}: ${codes.length} reason codes for ${count} topic filters ${
          packet.type === "suback" ? "[MQTT-3.9.3-1]" : "[MQTT-3.11.3-1]"
        }`,
        ReasonCode.ProtocolError,
      );
    }
    this.#inFlight.delete(packet.packetId);
    if (packet.type === "suback") {
      this.#emit({
        type: "subscribed",
        id: request.id,
        reasonCodes: codes,
        packet,
      });
    } else {
      this.#emit({
        type: "unsubscribed",
        id: request.id,
        reasonCodes: codes,
        packet,
      });
    }
  }

  /** The requests as a snapshot has them, in order: those with an identifier first. */
  snapshot(): RequestSnapshot[] {
    const requests: RequestSnapshot[] = [];
    for (const request of this.#inFlight.values()) {
      requests.push(requestSnapshot(request, true));
    }
    for (const request of this.#waiting) {
      requests.push(requestSnapshot(request, false));
    }
    return requests;
  }

  /** Puts back the requests of a checked snapshot (the table is empty). */
  restore(requests: readonly RestoredRequest[]): void {
    for (const { id, packetId, packet } of requests) {
      if (packetId === undefined) this.#waiting.push({ id, packet });
      else this.#inFlight.set(packetId, { id, packet });
    }
  }

  /**
   * Sends a request as it is (its User Properties are the application's
   * data, never left out). One too large for the server's Maximum Packet
   * Size, which a CONNACK can announce after the request was made, is
   * answered with 0x95 for every filter and the error, and its identifier
   * freed: never sent, never left waiting [MQTT-3.2.2-15].
   */
  #send(request: Request, server: PeerLimits): void {
    const packet = request.packet;
    try {
      this.#transmit(fitOrRefuse(packet, server, packet.type, "server"));
    } catch (error) {
      if (!(error instanceof MqttError)) throw error;
      this.#inFlight.delete(packet.packetId);
      const reasonCodes = new Array<number>(filterCount(packet)).fill(
        error.reasonCode,
      );
      this.#emit({
        type: packet.type === "subscribe" ? "subscribed" : "unsubscribed",
        id: request.id,
        reasonCodes,
        error,
      });
    }
  }
}

/** How many topic filters a request has: one reason code each in its answer. */
function filterCount(packet: SubscribePacket | UnsubscribePacket): number {
  return packet.type === "subscribe"
    ? packet.subscriptions.length
    : packet.topicFilters.length;
}

/** A request as a snapshot has it: a copy, without its Packet Identifier if it has none yet. */
function requestSnapshot(request: Request, hasId: boolean): RequestSnapshot {
  const { packetId, ...packet } = request.packet;
  if (packet.userProperties !== undefined) {
    packet.userProperties = packet.userProperties.map(([k, v]) => [k, v]);
  }
  const copy = packet.type === "subscribe"
    ? {
      ...packet,
      subscriptions: packet.subscriptions.map((s) => ({ ...s })),
    }
    : { ...packet, topicFilters: [...packet.topicFilters] };
  return hasId
    ? { id: request.id, packetId, packet: copy }
    : { id: request.id, packet: copy };
}
