/**
 * Sessions under arbitrary peers: random valid packets of every type (with
 * Packet Identifiers from a small range, so that they meet the messages in
 * flight), mixed with commands and time. Whatever the peer sends, a session
 * never throws, every packet it gives encodes, and every event is one it
 * documents; a violation ends the connection, after which it can connect
 * again.
 */

import { assert } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import fc from "fast-check";
import {
  encode,
  type Packet,
  type PacketType,
  type ProtocolVersion,
} from "../../mod.ts";
import {
  type ApplicationMessage,
  ClientSession,
  ServerSession,
} from "../../src/entries/session.ts";
import {
  arbitraryOf,
  packetArbitrary,
  topicNameArbitrary,
} from "../arbitraries.ts";

const CLIENT_EVENTS = new Set([
  "connected",
  "message",
  "published",
  "subscribed",
  "unsubscribed",
  "auth",
  "dropped",
  "disconnected",
]);
const SERVER_EVENTS = new Set([
  "connect",
  "message",
  "subscribe",
  "subscribed",
  "unsubscribe",
  "unsubscribed",
  "auth",
  "will",
  "dropped",
  "disconnected",
  "ended",
]);

type Step =
  | { kind: "packet"; packet: Packet }
  | { kind: "publish"; topic: string; qos: 0 | 1 | 2 }
  | { kind: "tick"; ms: number };

/** A packet whose identifier, if any, is from 1 to 4. */
function nearIdentifiers(packet: Packet, small: number): Packet {
  return "packetId" in packet && packet.packetId !== undefined
    ? { ...packet, packetId: 1 + small % 4 } as Packet
    : packet;
}

/** What a server sends a client, and what a client sends a server. */
const FROM_SERVER: PacketType[] = [
  "publish",
  "puback",
  "pubrec",
  "pubrel",
  "pubcomp",
  "suback",
  "unsuback",
  "pingresp",
  "disconnect",
  "auth",
];
const FROM_CLIENT: PacketType[] = [
  "publish",
  "puback",
  "pubrec",
  "pubrel",
  "pubcomp",
  "subscribe",
  "unsubscribe",
  "pingreq",
  "disconnect",
  "auth",
];

/**
 * Steps for a session whose peer mostly sends what it may (`expected`),
 * sometimes anything.
 */
function steps(
  version: ProtocolVersion,
  expected: PacketType[],
): fc.Arbitrary<Step[]> {
  const types = expected.filter((type) => version === 5 || type !== "auth");
  const packet = (arbitrary: fc.Arbitrary<Packet>) =>
    fc.tuple(arbitrary, fc.nat()).map(([packet, small]) => ({
      kind: "packet" as const,
      packet: nearIdentifiers(packet, small),
    }));
  return fc.array(
    fc.oneof(
      {
        weight: 8,
        arbitrary: packet(
          fc.oneof(...types.map((type) => arbitraryOf(type, version))),
        ),
      },
      { weight: 1, arbitrary: packet(packetArbitrary(version)) },
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant("publish" as const),
          topic: topicNameArbitrary(),
          qos: fc.constantFrom(0 as const, 1 as const, 2 as const),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant("tick" as const),
          ms: fc.constantFrom(0, 1_000, 40_000),
        }),
      },
    ),
    { maxLength: 60 },
  );
}

function checkOutputs(
  poll: () => Packet | undefined,
  events: () => { type: string } | undefined,
  known: Set<string>,
  version: ProtocolVersion,
): void {
  for (let p; (p = poll()) !== undefined;) {
    encode(p, { protocolVersion: p.type === "connect" ? undefined : version });
  }
  for (let e; (e = events()) !== undefined;) {
    assert(known.has(e.type), `unknown event ${e.type}`);
  }
}

const options = fc.record({
  version: fc.constantFrom(
    3 as ProtocolVersion,
    4 as ProtocolVersion,
    5 as ProtocolVersion,
  ),
  manualAcknowledgement: fc.boolean(),
  strictReceiveMaximum: fc.boolean(),
  small: fc.boolean(),
});

/** The inputs both sessions take, for {@linkcode play}. */
interface Inputs {
  handlePacket(packet: Packet, now: number): void;
  handleTimeout(now: number): void;
}

/**
 * Plays the steps: packets and time to the current session, messages to
 * `send`; after each step the outputs are checked by `drain`, and a session
 * whose connection `ended()` gets a new one from `reconnect`.
 */
