/**
 * Session state as plain data (section 4.1), for a session that outlives
 * its process: what `ClientSession.snapshot()` and
 * `ServerSession.snapshot()` give, and the checks of what their `restore`
 * takes back.
 *
 * @module
 */

import { MAXIMUM_PACKET_ID } from "../defaults.ts";
import { MqttError } from "../error.ts";
import type {
  ProtocolVersion,
  QoS,
  SubscribePacket,
  UnsubscribePacket,
  Will,
} from "../packet.ts";
import { isValidReasonCode, ReasonCode } from "../reason_code.ts";
import {
  type Outgoing,
  PUBLISHED,
  QUEUED,
  RELEASED,
  type RestoredMessage,
} from "./sender.ts";
import type { ApplicationMessage } from "./types.ts";
import { checkMessage, checkPacket, describe } from "./validate.ts";
import type { VersionRules } from "./version.ts";
import { MAX_FOUR_BYTE_INTEGER } from "../primitives/four_byte_integer.ts";
import { MAX_VARIABLE_BYTE_INTEGER } from "../primitives/variable_byte_integer.ts";

/** The version of the snapshot format that this library writes and reads. */
export const SNAPSHOT_FORMAT = 1;

/**
 * Where an outgoing message stands: `"queued"` (not sent yet, no Packet
 * Identifier), `"published"` (PUBLISH sent, its PUBACK or PUBREC not
 * received: resent with DUP on a resumed session [MQTT-4.4.0-1]) or
 * `"released"` (QoS 2: PUBREC received, PUBREL due or sent, its PUBCOMP not
 * received: the PUBREL is resent [MQTT-4.3.3-6]).
 *
 * @example Usage
 * ```ts
 * import type { OutgoingStage } from "@mqtt/codec/session";
 * const stage: OutgoingStage = "released";
 * ```
 */
export type OutgoingStage = "queued" | "published" | "released";

/**
 * A message on its way to the peer, in a snapshot.
 *
 * @example A QoS 2 message whose PUBREC arrived
 * ```ts
 * import type { OutgoingMessageSnapshot } from "@mqtt/codec/session";
 *
 * const entry: OutgoingMessageSnapshot = {
 *   id: 7,
 *   message: { topic: "jobs/1", payload: new Uint8Array([1]), qos: 2, retain: false },
 *   qos: 2,
 *   retain: false,
 *   stage: "released",
 *   packetId: 3,
 * };
 * ```
 */
export interface OutgoingMessageSnapshot {
  /** Client: the id `publish()` returned, which its events carry; server: 0. */
  id: number;
  /** The application message: its topic, payload, QoS, RETAIN and properties. */
  message: ApplicationMessage;
  /** The QoS it is sent with (server: the message's, at most the granted one). */
  qos: QoS;
  /** The RETAIN flag it is sent with. */
  retain: boolean;
  /** Server: the Subscription Identifiers it is sent with [MQTT-3.3.4-3]. */
  subscriptionIdentifiers?: number[];
  /** When its Message Expiry Interval ends, in the session's milliseconds. */
  expiresAt?: number;
  /** Where it stands. */
  stage: OutgoingStage;
  /** Its Packet Identifier, when not `"queued"`. */
  packetId?: number;
  /** The Message Expiry Interval its first PUBLISH carried: a resend repeats it. */
  expiryInterval?: number;
  /** `"released"`: the reason code of its PUBREC (below 0x80). */
  pubrecCode?: number;
}

/**
 * A client's SUBSCRIBE or UNSUBSCRIBE not yet answered, in a snapshot: with
 * the Packet Identifier it was sent with, or none while it waited for one.
 *
 * @example Usage
 * ```ts
 * import type { RequestSnapshot } from "@mqtt/codec/session";
 *
 * const request: RequestSnapshot = {
 *   id: 2,
 *   packetId: 1,
 *   packet: { type: "subscribe", subscriptions: [{ topicFilter: "a/#", qos: 1 }] },
 * };
 * ```
 */
