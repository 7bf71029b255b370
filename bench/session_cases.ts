/**
 * The session layer's cost: a client session and a server session doing
 * the bookkeeping of one QoS 1 (or QoS 2) exchange each way, packets passed
 * as objects, next to the codec alone encoding and decoding the very same
 * packets. The layer may add at most 25% to the codec's cost: the codec's
 * time must be at least 4 times the sessions'.
 *
 * One iteration, for QoS 1: the client publishes the small PUBLISH of
 * `packets.ts` (20-character topic, 64-byte payload, one User Property);
 * the server session takes it (a `message` event), acknowledges it, and
 * delivers it back to the client through the client's subscription (the
 * broker's echo); the client takes it and acknowledges it; both PUBACKs
 * complete their exchanges (a `published` event). QoS 2 is the same with
 * PUBREC, PUBREL and PUBCOMP. The codec case encodes and decodes each of
 * those packets once. Everything is acknowledged at the end of an
 * iteration, so the sessions hold no state from one to the next.
 *
 * @module
 */

import { decode, encode, type Packet, type PublishPacket } from "../mod.ts";
import {
  type ApplicationMessage,
  ClientSession,
  type ClientSessionSnapshot,
  ServerSession,
} from "../src/entries/session.ts";
import type { Case } from "./cases.ts";
import { SMALL_PUBLISH } from "./packets.ts";

/** Keeps every result reachable, so that no work is optimised away. */
let sink = 0;

const published = SMALL_PUBLISH as PublishPacket;

/** The message of an exchange: the small PUBLISH's topic, payload and User Property. */
function message(qos: 1 | 2): ApplicationMessage {
  return {
    topic: published.topic,
    payload: published.payload,
    qos,
    retain: false,
    userProperties: published.userProperties,
  };
}

/**
 * Moves packets between a client and a server session until both are quiet:
 * the server accepts a CONNECT and echoes every message to the client's
 * subscription. `carry` is what a packet goes through on its way.
 */
function exchange(
  client: ClientSession,
  server: ServerSession,
  carry: (packet: Packet) => Packet,
): void {
  for (let moved = true; moved;) {
    moved = false;
    for (let p; (p = client.pollTransmit()) !== undefined; moved = true) {
      server.handlePacket(carry(p), 0);
    }
    for (let e; (e = server.pollEvent()) !== undefined; moved = true) {
      if (e.type === "connect") server.accept({}, 0);
      if (e.type === "message") {
        server.deliver({ message: e.message, topicFilters: ALL }, 0);
      }
    }
    for (let p; (p = server.pollTransmit()) !== undefined; moved = true) {
      client.handlePacket(carry(p), 0);
    }
    for (let e; (e = client.pollEvent()) !== undefined; moved = true) {
      sink += e.type.length;
    }
  }
}

const ALL = ["#"];
const same = (packet: Packet) => packet;

/** A client connected to a server session, subscribed to everything at QoS 2. */
function connectedPair(): { client: ClientSession; server: ServerSession } {
  const client = new ClientSession({ clientId: "bench", keepAlive: 0 });
  const server = new ServerSession({ maximumInFlight: 10 });
  client.connectionOpened(0);
  client.subscribe({ subscriptions: [{ topicFilter: "#", qos: 2 }] }, 0);
  exchange(client, server, same);
  return { client, server };
}

/** The session work of one exchange each way; with `codec`, every packet is encoded and decoded too. */
function sessionExchange(qos: 1 | 2, codec: boolean): () => void {
  const { client, server } = connectedPair();
  const outgoing = message(qos);
  const carry = codec ? (p: Packet) => decode(encode(p)) : same;
  return () => {
    client.publish(outgoing, 0);
    exchange(client, server, carry);
  };
}

/** The codec alone on the packets of one exchange each way, as the sessions send them. */
function codecExchange(qos: 1 | 2): () => void {
  const packets: Packet[] = [];
  const { client, server } = connectedPair();
  client.publish(message(qos), 0);
  exchange(client, server, (p) => {
    packets.push(p);
    return p;
  });
  return () => {
    for (let i = 0; i < packets.length; i++) {
      sink += decode(encode(packets[i])).type.length;
    }
  };
}

/** Makes the synchronous cases of one group (`baseline` marks its "ours"). */
function caseMaker(
  group: string,
): (name: string, fn: () => void, baseline?: boolean) => Case {
  return (name, fn, baseline = false) => ({
    group,
    name: `${group}/${name}`,
    baseline,
    fn,
    async: false,
    slow: false,
  });
}

function cases(qos: 1 | 2): Case[] {
  const make = caseMaker(`session-qos${qos}`);
  return [
    make("ours", sessionExchange(qos, false), true),
    make("codec", codecExchange(qos)),
    make("ours+codec", sessionExchange(qos, true)),
  ];
}

/**
 * A client holding 1,000 QoS 1 messages of the small PUBLISH, 100 of them
 * in flight (sent, not acknowledged) and 900 queued: what a process saves
 * to survive a restart.
 */
function loadedClient(): ClientSession {
  const client = new ClientSession({
    clientId: "bench",
    keepAlive: 0,
    maximumInFlight: 100,
  });
  client.connectionOpened(0);
  client.pollTransmit(); // the CONNECT
  client.handlePacket(
    { type: "connack", sessionPresent: false, reasonCode: 0 },
    0,
  );
  for (let i = 0; i < 1_000; i++) client.publish(message(1), 0);
  while (client.pollTransmit() !== undefined) {
    // the 100 PUBLISH packets in flight
  }
  return client;
}

/**
 * Saving and restoring that client (`snapshot()`, then
 * `ClientSession.restore`), next to what storing the same state costs
 * anyway: a `structuredClone` of the snapshot (what IndexedDB or Deno KV
 * does with it), and encoding the 1,000 PUBLISH packets the messages are.
 */
function snapshotCases(): Case[] {
  const options = { clientId: "bench", keepAlive: 0, maximumInFlight: 100 };
  // Made on first use, not when the module loads: a loaded session built
  // before the exchanges above are timed makes them 2 to 3 times slower
  // (measured), as their code then also serves other shapes.
  let fixture:
    | {
      client: ClientSession;
      snapshot: ClientSessionSnapshot;
      packets: PublishPacket[];
    }
    | undefined;
  const loaded = () => {
    if (fixture !== undefined) return fixture;
    const client = loadedClient();
    fixture = {
      client,
      snapshot: client.snapshot(),
      packets: Array.from({ length: 1_000 }, (_, i) => ({
        ...published,
        qos: 1,
        packetId: i + 1,
      })),
    };
    return fixture;
  };
  const make = caseMaker("session-snapshot");
  return [
    make("ours", () => {
      sink += ClientSession.restore(loaded().client.snapshot(), options).stats
        .queuedMessages;
    }, true),
    make("snapshot", () => {
      sink += loaded().client.snapshot().messages.length;
    }),
    make("structuredClone", () => {
      sink += structuredClone(loaded().snapshot).messages.length;
    }),
    make("encode", () => {
      const { packets } = loaded();
      for (let i = 0; i < packets.length; i++) {
        sink += encode(packets[i]).length;
      }
    }),
  ];
}

/**
 * The session cases: QoS 1 and QoS 2 exchanges, each with the codec alone
 * on the same packets, and saving and restoring a loaded session.
 */
export const SESSION_CASES: Case[] = [
  ...cases(1),
  ...cases(2),
  ...snapshotCases(),
];