function play(
  run: Step[],
  session: () => Inputs,
  send: (message: ApplicationMessage, now: number) => void,
  drain: (now: number) => void,
  ended: () => boolean,
  reconnect: (now: number) => void,
): void {
  let now = 0;
  reconnect(now);
  for (const step of run) {
    if (step.kind === "packet") session().handlePacket(step.packet, now);
    else if (step.kind === "tick") {
      now += step.ms;
      session().handleTimeout(now);
    } else {
      const { topic, qos } = step;
      send({ topic, payload: new Uint8Array(8), qos, retain: false }, now);
    }
    drain(now);
    if (ended()) reconnect(now);
  }
}

describe("sessions under arbitrary peers", () => {
  it("a ClientSession never throws, and gives only packets that encode", () => {
    fc.assert(
      fc.property(
        options.chain((o) =>
          fc.tuple(fc.constant(o), steps(o.version, FROM_SERVER))
        ),
        ([o, run]) => {
          const v5 = o.version === 5;
          const session = new ClientSession({
            protocolVersion: o.version,
            clientId: "fuzz",
            manualAcknowledgement: o.manualAcknowledgement,
            strictReceiveMaximum: o.strictReceiveMaximum,
            ...(v5 && o.small
              ? {
                receiveMaximum: 2,
                topicAliasMaximum: 2,
                maximumPacketSize: 200,
              }
              : {}),
          });
          const drain = () =>
            checkOutputs(
              () => session.pollTransmit(),
              () => session.pollEvent(),
              CLIENT_EVENTS,
              o.version,
            );
          play(
            run,
            () => session,
            (message, now) => {
              try {
                session.publish(message, now);
              } catch (error) {
                // A message the server does not take: refused by the command.
                assert(String(error).startsWith("MqttError"), String(error));
              }
            },
            drain,
            () => session.state === "disconnected",
            (now) => {
              session.connectionOpened(now);
              session.handlePacket({
                type: "connack",
                sessionPresent: false,
                reasonCode: 0,
                ...(v5 && o.small
                  ? {
                    receiveMaximum: 1,
                    topicAliasMaximum: 1,
                    maximumPacketSize: 300,
                  }
                  : {}),
              }, now);
              drain();
            },
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a ServerSession never throws, and gives only packets that encode", () => {
    fc.assert(
      fc.property(
        options.chain((o) =>
          fc.tuple(fc.constant(o), steps(o.version, FROM_CLIENT))
        ),
        ([o, run]) => {
          const v5 = o.version === 5;
          const serverOptions = {
            manualAcknowledgement: o.manualAcknowledgement,
            strictReceiveMaximum: o.strictReceiveMaximum,
            ...(o.small
              ? {
                receiveMaximum: 2,
                topicAliasMaximum: 2,
                maximumQueuedMessages: 3,
              }
              : {}),
          };
          let session = new ServerSession(serverOptions);
          const drain = (now: number) => {
            for (let p; (p = session.pollTransmit()) !== undefined;) {
              encode(p, { protocolVersion: o.version });
            }
            for (let e; (e = session.pollEvent()) !== undefined;) {
              assert(SERVER_EVENTS.has(e.type), `unknown event ${e.type}`);
              if (e.type === "connect") session.accept({}, now);
              // Answers as the application would: with what is proposed.
              if (e.type === "subscribe" || e.type === "unsubscribe") {
                session.acknowledge({ id: e.id }, now);
              }
              if (e.type === "message" && e.id !== undefined) {
                session.acknowledge({ id: e.id, reasonCode: 0x10 }, now);
              }
            }
          };
          play(
            run,
            () => session,
            (message, now) => session.deliver({ message }, now),
            drain,
            () =>
              session.state === "closed" || session.state === "disconnected",
            (now) => {
              session = new ServerSession(serverOptions);
              session.handlePacket({
                type: "connect",
                protocolVersion: o.version,
                clientId: "fuzz",
                cleanStart: true,
                keepAlive: 10,
                ...(v5 && o.small
                  ? {
                    receiveMaximum: 1,
                    topicAliasMaximum: 1,
                    maximumPacketSize: 300,
                  }
                  : {}),
              }, now);
              drain(now);
              session.handlePacket({
                type: "subscribe",
                packetId: 9,
                subscriptions: [{ topicFilter: "#", qos: 2 }],
              }, now);
              drain(now);
            },
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