export interface RequestSnapshot {
  /** The id `subscribe()` or `unsubscribe()` returned. */
  id: number;
  /** Its Packet Identifier, if it had one. */
  packetId?: number;
  /** The request, as `subscribe()` or `unsubscribe()` made it (without Packet Identifier). */
  packet:
    | Omit<SubscribePacket, "packetId">
    | Omit<UnsubscribePacket, "packetId">;
}

/**
 * The session state of a {@linkcode ClientSession} (section 4.1) as plain,
 * structured-clone-able data: see `ClientSession.snapshot`.
 *
 * @example Usage
 * ```ts
 * import { ClientSession, type ClientSessionSnapshot } from "@mqtt/codec/session";
 *
 * const snapshot: ClientSessionSnapshot = new ClientSession({ clientId: "c" }).snapshot();
 * ```
 */
export interface ClientSessionSnapshot {
  /** The snapshot format: 1. */
  format: 1;
  /** Discriminant: a client's session. */
  role: "client";
  /** The protocol version of the session. */
  protocolVersion: ProtocolVersion;
  /** The Client Identifier (the assigned one, once the server assigned one). */
  clientId: string;
  /** MQTT 5.0: the Session Expiry Interval in force, in seconds. */
  sessionExpiryInterval: number;
  /** MQTT 5.0: the Session Expiry Interval the last CONNECT carried (section 3.14.2.2.2). */
  connectSessionExpiryInterval: number;
  /** Whether the next CONNECT resumes the session (Clean Start 0). */
  resume: boolean;
  /** The last id given to a command or event: the next is above it. */
  lastEventId: number;
  /** The last Packet Identifier given (the next new one is after it). */
  lastPacketId: number;
  /** QoS 1 and 2 messages in flight in the order they are resent, then queued messages in order. */
  messages: OutgoingMessageSnapshot[];
  /** QoS 2 Packet Identifiers received, delivered and not yet released [MQTT-4.3.3-10]. */
  awaitingRelease: number[];
  /** SUBSCRIBE and UNSUBSCRIBE requests not yet answered, in order. */
  requests: RequestSnapshot[];
}

/**
 * A subscription of a server's session, in a snapshot.
 *
 * @example Usage
 * ```ts
 * import type { SubscriptionSnapshot } from "@mqtt/codec/session";
 *
 * const subscription: SubscriptionSnapshot = {
 *   topicFilter: "sensors/#",
 *   qos: 1,
 *   noLocal: false,
 *   retainAsPublished: false,
 *   subscriptionIdentifier: 4,
 * };
 * ```
 */
export interface SubscriptionSnapshot {
  /** The topic filter (a shared subscription's with its `$share/{ShareName}/`). */
  topicFilter: string;
  /** The granted QoS. */
  qos: QoS;
  /** No Local [MQTT-3.8.3-3]. */
  noLocal: boolean;
  /** Retain As Published [MQTT-3.3.1-12]. */
  retainAsPublished: boolean;
  /** The Subscription Identifier of the SUBSCRIBE that made it. */
  subscriptionIdentifier?: number;
}

/**
 * The Will a server's session holds after its connection ended, and when
 * it is published.
 *
 * @example Usage
 * ```ts
 * import type { WillSnapshot } from "@mqtt/codec/session";
 *
 * const will: WillSnapshot = {
 *   message: { topic: "status/c", payload: new Uint8Array(), qos: 1, retain: true },
 *   publishAt: 1_700_000_060_000,
 * };
 * ```
 */
export interface WillSnapshot {
  /** The Will Message. */
  message: Will;
  /** When it is published (its Will Delay Interval ends), in the session's milliseconds. */
  publishAt: number;
}

/**
 * The session state of a {@linkcode ServerSession} (section 4.1) as plain,
 * structured-clone-able data: see `ServerSession.snapshot`.
 *
 * @example Usage
 * ```ts
 * import type { ServerSessionSnapshot } from "@mqtt/codec/session";
 *
 * function subscribedTo(snapshot: ServerSessionSnapshot): string[] {
 *   return snapshot.subscriptions.map((s) => s.topicFilter);
 * }
 * ```
 */
