/**
 * The receiving side of the publish flows (sections 4.3, 4.9): Topic Alias
 * resolution, exactly-once delivery of QoS 2 messages, our Receive Maximum,
 * and the acknowledgements, in the order the messages arrived.
 *
 * @module
 */

import { MqttError } from "../error.ts";
import type {
  Packet,
  PubackPacket,
  PublishPacket,
  PubrecPacket,
  PubrelPacket,
} from "../packet.ts";
import { isValidReasonCode, ReasonCode } from "../reason_code.ts";
import { IdTable } from "./id_table.ts";
import type { InboundTopicAliases } from "./inbound_aliases.ts";
import type { Acknowledgement, MessageReceivedEvent } from "./types.ts";
import { checkPacket, markChecked } from "./validate.ts";
import type { VersionRules } from "./version.ts";

/** What the receiver does on the current network connection. */
export interface ReceiverLimits {
  /** The protocol version of the connection. */
  readonly rules: VersionRules;
  /** Our Receive Maximum, as sent to the peer. */
  readonly receiveMaximum: number;
  /** The Topic Alias mappings of this connection. */
  readonly aliases: InboundTopicAliases;
}

/** How a receiver is set up, for the whole session. */
export interface ReceiverOptions {
  /**
   * Whether a QoS 2 message waiting for its PUBREL counts against our
   * Receive Maximum (the specification) or only until its PUBREC is sent
   * (lenient, as mosquitto 2.0.11 counts).
   */
  readonly strictReceiveMaximum: boolean;
  /** Whether the application answers QoS 1 and 2 messages itself. */
  readonly manualAcknowledgement: boolean;
  /**
   * Whether received messages are marked valid for `checkMessage` (a
   * server, which delivers each to the sessions subscribed to it: decoded,
   * it needs no second check unless changed).
   */
  readonly markReceived: boolean;
  /** Where message events go. */
  readonly emit: (event: MessageReceivedEvent) => void;
  /** Where acknowledgements go. */
  readonly send: (packet: Packet) => void;
  /** A new id for an event that waits for an answer. */
  readonly nextId: () => number;
}

/** A message the application has not answered yet (manual acknowledgement). */
interface Unanswered {
  readonly id: number;
  readonly packetId: number;
  readonly qos: 1 | 2;
  answer: PubackPacket | PubrecPacket | undefined;
}

/**
 * Incoming application messages. A QoS 2 message is delivered when its
 * PUBLISH first arrives and its Packet Identifier kept until the PUBREL
 * (section 4.3.3, the first method): a PUBLISH with that identifier before
 * then is a resend, answered with PUBREC and not delivered again
 * [MQTT-4.3.3-10]. Those identifiers are session state: they survive the
 * network connection.
 */
export class Receiver {
  readonly #options: ReceiverOptions;
  /** QoS 2 Packet Identifiers delivered and not yet released [MQTT-4.3.3-10]. */
  readonly #awaitingRelease = new IdTable<true>();
  #limits: ReceiverLimits | undefined;
  /** Messages the application has not answered, in arrival order. */
  #unanswered: Unanswered[] = [];
  #unansweredById = new Map<number, Unanswered>();
  /** Of those, how many are QoS 2 (and so also in `#awaitingRelease`). */
  #unansweredQoS2 = 0;

  constructor(options: ReceiverOptions) {
    this.#options = options;
  }

  /** How many QoS 2 messages wait for their PUBREL. */
  get awaitingRelease(): number {
    return this.#awaitingRelease.size;
  }

  /** How many messages wait for the application's answer. */
  get unanswered(): number {
    return this.#unanswered.length;
  }

  /** A network connection starts. */
  attach(limits: ReceiverLimits): void {
    this.#limits = limits;
  }

  /**
   * The network connection is gone. Unanswered messages are forgotten: the
   * peer sends them again (a QoS 2 one is then answered with Success, as it
   * was already delivered).
   */
  detach(): void {
    this.#limits = undefined;
    this.#unanswered = [];
    this.#unansweredById.clear();
    this.#unansweredQoS2 = 0;
  }

  /** The QoS 2 identifiers awaiting their PUBREL, ascending (session state, for a snapshot). */
  awaitingReleaseIds(): number[] {
    return this.#awaitingRelease.keys().sort((a, b) => a - b);
  }

  /** Takes back the QoS 2 identifiers of a snapshot. */
  restore(awaitingRelease: readonly number[]): void {
    for (const id of awaitingRelease) this.#awaitingRelease.set(id, true);
  }

  /** Forgets every QoS 2 identifier (the session ended or was not resumed). */
  clear(): void {
    this.#awaitingRelease.clear();
  }

