/**
 * The example broker (examples/broker.ts) against our own packet-level
 * client (PacketReader/PacketWriter over Deno TCP and WebSocket): every
 * feature the broker claims, checked on the wire. Where a test must show
 * that something did NOT arrive, it publishes a marker afterwards and checks
 * that the marker is the next packet: MQTT keeps order per connection, so
 * no timing is involved.
 */

import {
  assert,
  assertEquals,
  assertExists,
  assertMatch,
  assertRejects,
  assertStringIncludes,
} from "@std/assert";
import { afterEach, beforeEach, describe, it } from "@std/testing/bdd";
import { encode, type Packet, type PublishPacket, ReasonCode } from "../mod.ts";
import {
  type BrokerOptions,
  type RunningBroker,
  startBroker,
} from "../examples/broker.ts";
import { FakeTime } from "@std/testing/time";
import { delay, waitUntil } from "./support/net.ts";
import { rawWebSocketClient } from "./support/raw_web_socket.ts";
import {
  type Address,
  bytes,
  type ConnectFields,
  TestClient,
  text,
} from "./support/test_client.ts";

/** Each packet's type and reason code, for compact comparisons. */
function summary(packets: Packet[]): [string, number | undefined][] {
  return packets.map((
    packet,
  ) => [packet.type, (packet as { reasonCode?: number }).reasonCode]);
}