export interface ServerSessionSnapshot {
  /** The snapshot format: 1. */
  format: 1;
  /** Discriminant: a server's session. */
  role: "server";
  /** The protocol version of the client's last CONNECT. */
  protocolVersion: ProtocolVersion;
  /** The Client Identifier. */
  clientId: string;
  /** When the session expires, in the session's milliseconds; absent: never. */
  expiresAt?: number;
  /** The Will waiting for its Will Delay Interval, if any. */
  will?: WillSnapshot;
  /** The last Packet Identifier given (the next new one is after it). */
  lastPacketId: number;
  /** The subscriptions. */
  subscriptions: SubscriptionSnapshot[];
  /** QoS 1 and 2 messages in flight in the order they are resent, then queued messages in order. */
  messages: OutgoingMessageSnapshot[];
  /** QoS 2 Packet Identifiers received, delivered and not yet released [MQTT-4.3.3-10]. */
  awaitingRelease: number[];
}

// ------------------------------------------------------------- snapshots

const STAGES: Record<number, OutgoingStage> = {
  [QUEUED]: "queued",
  [PUBLISHED]: "published",
  [RELEASED]: "released",
};

/** The fields of an application message, copied (not a PUBLISH's other fields). */
export function messageSnapshot(
  message: ApplicationMessage,
): ApplicationMessage {
  const copy = pickMessage(message);
  if (copy.userProperties !== undefined) {
    copy.userProperties = copy.userProperties.map(([k, v]) => [k, v]);
  }
  return copy;
}

/** The fields of an application message: what a snapshot keeps of one. */
const MESSAGE_FIELDS = [
  "topic",
  "payload",
  "qos",
  "retain",
  "payloadFormatIndicator",
  "messageExpiryInterval",
  "contentType",
  "responseTopic",
  "correlationData",
  "userProperties",
] as const satisfies readonly (keyof ApplicationMessage)[];

/** The fields of an application message, as they are (not a PUBLISH's other fields). */
function pickMessage(message: ApplicationMessage): ApplicationMessage {
  const copy: Record<string, unknown> = {};
  for (const field of MESSAGE_FIELDS) {
    if (message[field] !== undefined) copy[field] = message[field];
  }
  return copy as unknown as ApplicationMessage;
}

/** An outgoing message of a sender, as a snapshot has it. */
export function outgoingSnapshot(entry: Outgoing): OutgoingMessageSnapshot {
  const snapshot: OutgoingMessageSnapshot = {
    id: entry.id,
    message: messageSnapshot(entry.message),
    qos: entry.qos,
    retain: entry.retain,
    stage: STAGES[entry.stage],
  };
  if (entry.subscriptionIdentifiers !== undefined) {
    snapshot.subscriptionIdentifiers = [...entry.subscriptionIdentifiers];
  }
  if (entry.expiresAt !== undefined) snapshot.expiresAt = entry.expiresAt;
  if (entry.stage !== QUEUED) {
    snapshot.packetId = entry.packetId;
    if (entry.expiryInterval !== undefined) {
      snapshot.expiryInterval = entry.expiryInterval;
    }
  }
  if (entry.stage === RELEASED && entry.pubrecCode !== undefined) {
    snapshot.pubrecCode = entry.pubrecCode;
  }
  return snapshot;
}

// ---------------------------------------------------------------- checks

/**
 * Reads a snapshot, field by field, with the path of each field for the
 * errors: a snapshot that is not one fails with `MqttError` 0x81 naming the
 * field, before any session is touched.
 */
class SnapshotReader {
  constructor(readonly where: string) {}

  fail(path: string, expected: string, value: unknown): never {
    throw new MqttError(
      `${this.where}: snapshot${path} must be ${expected}, got ${
        describe(value)
      }`,
      ReasonCode.MalformedPacket,
    );
  }