  /**
   * A PUBLISH from the peer.
   *
   * @throws {MqttError} 0x94 or 0x82 for a bad Topic Alias; 0x93 when the
   * peer exceeds our Receive Maximum (section 4.9).
   */
  handlePublish(packet: PublishPacket): void {
    const limits = this.#limits!;
    let message = packet;
    if (packet.topicAlias !== undefined) {
      const topic = limits.aliases.resolve(packet.topic, packet.topicAlias);
      if (topic !== packet.topic) message = { ...packet, topic };
    }
    const options = this.#options;
    // Decoded, so valid: delivering it on needs no second check.
    if (options.markReceived) markChecked(message);
    if (packet.qos === 0) {
      options.emit({ type: "message", message });
      return;
    }
    const packetId = packet.packetId!;
    const qos = packet.qos;
    if (qos === 2 && this.#awaitingRelease.has(packetId)) {
      // Sent again before its PUBREL: acknowledged, not delivered twice
      // [MQTT-4.3.3-10]. An unanswered one is acknowledged when answered.
      if (!this.#isUnanswered(packetId)) {
        options.send({ type: "pubrec", packetId });
      }
      return;
    }
    const released = this.#awaitingRelease.size - this.#unansweredQoS2;
    const inFlight = this.#unanswered.length +
      (options.strictReceiveMaximum ? released : 0);
    if (inFlight >= limits.receiveMaximum) {
      throw new MqttError(
        `PUBLISH: more than Receive Maximum (${limits.receiveMaximum}) QoS 1 and 2 messages unacknowledged (section 4.9)`,
        ReasonCode.ReceiveMaximumExceeded,
      );
    }
    if (qos === 2) this.#awaitingRelease.set(packetId, true);
    if (!options.manualAcknowledgement) {
      options.emit({ type: "message", message });
      // [MQTT-4.3.2-4], [MQTT-4.3.3-8]: answered at once, so in order
      // [MQTT-4.6.0-2], [MQTT-4.6.0-3].
      options.send(
        qos === 1 ? { type: "puback", packetId } : { type: "pubrec", packetId },
      );
      return;
    }
    const id = options.nextId();
    const entry: Unanswered = { id, packetId, qos, answer: undefined };
    this.#unanswered.push(entry);
    this.#unansweredById.set(id, entry);
    if (qos === 2) this.#unansweredQoS2++;
    options.emit({ type: "message", message, id });
  }

  /**
   * The application's answer to a message. Answers go out in the order the
   * messages arrived [MQTT-4.6.0-2], [MQTT-4.6.0-3]: a later one waits for
   * the earlier ones. Returns `false` when `id` is not an unanswered message
   * of this connection.
   *
   * @throws {MqttError} 0x82 for a reason code a PUBACK or PUBREC cannot
   * carry; the codec's error for a Reason String or User Properties it
   * refuses.
   */
  acknowledge(answer: Acknowledgement): boolean {
    const entry = this.#unansweredById.get(answer.id);
    if (entry === undefined) return false;
    const rules = this.#limits!.rules;
    const type = entry.qos === 1 ? "puback" : "pubrec";
    const packet: PubackPacket | PubrecPacket = {
      type,
      packetId: entry.packetId,
    };
    const reasonCode = answer.reasonCode ?? 0;
    if (!isValidReasonCode(type, reasonCode)) {
      throw new MqttError(
        `acknowledge: ${reasonCode} is not a ${type.toUpperCase()} reason code (section ${
          type === "puback" ? "3.4.2.1" : "3.5.2.1"
        })`,
        ReasonCode.ProtocolError,
      );
    }
    // MQTT 3.1.1 cannot refuse a message: without reason codes it is
    // acknowledged positively (3.1.1 [MQTT-3.3.5-2]).
    if (rules.reasonCodes) {
      if (reasonCode !== 0) packet.reasonCode = reasonCode;
      if (answer.reasonString !== undefined) {
        packet.reasonString = answer.reasonString;
      }
      if (answer.userProperties !== undefined) {
        packet.userProperties = answer.userProperties;
      }
      if (
        packet.reasonString !== undefined || packet.userProperties !== undefined
      ) {
        checkPacket(packet, rules, "acknowledge"); // now, not when written
      }
    }
    entry.answer = packet;
    this.#unansweredById.delete(answer.id);
    const queue = this.#unanswered;
    let done = 0;
    while (done < queue.length && queue[done].answer !== undefined) {
      const head = queue[done++];
      const answerPacket = head.answer!;
      if (head.qos === 2) {
        this.#unansweredQoS2--;
        // After a refusing PUBREC, the identifier starts a new message
        // [MQTT-4.3.3-9].
        if ((answerPacket.reasonCode ?? 0) >= 0x80) {
          this.#awaitingRelease.delete(head.packetId);
        }
      }
      this.#options.send(answerPacket);
    }
    if (done > 0) queue.splice(0, done);
    return true;
  }

  /**
   * A PUBREL from the peer: the QoS 2 identifier is free, and a PUBCOMP
   * answers it [MQTT-4.3.3-11] (with 0x92 in MQTT 5.0 when it was not
   * known).
   *
   * @throws {MqttError} 0x82 for a PUBREL of a message not yet answered
   * with a PUBREC.
   */
  handlePubrel(packet: PubrelPacket): void {
    const packetId = packet.packetId;
    if (this.#isUnanswered(packetId)) {
      throw new MqttError(
        `PUBREL: Packet Identifier ${packetId} was released before its PUBREC was sent (section 4.3.3)`,
        ReasonCode.ProtocolError,
      );
    }
    const known = this.#awaitingRelease.delete(packetId);
    this.#options.send(
      known || !this.#limits!.rules.reasonCodes
        ? { type: "pubcomp", packetId }
        : {
          type: "pubcomp",
          packetId,
          reasonCode: ReasonCode.PacketIdentifierNotFound,
        },
    );
  }

  /** Whether a message with this identifier waits for its answer to go out. */
  #isUnanswered(packetId: number): boolean {
    if (this.#unanswered.length === 0) return false;
    for (const entry of this.#unanswered) {
      if (entry.packetId === packetId) return true;
    }
    return false;
  }
}