describe("examples/broker.ts against our client", () => {
  let broker: RunningBroker;
  let clients: TestClient[] = [];

  beforeEach(async () => {
    broker = await startBroker({ port: 0, wsPort: 0, clock: () => Date.now() });
  });

  /** Replaces the test's broker with one started with `options`. */
  async function restart(options: BrokerOptions): Promise<void> {
    await broker.close();
    // Date.now: the clock FakeTime drives.
    broker = await startBroker({
      port: 0,
      wsPort: null,
      clock: () => Date.now(),
      ...options,
    });
  }

  afterEach(async () => {
    for (const client of clients) client.close();
    clients = [];
    await broker.close();
  });

  async function connect(
    fields: ConnectFields = {},
    address: Address = broker.tcpPort,
  ): Promise<TestClient> {
    const client = await TestClient.connect(address, fields);
    clients.push(client);
    return client;
  }

  async function connectRaw(fields: ConnectFields = {}) {
    const result = await TestClient.connectRaw(broker.tcpPort, fields);
    clients.push(result.client);
    return result;
  }

  /** Publishes a QoS 0 marker on `topic` and checks it is the next packet `client` gets. */
  async function expectMarkerNext(client: TestClient, topic: string) {
    const publisher = await connect({ clientId: `marker-${topic}` });
    await publisher.publish({ topic, payload: bytes("marker") });
    const next = await client.next();
    assertEquals(next.type, "publish");
    assertEquals((next as PublishPacket).topic, topic);
  }

  describe("CONNECT", () => {
    it("assigns a client identifier to an empty one (5.0) and announces its limits", async () => {
      const { connack } = await connectRaw({ clientId: "" });
      assertEquals(connack.reasonCode, ReasonCode.Success);
      assertEquals(connack.sessionPresent, false);
      assertMatch(connack.assignedClientIdentifier ?? "", /^auto-/);
      assertEquals(connack.topicAliasMaximum, 10);
      assertEquals(connack.receiveMaximum, 100);
      assertEquals(connack.maximumPacketSize, 16 * 1024 * 1024);
      // Shared subscriptions, wildcards, Subscription Identifiers, QoS 2
      // and retained messages are all available: nothing said.
      for (
        const absent of [
          "sharedSubscriptionAvailable",
          "wildcardSubscriptionAvailable",
          "subscriptionIdentifiersAvailable",
          "maximumQoS",
          "retainAvailable",
        ] as const
      ) {
        assertEquals(connack[absent], undefined, absent);
      }
    });

    it("3.1.1: accepts an empty client id with clean session, refuses it without (return code 2) [MQTT-3.1.3-8]", async () => {
      const accepted = await connectRaw({ protocolVersion: 4, clientId: "" });
      assertEquals(accepted.connack, {
        type: "connack",
        sessionPresent: false,
        reasonCode: 0,
      });
      // Our encoder will not write this CONNECT: raw bytes.
      const refused = await TestClient.open(broker.tcpPort, 4);
      clients.push(refused);
      await refused.sendBytes(
        new Uint8Array([0x10, 12, 0, 4, ...bytes("MQTT"), 4, 0, 0, 60, 0, 0]),
      );
      assertEquals(await refused.untilClosed(), [
        { type: "connack", sessionPresent: false, reasonCode: 2 },
      ]);
    });

    it("refuses extended authentication with 0x8C and closes", async () => {
      const { client, connack } = await connectRaw({
        authenticationMethod: "SCRAM-SHA-256",
      });
      assertEquals(connack.reasonCode, ReasonCode.BadAuthenticationMethod);
      assertEquals(await client.untilClosed(), []);
    });

    it("refuses a protocol level it does not speak with return code 1 [MQTT-3.1.2-2]", async () => {
      const client = await TestClient.open(broker.tcpPort, 4);
      clients.push(client);
      const name = bytes("MQIsdp");
      // "MQIsdp" is MQTT 3.1, level 3: level 4 does not go with it
      await client.sendBytes(
        new Uint8Array([0x10, 15, 0, 6, ...name, 4, 0x02, 0, 60, 0, 1, 0x78]),
      );
      assertEquals(await client.untilClosed(), [
        { type: "connack", sessionPresent: false, reasonCode: 1 },
      ]);
    });

    it("takes a session over: the old connection gets DISCONNECT 0x8E and is closed [MQTT-3.1.4-3]", async () => {
      const old = await connect({ clientId: "same" });
      const taker = await connect({ clientId: "same" });
      const packets = await old.untilClosed();
      assertEquals(packets.length, 1);
      assertEquals(packets[0].type, "disconnect");
      assertEquals(
        (packets[0] as Packet & { reasonCode?: number }).reasonCode,
        ReasonCode.SessionTakenOver,
      );
      await taker.send({ type: "pingreq" });
      await taker.expect("pingresp");
      // MQTT 3.1.1 has no server DISCONNECT: the old connection just closes.
      const old4 = await connect({ clientId: "same4", protocolVersion: 4 });
      await connect({ clientId: "same4", protocolVersion: 4 });
      assertEquals(await old4.untilClosed(), []);
    });
  });

  describe("publish and subscribe", () => {
    it("routes with + and # at QoS 0, 1 and 2 both ways, at the lower of the two QoS", async () => {
      const sub = await connect({ clientId: "sub" });
      const suback = await sub.subscribe([
        { topicFilter: "home/+/temp", qos: 2 },
        { topicFilter: "office/#", qos: 1 },
      ]);
      assertEquals(suback.reasonCodes, [2, 1]);
      const pub = await connect({ clientId: "pub" });
      for (const qos of [0, 1, 2] as const) {
        const acks = await pub.publish({
          topic: "home/kitchen/temp",
          payload: bytes(`kitchen ${qos}`),
          qos,
        });
        const expected: [string, number][][] = [
          [],
          [["puback", 0]],
          [["pubrec", 0], ["pubcomp", 0]],
        ];
        assertEquals(summary(acks), expected[qos]);
        const message = await sub.receive();
        assertEquals(message.topic, "home/kitchen/temp");
        assertEquals(text(message.payload), `kitchen ${qos}`);
        assertEquals(message.qos, qos);
        assertEquals(message.retain, false);
        assertEquals(message.dup, false);
      }
      // "office/#" matches its parent level "office" too, granted QoS 1.
      await pub.publish({ topic: "office", payload: bytes("o"), qos: 2 });
      const office = await sub.receive();
      assertEquals([office.topic, office.qos], ["office", 1]);
      await pub.publish({ topic: "office/a/b", payload: bytes("ab"), qos: 0 });
      assertEquals((await sub.receive()).topic, "office/a/b");
      // No match: PUBACK says so (0x10), and nothing arrives.
      const [puback] = await pub.publish({ topic: "home/a/temp/x", qos: 1 });
      assertEquals(
        (puback as { reasonCode?: number }).reasonCode,
        ReasonCode.NoMatchingSubscribers,
      );
      await pub.publish({ topic: "garden", qos: 0 });
      await expectMarkerNext(sub, "office/end");
    });

    it("keeps $ topics from leading wildcards [MQTT-4.7.2-1]", async () => {
      const all = await connect({ clientId: "all" });
      await all.subscribe([
        { topicFilter: "#", qos: 0 },
        { topicFilter: "+/status", qos: 0 },
      ]);
      const sys = await connect({ clientId: "sys" });
      await sys.subscribe("$SYS/#");
      const pub = await connect({ clientId: "pub" });
      await pub.publish({ topic: "$SYS/status", payload: bytes("s") });
      await pub.publish({ topic: "app/status", payload: bytes("a") });
      assertEquals((await sys.receive()).topic, "$SYS/status");
      // $SYS/status was published first: had "#" matched it, it would be first.
      assertEquals((await all.receive()).topic, "app/status");
      // Two matching subscriptions, one copy.
      await expectMarkerNext(all, "zz");
    });

    it("overlapping subscriptions: one copy at the highest QoS with every Subscription Identifier [MQTT-3.3.4-2] [MQTT-3.3.4-4]", async () => {
      const sub = await connect({ clientId: "overlap" });
      await sub.subscribe([{ topicFilter: "a/+", qos: 0 }], {
        subscriptionIdentifier: 1,
      });
      await sub.subscribe([{ topicFilter: "a/#", qos: 2 }], {
        subscriptionIdentifier: 2,
      });
      await sub.subscribe([{ topicFilter: "a/b", qos: 1 }]);
      const pub = await connect({ clientId: "pub" });
      await pub.publish({ topic: "a/b", payload: bytes("x"), qos: 2 });
      const message = await sub.receive();
      assertEquals(message.qos, 2);
      assertEquals(message.subscriptionIdentifiers?.toSorted(), [1, 2]);
      await expectMarkerNext(sub, "a/c");
    });

    it("No Local: a client's own messages skip its No Local subscriptions [MQTT-3.8.3-3]", async () => {
      const me = await connect({ clientId: "me" });
      await me.subscribe([{ topicFilter: "chat/#", qos: 1, noLocal: true }]);
      const other = await connect({ clientId: "other" });
      await me.publish({ topic: "chat/mine", payload: bytes("1"), qos: 1 });
      await other.publish({
        topic: "chat/theirs",
        payload: bytes("2"),
        qos: 1,
      });
      assertEquals((await me.receive()).topic, "chat/theirs");
    });

    it("unsubscribe: UNSUBACK with Success and No subscription existed; no more messages", async () => {
      const client = await connect({ clientId: "u" });
      await client.subscribe("u/1");
      await client.subscribe("m");
      await client.send({
        type: "unsubscribe",
        packetId: 9,
        topicFilters: ["u/1", "u/2"],
      });
      assertEquals(await client.expect("unsuback"), {
        type: "unsuback",
        packetId: 9,
        reasonCodes: [ReasonCode.Success, ReasonCode.NoSubscriptionExisted],
      });
      const pub = await connect({ clientId: "pub" });
      await pub.publish({ topic: "u/1", payload: bytes("gone") });
      await expectMarkerNext(client, "m");
    });

    it("shared subscriptions: each message to one member, in turn [MQTT-4.8.2-*]; plain subscriptions get theirs; MQTT 3.1.1 gets 0x80 for $share", async () => {
      const members = [
        await connect({ clientId: "m1" }),
        await connect({ clientId: "m2" }),
        await connect({ clientId: "m3" }),
      ];
      for (const member of members) {
        const suback = await member.subscribe([
          { topicFilter: "$share/group/jobs/+", qos: 1 },
        ]);
        assertEquals(suback.reasonCodes, [1]);
      }
      const plain = await connect({ clientId: "auditor" });
      await plain.subscribe("jobs/#");
      const publisher = await connect({ clientId: "boss" });
      for (let i = 0; i < 6; i++) {
        await publisher.publish({
          topic: `jobs/${i}`,
          qos: 1,
          payload: bytes(`${i}`),
        });
      }
      // In turn: two each, in order.
      for (const [index, member] of members.entries()) {
        const got = [await member.receive(), await member.receive()];
        assertEquals(
          got.map((message) => text(message.payload)),
          [`${index}`, `${index + 3}`],
        );
      }
      const audited: string[] = [];
      for (let i = 0; i < 6; i++) {
        audited.push(text((await plain.receive()).payload));
      }
      assertEquals(audited, ["0", "1", "2", "3", "4", "5"]);

      const v4 = await connect({ clientId: "s4", protocolVersion: 4 });
      const suback4 = await v4.subscribe([
        { topicFilter: "$share/group/t", qos: 1 },
        { topicFilter: "t/#", qos: 2 },
      ]);
      assertEquals(suback4.reasonCodes, [0x80, 2]);
    });

    it("shared subscriptions: a connected member with room in its queue first, in turn; when none has room, one whose session queues it", async () => {
      await restart({ maximumQueuedMessages: 2 });
      const filter = { topicFilter: "$share/g/q/#", qos: 1 } as const;
      const kept = { clientId: "away", sessionExpiryInterval: 60 };
      const away = await connect(kept);
      await away.subscribe([filter]);
      await away.disconnect();
      // "stuck" takes one message at a time and acknowledges none.
      const stuck = await connect({ clientId: "stuck", receiveMaximum: 1 });
      await stuck.subscribe([filter]);
      // "busy" reads, and acknowledges only once everything is published.
      const busy = await connect({ clientId: "busy" });
      await busy.subscribe([filter]);
      const publisher = await connect({ clientId: "pub" });
      for (let i = 0; i < 6; i++) {
        await publisher.publish({
          topic: "q/1",
          qos: 1,
          payload: bytes(`${i}`),
        });
      }
      // In turn between the two connected ones until both hold two (one
      // in flight and one queued for "stuck"); then the one away.
      assertEquals(text((await stuck.expect("publish")).payload), "0");
      const busyGot = [await busy.receive(), await busy.receive()];
      assertEquals(busyGot.map((m) => text(m.payload)), ["1", "3"]);
      const back = await connect({ ...kept, cleanStart: false });
      const backGot = [await back.receive(), await back.receive()];
      assertEquals(backGot.map((m) => text(m.payload)), ["4", "5"]);
      await stuck.send({ type: "puback", packetId: 1 });
      assertEquals(text((await stuck.expect("publish")).payload), "2");
    });

    it("QoS 2: a PUBLISH resent before PUBREL is delivered once [MQTT-4.3.3-9]; unknown PUBREL gets 0x92", async () => {
      const sub = await connect({ clientId: "once" });
      await sub.subscribe("q2/#");
      const pub = await connect({ clientId: "pub" });
      const publish: PublishPacket = {
        type: "publish",
        topic: "q2/x",
        payload: bytes("once"),
        qos: 2,
        retain: false,
        dup: false,
        packetId: 7,
      };
      await pub.send(publish);
      assertEquals((await pub.expect("pubrec")).packetId, 7);
      await pub.send({ ...publish, dup: true });
      assertEquals((await pub.expect("pubrec")).packetId, 7);
      await pub.send({ type: "pubrel", packetId: 7 });
      assertEquals(await pub.expect("pubcomp"), {
        type: "pubcomp",
        packetId: 7,
        reasonCode: 0,
      });
      await pub.send({ type: "pubrel", packetId: 8 });
      assertEquals(
        (await pub.expect("pubcomp")).reasonCode,
        ReasonCode.PacketIdentifierNotFound,
      );
      assertEquals(text((await sub.receive()).payload), "once");
      await expectMarkerNext(sub, "q2/end");
    });

    it("carries MQTT 5 properties to 5.0 subscribers and strips them for 3.1.1 ones", async () => {
      const s5 = await connect({ clientId: "s5" });
      await s5.subscribe("mix/#");
      const s4 = await connect({ clientId: "s4", protocolVersion: 4 });
      await s4.subscribe([{ topicFilter: "mix/#", qos: 1 }]);
      const pub = await connect({ clientId: "pub" });
      await pub.publish({
        topic: "mix/1",
        payload: bytes("props"),
        qos: 1,
        contentType: "text/plain",
        payloadFormatIndicator: true,
        responseTopic: "mix/reply",
        correlationData: new Uint8Array([1, 2, 3]),
        userProperties: [["a", "1"], ["a", "2"]],
        messageExpiryInterval: 120,
      });
      const got5 = await s5.receive();
      assertEquals(got5.contentType, "text/plain");
      assertEquals(got5.payloadFormatIndicator, true);
      assertEquals(got5.responseTopic, "mix/reply");
      assertEquals(got5.correlationData, new Uint8Array([1, 2, 3]));
      assertEquals(got5.userProperties, [["a", "1"], ["a", "2"]]);
      assert(got5.messageExpiryInterval! <= 120);
      const got4 = await s4.receive();
      assertEquals(got4, {
        type: "publish",
        topic: "mix/1",
        payload: bytes("props"),
        qos: 1,
        retain: false,
        dup: false,
        packetId: got4.packetId,
      });
    });

    it("resolves topic aliases set by the client; refuses alias 0 or above the maximum (0x94) and unknown ones (0x82)", async () => {
      const sub = await connect({ clientId: "sub" });
      await sub.subscribe("alias/#");
      const pub = await connect({ clientId: "pub" });
      await pub.publish({
        topic: "alias/one",
        topicAlias: 1,
        payload: bytes("1"),
      });
      await pub.publish({
        topic: "",
        topicAlias: 1,
        payload: bytes("2"),
        qos: 1,
      });
      for (const expected of ["1", "2"]) {
        const message = await sub.receive();
        assertEquals(message.topic, "alias/one");
        assertEquals(message.topicAlias, undefined);
        assertEquals(text(message.payload), expected);
      }
      await pub.send({
        type: "publish",
        topic: "alias/x",
        topicAlias: 11,
        payload: bytes(""),
        qos: 0,
        retain: false,
        dup: false,
      });
      const closed = await pub.untilClosed();
      assertEquals(
        summary(closed),
        [
          ["disconnect", ReasonCode.TopicAliasInvalid],
        ],
      );
      const other = await connect({ clientId: "other" });
      await other.send({
        type: "publish",
        topic: "",
        topicAlias: 2,
        payload: bytes(""),
        qos: 0,
        retain: false,
        dup: false,
      });
      const closed2 = await other.untilClosed();
      assertEquals(
        summary(closed2),
        [
          ["disconnect", ReasonCode.ProtocolError],
        ],
      );
    });

    it("respects the client's Receive Maximum: one QoS 1 message in flight at a time [MQTT-3.3.4-7]", async () => {
      const slow = await connect({ clientId: "slow", receiveMaximum: 1 });
      await slow.subscribe([{ topicFilter: "rm/#", qos: 1 }]);
      const pub = await connect({ clientId: "pub" });
      await pub.publish({ topic: "rm/1", qos: 1 });
      await pub.publish({ topic: "rm/2", qos: 1 });
      await pub.publish({ topic: "rm/3", qos: 0 });
      const first = await slow.expect("publish");
      assertEquals(first.topic, "rm/1");
      // rm/2 waits for the PUBACK of rm/1; the QoS 0 message does not.
      assertEquals((await slow.expect("publish")).topic, "rm/3");
      await slow.send({ type: "puback", packetId: first.packetId! });
      assertEquals((await slow.expect("publish")).topic, "rm/2");
    });
  });

  describe("retained messages", () => {
    it("are sent with RETAIN to new subscriptions and cleared by an empty payload [MQTT-3.3.1-6..9]", async () => {
      const pub = await connect({ clientId: "pub" });
      await pub.publish({
        topic: "r/1",
        payload: bytes("one"),
        qos: 1,
        retain: true,
      });
      await pub.publish({ topic: "r/2", payload: bytes("two"), retain: true });
      const first = await connect({ clientId: "first" });
      await first.subscribe("r/+", { subscriptionIdentifier: 5 });
      const got = [await first.receive(), await first.receive()]
        .map((
          m,
        ) => [
          m.topic,
          text(m.payload),
          m.qos,
          m.retain,
          m.subscriptionIdentifiers,
        ]);
      assertEquals(got.toSorted(), [
        ["r/1", "one", 1, true, [5]],
        ["r/2", "two", 0, true, [5]],
      ]);
      await pub.publish({ topic: "r/1", payload: bytes(""), retain: true });
      // An existing subscription gets it without RETAIN (no Retain As Published).
      const cleared = await first.receive();
      assertEquals([cleared.topic, cleared.payload.length, cleared.retain], [
        "r/1",
        0,
        false,
      ]);
      const second = await connect({ clientId: "second" });
      await second.subscribe("r/+");
      assertEquals((await second.receive()).topic, "r/2");
      await expectMarkerNext(second, "r/3");
    });

    it("Retain Handling 1 and 2, and Retain As Published", async () => {
      const pub = await connect({ clientId: "pub" });
      await pub.publish({ topic: "h/1", payload: bytes("kept"), retain: true });
      const client = await connect({ clientId: "handling" });
      await client.subscribe([{
        topicFilter: "h/#",
        qos: 0,
        retainHandling: 2,
      }]);
      await client.subscribe([{
        topicFilter: "h/+",
        qos: 0,
        retainHandling: 1,
      }]);
      const retained = await client.receive();
      assertEquals([retained.topic, retained.retain], ["h/1", true]);
      // The same filter again: not a new subscription, nothing sent.
      await client.subscribe([{
        topicFilter: "h/+",
        qos: 0,
        retainHandling: 1,
      }]);
      await expectMarkerNext(client, "h/marker");

      const keep = await connect({ clientId: "keep" });
      await keep.subscribe([{
        topicFilter: "k/#",
        qos: 0,
        retainAsPublished: true,
      }]);
      const plain = await connect({ clientId: "plain" });
      await plain.subscribe([{ topicFilter: "k/#", qos: 0 }]);
      await pub.publish({ topic: "k/1", payload: bytes("r"), retain: true });
      assertEquals((await keep.receive()).retain, true);
      assertEquals((await plain.receive()).retain, false);
    });
  });

  describe("Will", () => {
    const will = (topic: string, extra = {}) => ({
      topic,
      payload: bytes(`${topic} gone`),
      qos: 1 as const,
      retain: false,
      ...extra,
    });

    it("is published on an abrupt close (5.0 and 3.1.1) and on DISCONNECT 0x04, not on DISCONNECT 0x00", async () => {
      const watcher = await connect({ clientId: "watcher" });
      await watcher.subscribe("will/#");
      const a = await connect({
        clientId: "a",
        will: will("will/a", { contentType: "text/plain" }),
      });
      a.close();
      const wa = await watcher.receive();
      assertEquals([wa.topic, text(wa.payload), wa.contentType], [
        "will/a",
        "will/a gone",
        "text/plain",
      ]);
      const b = await connect({ clientId: "b", will: will("will/b") });
      await b.disconnect();
      const c = await connect({ clientId: "c", will: will("will/c") });
      await c.disconnect({ reasonCode: ReasonCode.DisconnectWithWillMessage });
      // will/b would have come before will/c.
      assertEquals((await watcher.receive()).topic, "will/c");
      const d = await connect({
        clientId: "d",
        protocolVersion: 4,
        will: will("will/d"),
      });
      d.close();
      assertEquals((await watcher.receive()).topic, "will/d");
    });

    it("waits for the Will Delay Interval; a reconnect within it cancels the Will [MQTT-3.1.3-9]", async () => {
      using time = new FakeTime();
      const watcher = await connect({ clientId: "watcher" });
      await watcher.subscribe("wd/#");
      const x = await connect({
        clientId: "x",
        sessionExpiryInterval: 30,
        will: will("wd/x", { willDelayInterval: 1 }),
      });
      const y = await connect({
        clientId: "y",
        sessionExpiryInterval: 30,
        will: will("wd/y", { willDelayInterval: 1 }),
      });
      x.close();
      y.close();
      // The broker sees x go on its own schedule; its Will then waits.
      await waitUntil(
        () => broker.state.sessions.get("x")?.session.state === "disconnected",
        "the broker to see x go",
      );
      const { connack } = await connectRaw({
        clientId: "y",
        cleanStart: false,
        sessionExpiryInterval: 30,
      });
      assertEquals(connack.sessionPresent, true);
      await time.tickAsync(999);
      await expectMarkerNext(watcher, "wd/early");
      await time.tickAsync(1);
      assertEquals((await watcher.receive()).topic, "wd/x");
      // x's session outlives the Will until its Session Expiry Interval;
      // y's Will never comes.
      await time.tickAsync(28_999);
      assert(broker.state.sessions.has("x"));
      await time.tickAsync(1);
      assert(!broker.state.sessions.has("x"));
      await expectMarkerNext(watcher, "wd/end");
    });

    it("is published when the keep-alive runs out (1.5 × Keep Alive), after DISCONNECT 0x8D [MQTT-3.1.2-22]", async () => {
      using time = new FakeTime();
      const watcher = await connect({ clientId: "watcher" });
      await watcher.subscribe("ka/#");
      const sleepy = await connect({
        clientId: "sleepy",
        keepAlive: 1,
        will: will("ka/sleepy"),
      });
      // Every packet from the client restarts the 1.5 s. Had the timer run
      // out, its DISCONNECT would be queued (in the tick) before PINGRESP.
      for (let ping = 0; ping < 3; ping++) {
        await time.tickAsync(1_499);
        await sleepy.send({ type: "pingreq" });
        await sleepy.expect("pingresp");
      }
      await expectMarkerNext(watcher, "ka/alive");
      await time.tickAsync(1_500);
      const closed = await sleepy.untilClosed();
      assertEquals(
        summary(closed),
        [
          ["disconnect", ReasonCode.KeepAliveTimeout],
        ],
      );
      assertEquals((await watcher.receive()).topic, "ka/sleepy");
    });
  });

  describe("sessions", () => {
    it("keep subscriptions and queue QoS 1 and 2 (not QoS 0) while the client is away", async () => {
      const away = await connect({
        clientId: "away",
        cleanStart: false,
        sessionExpiryInterval: 60,
      });
      await away.subscribe("q/#");
      await away.disconnect();
      const pub = await connect({ clientId: "pub" });
      for (const qos of [0, 1, 2] as const) {
        await pub.publish({ topic: `q/${qos}`, payload: bytes(`${qos}`), qos });
      }
      const { client: back, connack } = await connectRaw({
        clientId: "away",
        cleanStart: false,
        sessionExpiryInterval: 60,
      });
      assertEquals(connack.sessionPresent, true);
      const one = await back.receive();
      const two = await back.receive();
      assertEquals([[one.topic, one.qos], [two.topic, two.qos]], [["q/1", 1], [
        "q/2",
        2,
      ]]);
      await expectMarkerNext(back, "q/end");
      await back.disconnect();
      // Clean Start 1 discards the session and its subscriptions.
      const { client: fresh, connack: freshConnack } = await connectRaw({
        clientId: "away",
        cleanStart: true,
      });
      assertEquals(freshConnack.sessionPresent, false);
      await fresh.subscribe("m");
      await pub.publish({ topic: "q/x", payload: bytes("x"), qos: 1 });
      await expectMarkerNext(fresh, "m");
    });

    it("resend unacknowledged PUBLISH with DUP, and PUBREL, on reconnect, in order [MQTT-4.4.0-1]", async () => {
      const fields = {
        clientId: "resend",
        cleanStart: false,
        sessionExpiryInterval: 60,
      };
      const first = await connect(fields);
      await first.subscribe("d/#");
      const pub = await connect({ clientId: "pub" });
      await pub.publish({ topic: "d/1", payload: bytes("1"), qos: 1 });
      const unacked = await first.expect("publish");
      assertEquals([unacked.dup, unacked.qos], [false, 1]);
      await pub.publish({ topic: "d/2", payload: bytes("2"), qos: 2 });
      const unreleased = await first.expect("publish");
      await first.send({ type: "pubrec", packetId: unreleased.packetId! });
      assertEquals(
        (await first.expect("pubrel")).packetId,
        unreleased.packetId,
      );
      first.close();

      const { client: again, connack } = await connectRaw(fields);
      assertEquals(connack.sessionPresent, true);
      const resent = await again.expect("publish");
      assertEquals(resent, { ...unacked, dup: true });
      assertEquals(await again.expect("pubrel"), {
        type: "pubrel",
        packetId: unreleased.packetId!,
        reasonCode: 0,
      });
      await again.send({ type: "puback", packetId: resent.packetId! });
      await again.send({ type: "pubcomp", packetId: unreleased.packetId! });
      await expectMarkerNext(again, "d/3");
    });

    it("drop queued messages past their Message Expiry Interval; the others carry what is left", async () => {
      using time = new FakeTime();
      const fields = {
        clientId: "expiry",
        cleanStart: false,
        sessionExpiryInterval: 60,
      };
      const away = await connect(fields);
      await away.subscribe([{ topicFilter: "e/#", qos: 1 }]);
      await away.disconnect();
      const pub = await connect({ clientId: "pub" });
      await pub.publish({ topic: "e/short", qos: 1, messageExpiryInterval: 1 });
      await pub.publish({
        topic: "e/long",
        qos: 1,
        messageExpiryInterval: 100,
      });
      await time.tickAsync(1_500);
      const back = await connect(fields);
      const message = await back.receive();
      assertEquals(message.topic, "e/long");
      // 98.5 s left, rounded up.
      assertEquals(message.messageExpiryInterval, 99);
      await expectMarkerNext(back, "e/end");
    });

    it("a DISCONNECT may not set a Session Expiry Interval when CONNECT had 0 [MQTT-3.14.2-2]", async () => {
      const client = await connect({ clientId: "z" });
      await client.send({ type: "disconnect", sessionExpiryInterval: 30 });
      const closed = await client.untilClosed();
      assertEquals(
        summary(closed),
        [
          ["disconnect", ReasonCode.ProtocolError],
        ],
      );
    });
  });

  describe("protocol errors", () => {
    it("a malformed packet gets DISCONNECT with the decoder's reason code (5.0), then close", async () => {
      const v5 = await connect({ clientId: "bad5" });
      await v5.sendBytes(new Uint8Array([0x36, 0x00])); // PUBLISH with QoS 3
      const closed = await v5.untilClosed();
      assertEquals(closed.length, 1);
      const disconnect = closed[0] as Packet & {
        reasonCode?: number;
        reasonString?: string;
      };
      assertEquals(disconnect.type, "disconnect");
      assertEquals(disconnect.reasonCode, ReasonCode.MalformedPacket);
      // Nothing long: some clients cannot read a long property block.
      assert((disconnect.reasonString ?? "").length < 100);
      // MQTT 3.1.1 has no server DISCONNECT: the connection is just closed.
      const v4 = await connect({ clientId: "bad4", protocolVersion: 4 });
      await v4.sendBytes(new Uint8Array([0x36, 0x00]));
      assertEquals(await v4.untilClosed(), []);
    });

    it("a second CONNECT, or an AUTH without an authentication method, is a Protocol Error (0x82)", async () => {
      for (
        const packet of [
          {
            type: "connect",
            protocolVersion: 5,
            clientId: "again",
            cleanStart: true,
            keepAlive: 0,
          },
          { type: "auth", reasonCode: 0x18, authenticationMethod: "X" },
        ] as Packet[]
      ) {
        const client = await connect({ clientId: `err-${packet.type}` });
        await client.send(packet);
        const closed = await client.untilClosed();
        assertEquals(
          closed.map((
            p,
          ) => [p.type, (p as { reasonCode?: number }).reasonCode]),
          [
            ["disconnect", ReasonCode.ProtocolError],
          ],
        );
      }
    });
  });

  describe("limits and policies (flags)", () => {
    it("--deny: a filter it covers is refused with 0x80 (5.0 and 3.1.1); a wider one is granted but never gets the denied topics, live or retained", async () => {
      await restart({ deny: ["secret/#", "test/nosubscribe"] });
      const v5 = await connect({ clientId: "d5" });
      const filters = [
        "secret/#",
        "secret/+/x",
        "secret",
        "$share/g/secret/a",
        "test/nosubscribe",
        "#",
        "+/nosubscribe",
        "public/a",
      ];
      const suback = await v5.subscribe(
        filters.map((topicFilter) => ({ topicFilter, qos: 1 })),
      );
      assertEquals(suback.reasonCodes, [0x80, 0x80, 0x80, 0x80, 0x80, 1, 1, 1]);
      const v4 = await connect({ clientId: "d4", protocolVersion: 4 });
      assertEquals(
        (await v4.subscribe([
          { topicFilter: "secret/a/b", qos: 1 },
          { topicFilter: "+/+", qos: 1 },
        ])).reasonCodes,
        [0x80, 1],
      );
      const publisher = await connect({ clientId: "dp" });
      assertEquals(
        summary(
          await publisher.publish({
            topic: "secret/plans",
            qos: 1,
            retain: true,
            payload: bytes("x"),
          }),
        ),
        [["puback", ReasonCode.NoMatchingSubscribers]],
      );
      await publisher.publish({ topic: "test/nosubscribe", qos: 1 });
      // "#", "+/nosubscribe" and "+/+" got neither: the marker comes first.
      await expectMarkerNext(v5, "public/a");
      assertEquals((await v4.next() as PublishPacket).topic, "public/a");
      const late = await connect({ clientId: "late" });
      await late.subscribe([{ topicFilter: "#", qos: 1 }]);
      await expectMarkerNext(late, "public/c");
    });

    it("--max-keep-alive: Server Keep Alive for a 5.0 client asking more or 0, enforced; a 3.1.1 client asking more or 0 is refused (return code 2)", async () => {
      using time = new FakeTime();
      await restart({ maximumKeepAlive: 10 });
      for (const keepAlive of [0, 60]) {
        const { connack } = await connectRaw({
          clientId: `k${keepAlive}`,
          keepAlive,
        });
        assertEquals(connack.serverKeepAlive, 10);
      }
      const { client, connack } = await connectRaw({
        clientId: "within",
        keepAlive: 10,
      });
      assertEquals(connack.serverKeepAlive, undefined);
      for (const keepAlive of [0, 11]) {
        const refused = await connectRaw({
          clientId: `v4-${keepAlive}`,
          protocolVersion: 4,
          keepAlive,
        });
        assertEquals(refused.connack.reasonCode, 2);
      }
      // Held to 1.5 times the 10 s granted.
      const silent = await connect({ clientId: "silent", keepAlive: 60 });
      await time.tickAsync(14_999);
      await client.send({ type: "pingreq" });
      await client.expect("pingresp");
      await time.tickAsync(1);
      assertEquals(summary(await silent.untilClosed()), [
        ["disconnect", ReasonCode.KeepAliveTimeout],
      ]);
    });

    it("a packet before the CONNECT is accepted is limited to --max-connect-size, then to --max-packet-size (0x95)", async () => {
      await restart({ connectPacketSize: 1_000, maximumPacketSize: 5_000 });
      const big = (size: number) => ({
        topic: "w",
        payload: new Uint8Array(size),
        qos: 0 as const,
        retain: false,
      });
      // A CONNECT of about 2,000 bytes: closed from its fixed header.
      const early = await TestClient.open(broker.tcpPort);
      clients.push(early);
      await early.send({
        type: "connect",
        protocolVersion: 5,
        clientId: "early",
        cleanStart: true,
        keepAlive: 0,
        will: big(2_000),
      });
      assertEquals(await early.untilClosed(), []);
      const client = await connect({ clientId: "later", will: big(900) });
      assertEquals(
        summary(
          await client.publish({
            topic: "p",
            qos: 1,
            payload: new Uint8Array(3_000),
          }),
        ),
        [["puback", ReasonCode.NoMatchingSubscribers]],
      );
      await client.send({
        type: "publish",
        topic: "p",
        payload: new Uint8Array(6_000),
        qos: 0,
        retain: false,
        dup: false,
      });
      assertEquals(summary(await client.untilClosed()), [
        ["disconnect", ReasonCode.PacketTooLarge],
      ]);
    });

    it("--max-retained-bytes: a retained message past it is refused (0x97) and goes nowhere; replacing or clearing one frees its room", async () => {
      // Each counts its payload and topic plus 512.
      await restart({ maximumRetainedBytes: 2_100 });
      const watcher = await connect({ clientId: "watcher" });
      await watcher.subscribe([{ topicFilter: "r/#", qos: 0 }]);
      const publisher = await connect({ clientId: "rp" });
      const retained = (topic: string, size: number) =>
        publisher.publish({
          topic,
          qos: 1,
          retain: true,
          payload: new Uint8Array(size),
        });
      assertEquals(summary(await retained("r/1", 1_000)), [["puback", 0]]);
      assertEquals((await watcher.next() as PublishPacket).topic, "r/1");
      assertEquals(summary(await retained("r/2", 1_000)), [
        ["puback", ReasonCode.QuotaExceeded],
      ]);
      // Replaced by a larger one that fits; then cleared.
      assertEquals(summary(await retained("r/1", 1_500)), [["puback", 0]]);
      assertEquals(summary(await retained("r/1", 0)), [["puback", 0]]);
      assertEquals(summary(await retained("r/2", 1_000)), [["puback", 0]]);
      // The watcher got r/1 twice (1,500 bytes, then the empty one) and
      // the second r/2, never the refused one.
      const topics = [];
      for (let i = 0; i < 3; i++) {
        topics.push((await watcher.next() as PublishPacket).topic);
      }
      assertEquals(topics, ["r/1", "r/1", "r/2"]);
      const late = await connect({ clientId: "late" });
      await late.subscribe([{ topicFilter: "r/#", qos: 0 }]);
      const only = await late.next() as PublishPacket;
      assertEquals([only.topic, only.payload.length], ["r/2", 1_000]);
    });

    it("retained messages of a new subscription: all of them, as fast as the client takes them, even more than its queue holds", async () => {
      await restart({ maximumQueuedMessages: 100 });
      const publisher = await connect({ clientId: "rp" });
      for (let i = 0; i < 1_200; i++) {
        await publisher.send({
          type: "publish",
          topic: `many/${i}`,
          payload: bytes(`${i}`),
          qos: 0,
          retain: true,
          dup: false,
        });
      }
      await publisher.send({ type: "pingreq" });
      await publisher.expect("pingresp");
      // QoS 1, five in flight at a time: 1,200 through a queue of 100.
      const subscriber = await connect({ clientId: "rs", receiveMaximum: 5 });
      await subscriber.subscribe([{ topicFilter: "many/#", qos: 1 }]);
      const seen = new Set<string>();
      for (let i = 0; i < 1_200; i++) {
        const message = await subscriber.receive();
        assert(message.retain);
        seen.add(message.topic);
      }
      assertEquals(seen.size, 1_200);
      await expectMarkerNext(subscriber, "many/end");
    });

    it("a WebSocket client that sends without reading what it is sent: closed once more than the maximum packet size (and 64 KiB) waits unread", async () => {
      await restart({ wsPort: 0, maximumPacketSize: 64 * 1024 });
      const flooder = await rawWebSocketClient(broker.wsPort!);
      try {
        await flooder.send(encode({
          type: "connect",
          protocolVersion: 5,
          clientId: "flooder",
          cleanStart: true,
          keepAlive: 0,
        }));
        await waitUntil(
          () => broker.state.sessions.has("flooder"),
          "the CONNECT accepted",
        );
        flooder.stopReading();
        // 64 KiB messages of PINGREQs, whose PINGRESPs nobody reads.
        const pings = new Uint8Array(64 * 1024);
        for (let i = 0; i < pings.length; i += 2) pings[i] = 0xc0;
        let sent = 0;
        while (!flooder.socket.destroyed && sent < 4_096) {
          const written = await Promise.race([
            flooder.send(pings).then(() => true, () => false),
            delay(2_000).then(() => false),
          ]);
          if (!written) break;
          sent++;
          if (
            broker.state.sessions.get("flooder")?.session.state !== "connected"
          ) {
            break;
          }
        }
        await waitUntil(
          () =>
            broker.state.sessions.get("flooder")?.session.state !== "connected",
          "the flooder's session to lose its connection",
        );
        assert(sent < 4_096, `${sent} messages of 64 KiB taken`);
      } finally {
        flooder.drop();
      }
    });

    it("refuses invalid limits when it starts, not at the first connection", async () => {
      for (
        const options of [
          { receiveMaximum: 0 },
          { topicAliasMaximum: 70_000 },
          { maximumPacketSize: 0 },
          { deny: ["a/#/b"] },
        ]
      ) {
        await assertRejects(
          () => startBroker({ port: 0, wsPort: null, ...options }),
          Error,
          undefined,
          JSON.stringify(options),
        );
      }
    });

    it("a connection that sends no CONNECT is closed after --connect-timeout", async () => {
      using time = new FakeTime();
      await restart({ connectTimeout: 2_000 });
      const idle = await TestClient.open(broker.tcpPort);
      clients.push(idle);
      // Let the broker take the connection, then run its clock.
      await waitUntil(() => true, "a turn");
      await time.tickAsync(1_999);
      const alive = await TestClient.open(broker.tcpPort);
      clients.push(alive);
      await time.tickAsync(1);
      assertEquals(await idle.untilClosed(), []);
    });
  });

  describe("WebSocket", () => {
    it("serves MQTT 5.0 and 3.1.1 over ws:// with subprotocol mqtt, alongside TCP", async () => {
      const url = `ws://127.0.0.1:${broker.wsPort}`;
      const ws5 = await connect({ clientId: "ws5" }, url);
      await ws5.subscribe("w/#");
      const ws4 = await connect({ clientId: "ws4", protocolVersion: 4 }, url);
      await ws4.subscribe([{ topicFilter: "w/+", qos: 2 }]);
      const tcp = await connect({ clientId: "tcp" });
      await tcp.publish({ topic: "w/1", payload: bytes("over ws"), qos: 2 });
      for (const client of [ws5, ws4]) {
        const message = await client.receive();
        assertEquals([message.topic, text(message.payload), message.qos], [
          "w/1",
          "over ws",
          2,
        ]);
      }
      // "w/2/3" matches ws5's "w/#", not ws4's own "w/+".
      await ws4.publish({ topic: "w/2/3", payload: bytes("from ws"), qos: 1 });
      assertEquals((await ws5.receive()).topic, "w/2/3");
      await ws5.disconnect();
      await ws4.disconnect();
    });

    it("--max-connections counts each listener's: a WebSocket past it gets HTTP 503, not a WebSocket; TCP has its own slots; a slot is freed when its client leaves", async () => {
      await restart({ maximumConnections: 1, wsPort: 0 });
      const url = `ws://127.0.0.1:${broker.wsPort}`;
      const first = await connect({ clientId: "ws-first" }, url);
      const refused = await fetch(url.replace("ws:", "http:"), {
        headers: {
          upgrade: "websocket",
          connection: "Upgrade",
          "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
          "sec-websocket-version": "13",
          "sec-websocket-protocol": "mqtt",
        },
      });
      assertEquals(refused.status, 503);
      await refused.body?.cancel();
      assertEquals(broker.connections.webSocket.refused, 1);
      // The TCP listener's one slot is its own.
      const tcp = await connect({ clientId: "tcp-one" });
      await tcp.send({ type: "pingreq" });
      assertEquals((await tcp.next()).type, "pingresp");
      await first.disconnect();
      await waitUntil(
        () => broker.connections.webSocket.open === 0,
        "the WebSocket's slot freed",
      );
      const second = await connect({ clientId: "ws-second" }, url);
      await second.disconnect();
    });
  });
});

describe("deno task example", () => {
  it("runs the demo with no setup and exits 0", async () => {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../examples/demo.ts", import.meta.url).pathname,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(stdout);
    assertEquals(code, 0, new TextDecoder().decode(stderr));
    assertStringIncludes(out, "all three messages arrived intact");
    for (const qos of [0, 1, 2]) {
      assertStringIncludes(out, `qos=${qos}`);
    }
    assertExists(/publisher +-> PUBLISH/.exec(out));
    assertExists(/subscriber <- PUBREL/.exec(out));
  });
});