  object(value: unknown, path: string): Record<string, unknown> {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.fail(path, "an object", value);
    }
    return value as Record<string, unknown>;
  }

  array(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) this.fail(path, "an array", value);
    // A sparse array's holes are read as `undefined`, not skipped.
    return Array.from(value);
  }

  integer(value: unknown, path: string, min: number, max: number): number {
    if (
      typeof value !== "number" || !Number.isInteger(value) || value < min ||
      value > max
    ) {
      this.fail(path, `an integer from ${min} to ${max}`, value);
    }
    return value;
  }

  optionalInteger(
    value: unknown,
    path: string,
    min: number,
    max: number,
  ): number | undefined {
    return value === undefined
      ? undefined
      : this.integer(value, path, min, max);
  }

  time(value: unknown, path: string): number | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== "number" || !Number.isFinite(value)) {
      this.fail(path, "a finite number of milliseconds or absent", value);
    }
    return value;
  }

  boolean(value: unknown, path: string): boolean {
    if (typeof value !== "boolean") this.fail(path, "a boolean", value);
    return value;
  }

  string(value: unknown, path: string): string {
    if (typeof value !== "string") this.fail(path, "a string", value);
    return value;
  }

  packetId(value: unknown, path: string): number {
    return this.integer(value, path, 1, MAXIMUM_PACKET_ID);
  }

  /** A Packet Identifier in flight: in range, and not in `used` (then added to it). */
  claimPacketId(value: unknown, path: string, used: Set<number>): number {
    const id = this.packetId(value, path);
    if (used.has(id)) this.fail(path, "a Packet Identifier not in use", id);
    used.add(id);
    return id;
  }

  /** Runs a check of the codec's, naming the field in its error. */
  within<T>(path: string, check: () => T): T {
    try {
      return check();
    } catch (error) {
      if (!(error instanceof MqttError)) throw error;
      const prefix = `${this.where}: `;
      const message = error.message.startsWith(prefix)
        ? error.message.slice(prefix.length)
        : error.message;
      throw new MqttError(
        `${prefix}snapshot${path}: ${message}`,
        error.reasonCode,
      );
    }
  }

  /** The header of a snapshot: its format, role and protocol version. */
  header(
    value: unknown,
    role: "client" | "server",
    version: ProtocolVersion | undefined,
  ): Record<string, unknown> {
    const snapshot = this.object(value, "");
    if (snapshot.format !== SNAPSHOT_FORMAT) {
      this.fail(".format", `${SNAPSHOT_FORMAT}`, snapshot.format);
    }
    if (snapshot.role !== role) {
      this.fail(".role", `"${role}"`, snapshot.role);
    }
    const protocolVersion = snapshot.protocolVersion;
    if (
      protocolVersion !== 3 && protocolVersion !== 4 && protocolVersion !== 5
    ) {
      this.fail(".protocolVersion", "3, 4 or 5", protocolVersion);
    }
    if (version !== undefined && protocolVersion !== version) {
      throw new MqttError(
        `${this.where}: snapshot.protocolVersion is ${protocolVersion}, the options' protocolVersion ${version}`,
        ReasonCode.UnsupportedProtocolVersion,
      );
    }
    return snapshot;
  }

  /** A list of distinct Packet Identifiers. */
  packetIds(value: unknown, path: string): number[] {
    const ids = this.array(value, path).map((id, i) =>
      this.packetId(id, `${path}[${i}]`)
    );
    if (new Set(ids).size !== ids.length) {
      this.fail(path, "distinct Packet Identifiers", "a duplicate");
    }
    return ids;
  }

  /** An application message, checked as the session checks one handed to it. */
  message(
    value: unknown,
    path: string,
    rules: VersionRules,
    use: "publish" | "deliver",
  ): { message: ApplicationMessage; size: number } {
    // The fields as they are, checked as the session checks a message,
    // then copied.
    const fields = pickMessage(
      this.object(value, path) as unknown as ApplicationMessage,
    );
    const size = this.within(path, () => checkMessage(fields, rules, use));
    return { message: messageSnapshot(fields), size };
  }

  /**
   * The outgoing messages, in flight (in the order of resending) and
   * queued. Packet Identifiers in flight are marked in `usedIds`; client
   * ids in `usedEventIds`.
   */
  messages(
    value: unknown,
    rules: VersionRules,
    use: "publish" | "deliver",
    usedIds: Set<number>,
    lastEventId: number,
    usedEventIds: Set<number>,
  ): RestoredMessage[] {
    return this.array(value, ".messages").map((item, i) => {
      const path = `.messages[${i}]`;
      const entry = this.object(item, path);
      const id = use === "publish"
        ? this.eventId(entry.id, `${path}.id`, lastEventId, usedEventIds)
        : this.integer(entry.id, `${path}.id`, 0, 0);
      const { message, size } = this.message(
        entry.message,
        `${path}.message`,
        rules,
        use,
      );
      const qos = this.integer(entry.qos, `${path}.qos`, 0, 2) as QoS;
      const retain = this.boolean(entry.retain, `${path}.retain`);
      const stageName = entry.stage;
      const stage = stageName === "queued"
        ? QUEUED
        : stageName === "published"
        ? PUBLISHED
        : stageName === "released"
        ? RELEASED
        : this.fail(
          `${path}.stage`,
          `"queued", "published" or "released"`,
          stageName,
        );
      let packetId = 0;
      if (stage === QUEUED) {
        if (entry.packetId !== undefined) {
          this.fail(`${path}.packetId`, "absent while queued", entry.packetId);
        }
      } else {
        if (qos === 0 || (stage === RELEASED && qos !== 2)) {
          this.fail(
            `${path}.qos`,
            stage === RELEASED ? "2 when released" : "1 or 2 in flight",
            qos,
          );
        }
        packetId = this.claimPacketId(
          entry.packetId,
          `${path}.packetId`,
          usedIds,
        );
      }
      const pubrecCode = this.optionalInteger(
        entry.pubrecCode,
        `${path}.pubrecCode`,
        0,
        0x7f,
      );
      if (
        pubrecCode !== undefined &&
        (stage !== RELEASED || !isValidReasonCode("pubrec", pubrecCode))
      ) {
        this.fail(
          `${path}.pubrecCode`,
          "a PUBREC success code of a released message",
          pubrecCode,
        );
      }
      let subscriptionIdentifiers: number[] | undefined;
      if (entry.subscriptionIdentifiers !== undefined) {
        if (use === "publish") {
          this.fail(
            `${path}.subscriptionIdentifiers`,
            "absent (a client sends none)",
            entry.subscriptionIdentifiers,
          );
        }
        subscriptionIdentifiers = this.array(
          entry.subscriptionIdentifiers,
          `${path}.subscriptionIdentifiers`,
        ).map((n, j) =>
          this.integer(
            n,
            `${path}.subscriptionIdentifiers[${j}]`,
            1,
            MAX_VARIABLE_BYTE_INTEGER, // section 3.8.2.1.2
          )
        );
      }
      return {
        id,
        message,
        qos,
        retain,
        subscriptionIdentifiers,
        size,
        expiresAt: this.time(entry.expiresAt, `${path}.expiresAt`),
        stage,
        packetId,
        expiryInterval: stage === QUEUED ? undefined : this.optionalInteger(
          entry.expiryInterval,
          `${path}.expiryInterval`,
          1,
          MAX_FOUR_BYTE_INTEGER,
        ),
        pubrecCode,
      };
    });
  }

  /** A client's id of a command: 1 up to the last one given, used once. */
  eventId(
    value: unknown,
    path: string,
    lastEventId: number,
    used: Set<number>,
  ): number {
    const id = this.integer(value, path, 1, lastEventId);
    if (used.has(id)) this.fail(path, "an id used once", id);
    used.add(id);
    return id;
  }
}

/** A client's request of a snapshot, checked: its packet carries `packetId` or the placeholder 1. */
export interface RestoredRequest {
  readonly id: number;
  readonly packetId: number | undefined;
  readonly packet: SubscribePacket | UnsubscribePacket;
}

/** A client's snapshot, checked. */
export interface RestoredClient {
  readonly clientId: string;
  readonly sessionExpiryInterval: number;
  readonly connectSessionExpiryInterval: number;
  readonly resume: boolean;
  readonly lastEventId: number;
  readonly lastPacketId: number;
  readonly messages: RestoredMessage[];
  readonly awaitingRelease: number[];
  readonly requests: RestoredRequest[];
}

/**
 * Checks a client's snapshot completely, for a session of `rules`' version.
 *
 * @throws {MqttError} 0x81 naming the field that is wrong; 0x84 for a
 * snapshot of another protocol version.
 */
export function readClientSnapshot(
  value: unknown,
  rules: VersionRules,
  where: string,
): RestoredClient {
  const read = new SnapshotReader(where);
  const snapshot = read.header(value, "client", rules.version);
  const clientId = read.string(snapshot.clientId, ".clientId");
  const lastEventId = read.integer(
    snapshot.lastEventId,
    ".lastEventId",
    0,
    Number.MAX_SAFE_INTEGER,
  );
  const usedIds = new Set<number>();
  const usedEventIds = new Set<number>();
  const messages = read.messages(
    snapshot.messages,
    rules,
    "publish",
    usedIds,
    lastEventId,
    usedEventIds,
  );
  const requests = read.array(snapshot.requests, ".requests").map(
    (item, i): RestoredRequest => {
      const path = `.requests[${i}]`;
      const entry = read.object(item, path);
      const id = read.eventId(
        entry.id,
        `${path}.id`,
        lastEventId,
        usedEventIds,
      );
      let packetId: number | undefined;
      if (entry.packetId !== undefined) {
        packetId = read.claimPacketId(
          entry.packetId,
          `${path}.packetId`,
          usedIds,
        );
      }
      const stored = read.object(entry.packet, `${path}.packet`);
      if (stored.type !== "subscribe" && stored.type !== "unsubscribe") {
        read.fail(
          `${path}.packet.type`,
          `"subscribe" or "unsubscribe"`,
          stored.type,
        );
      }
      const packet = {
        ...stored,
        packetId: packetId ?? 1,
      } as unknown as SubscribePacket | UnsubscribePacket;
      read.within(`${path}.packet`, () => checkPacket(packet, rules, where));
      return { id, packetId, packet };
    },
  );
  return {
    clientId,
    sessionExpiryInterval: read.integer(
      snapshot.sessionExpiryInterval,
      ".sessionExpiryInterval",
      0,
      MAX_FOUR_BYTE_INTEGER,
    ),
    connectSessionExpiryInterval: read.integer(
      snapshot.connectSessionExpiryInterval,
      ".connectSessionExpiryInterval",
      0,
      MAX_FOUR_BYTE_INTEGER,
    ),
    resume: read.boolean(snapshot.resume, ".resume"),
    lastEventId,
    lastPacketId: read.integer(
      snapshot.lastPacketId,
      ".lastPacketId",
      0,
      MAXIMUM_PACKET_ID,
    ),
    messages,
    awaitingRelease: read.packetIds(
      snapshot.awaitingRelease,
      ".awaitingRelease",
    ),
    requests,
  };
}

/** A server's subscription of a snapshot, checked. */
export interface RestoredSubscription {
  readonly topicFilter: string;
  readonly qos: QoS;
  readonly noLocal: boolean;
  readonly retainAsPublished: boolean;
  readonly subscriptionIdentifier: number | undefined;
}

/** A server's snapshot, checked. */
export interface RestoredServer {
  readonly protocolVersion: ProtocolVersion;
  readonly clientId: string;
  readonly expiresAt: number | undefined;
  readonly will:
    | { readonly message: Will; readonly publishAt: number }
    | undefined;
  readonly lastPacketId: number;
  readonly subscriptions: RestoredSubscription[];
  readonly messages: RestoredMessage[];
  readonly awaitingRelease: number[];
}

/**
 * Checks a server's snapshot completely; `rulesOf` gives the rules of its
 * protocol version.
 *
 * @throws {MqttError} 0x81 naming the field that is wrong.
 */
export function readServerSnapshot(
  value: unknown,
  rulesOf: (version: ProtocolVersion) => VersionRules,
  where: string,
): RestoredServer {
  const read = new SnapshotReader(where);
  const snapshot = read.header(value, "server", undefined);
  const protocolVersion = snapshot.protocolVersion as ProtocolVersion;
  const rules = rulesOf(protocolVersion);
  const clientId = read.string(snapshot.clientId, ".clientId");
  // An accepted session always has one: the client's, or the one the
  // server assigned to an empty CONNECT's [MQTT-3.1.3-6] (and snapshot()
  // refuses a session not accepted yet).
  if (clientId === "") {
    read.fail(".clientId", "a Client Identifier, not empty", clientId);
  }
  // A Client Identifier a CONNECT of its version can carry.
  read.within(".clientId", () =>
    checkPacket(
      {
        type: "connect",
        protocolVersion,
        clientId,
        cleanStart: true,
        keepAlive: 0,
      },
      rules,
      where,
    ));
  let will: RestoredServer["will"];
  if (snapshot.will !== undefined) {
    const stored = read.object(snapshot.will, ".will");
    const publishAt = read.time(stored.publishAt, ".will.publishAt") ??
      read.fail(
        ".will.publishAt",
        "a finite number of milliseconds",
        undefined,
      );
    const { message } = read.message(
      stored.message,
      ".will.message",
      rules,
      "deliver",
    );
    const delay = read.optionalInteger(
      (stored.message as Will).willDelayInterval,
      ".will.message.willDelayInterval",
      0,
      MAX_FOUR_BYTE_INTEGER,
    );
    const willMessage: Will = message;
    if (delay !== undefined) willMessage.willDelayInterval = delay;
    will = { message: willMessage, publishAt };
  }
  const seen = new Set<string>();
  const subscriptions = read.array(snapshot.subscriptions, ".subscriptions")
    .map((item, i): RestoredSubscription => {
      const path = `.subscriptions[${i}]`;
      const entry = read.object(item, path);
      const topicFilter = read.string(entry.topicFilter, `${path}.topicFilter`);
      if (seen.has(topicFilter)) {
        read.fail(
          `${path}.topicFilter`,
          "a filter not listed before",
          topicFilter,
        );
      }
      seen.add(topicFilter);
      const subscription: RestoredSubscription = {
        topicFilter,
        qos: read.integer(entry.qos, `${path}.qos`, 0, 2) as QoS,
        noLocal: read.boolean(entry.noLocal, `${path}.noLocal`),
        retainAsPublished: read.boolean(
          entry.retainAsPublished,
          `${path}.retainAsPublished`,
        ),
        subscriptionIdentifier: read.optionalInteger(
          entry.subscriptionIdentifier,
          `${path}.subscriptionIdentifier`,
          1,
          MAX_VARIABLE_BYTE_INTEGER, // section 3.8.2.1.2
        ),
      };
      // The filter as the codec checks a SUBSCRIBE's.
      read.within(`${path}.topicFilter`, () =>
        checkPacket(
          {
            type: "subscribe",
            packetId: 1,
            subscriptions: [{ topicFilter, qos: subscription.qos }],
          },
          rules,
          where,
        ));
      return subscription;
    });
  return {
    protocolVersion,
    clientId,
    expiresAt: read.time(snapshot.expiresAt, ".expiresAt"),
    will,
    lastPacketId: read.integer(
      snapshot.lastPacketId,
      ".lastPacketId",
      0,
      MAXIMUM_PACKET_ID,
    ),
    subscriptions,
    messages: read.messages(
      snapshot.messages,
      rules,
      "deliver",
      new Set(),
      0,
      new Set(),
    ),
    awaitingRelease: read.packetIds(
      snapshot.awaitingRelease,
      ".awaitingRelease",
    ),
  };
}
