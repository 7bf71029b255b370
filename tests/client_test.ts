/**
 * The example client program (examples/client.ts) as its users run it: a
 * process, its exit code and its output. Against mosquitto for the
 * `--count` contract, over TCP and over WebSocket (there through
 * connections cut every few tenths of a second); against a scripted broker
 * (tests/support/scripted_broker.ts) for what a real broker cannot be made
 * to do on cue:
 * cut the connection with a message half acknowledged, refuse, announce
 * small limits. What crosses the wire is read as packets by the script.
 */

import {
  assertEquals,
  assertGreater,
  assertMatch,
  assertStringIncludes,
} from "@std/assert";
import { afterAll, beforeAll, describe, it } from "@std/testing/bdd";
import type { Packet, ProtocolVersion, QoS } from "../mod.ts";
import { type Mosquitto, startMosquitto } from "./support/mosquitto.ts";
import { FlakyProxy } from "./support/flaky_proxy.ts";
import { freePort, waitForPort, waitUntil } from "./support/net.ts";
import { Process } from "./support/process.ts";
import {
  ScriptedBroker,
  type ScriptedConnection,
} from "./support/scripted_broker.ts";
import { bytes, text } from "./support/test_client.ts";

const CLIENT = new URL("../examples/client.ts", import.meta.url).pathname;

/** Starts examples/client.ts with `args`. */
function client(args: string[]): Process {
  return new Process(Deno.execPath(), ["run", "-A", CLIENT, ...args]);
}

/** The payloads of the messages a subscriber printed, in order. */
function printedPayloads(lines: string[]): string[] {
  return lines.flatMap((line) => {
    const match = line.match(/^PUBLISH .*payload="([^"]*)"/);
    return match === null ? [] : [match[1]];
  });
}

/** A QoS 1 or 2 PUBLISH from the broker's side. */
function publish(
  payload: string,
  qos: QoS,
  packetId?: number,
  dup = false,
): Packet {
  return {
    type: "publish",
    topic: "t",
    payload: bytes(payload),
    qos,
    retain: false,
    dup,
    ...(qos > 0 ? { packetId } : {}),
  };
}

/** The program's last line, and its exit code, once it has finished. */
async function outcome(
  process: Process,
): Promise<{ code: number; last: string | undefined; stderr: string }> {
  const { code, lines, stderr } = await process.finish(20_000);
  return { code, last: lines.at(-1), stderr };
}

describe("examples/client.ts, the program", {
  sanitizeOps: false,
  sanitizeResources: false,
}, () => {
  describe("flags", () => {
    const rows: [string, string[], string][] = [
      ["neither --sub nor --pub", [], "--sub or --pub is needed"],
      ["--qos 3", ["--sub", "a", "--qos", "3"], "--qos must be 0, 1 or 2"],
      ["--mqtt 6", ["--sub", "a", "--mqtt", "6"], "--mqtt must be 3, 4 or 5"],
      ["--count=-1", ["--pub", "a", "--count=-1"], "--count must be"],
      ["--count many", ["--pub", "a", "--count", "many"], "--count must be"],
      [
        "--session-expiry in MQTT 3.1.1",
        ["--pub", "a", "--mqtt", "4", "--session-expiry", "60"],
        "--no-clean-start",
      ],
      [
        "--receive-maximum in MQTT 3.1",
        ["--sub", "a", "--mqtt", "3", "--receive-maximum", "5"],
        "--receive-maximum is MQTT 5.0",
      ],
    ];
    it("a mistake exits 2 with the reason and the usage, before connecting anywhere", async () => {
      const results = await Promise.all(
        rows.map(([, args]) => client(["--port", "1", ...args]).finish()),
      );
      for (const [index, [name, , reason]] of rows.entries()) {
        const { code, stderr } = results[index];
        assertEquals(code, 2, name);
        assertStringIncludes(stderr, reason, name);
        assertStringIncludes(stderr, "usage:", name);
      }
    });
  });

  describe("--count against mosquitto", () => {
    let mosquitto: Mosquitto;
    let wsPort: number;
    beforeAll(async () => {
      wsPort = freePort();
      mosquitto = await startMosquitto([
        `listener ${wsPort} 127.0.0.1`,
        "protocol websockets",
      ]);
      await waitForPort(wsPort);
    });
    afterAll(async () => {
      await mosquitto.stop();
    });

    /**
     * A subscriber, then (once it has subscribed) a publisher, of `count`
     * messages: both must exit 0, the subscriber with every payload, in
     * order, and its count last.
     */
    async function publishAndReceive(
      broker: string[],
      name: string,
      version: ProtocolVersion,
      qos: QoS,
      count: number,
    ): Promise<void> {
      const topic = `count/${name}`;
      const common = [
        ...broker,
        "--mqtt",
        version,
        "--qos",
        qos,
        "--count",
        count,
      ]
        .map(String);
      // Kept by mosquitto while a cut subscriber is away.
      const session = version === 5
        ? ["--session-expiry", "600"]
        : ["--no-clean-start"];
      const subscriber = client([
        ...common,
        ...session,
        "--sub",
        topic,
        "--id",
        `sub-${name}`,
      ]);
      // QoS 0 is not kept for a subscription that does not exist yet.
      await waitUntil(
        () => subscriber.lines.some((line) => line.startsWith("subscribed to")),
        "the subscription",
        20_000,
      );
      const publisher = client([
        ...common,
        ...session,
        "--pub",
        topic,
        "--id",
        `pub-${name}`,
      ]);
      const published = await outcome(publisher);
      assertEquals(published.code, 0, published.stderr);
      assertEquals(published.last, `published ${count} messages to ${topic}`);
      const received = await outcome(subscriber);
      assertEquals(received.code, 0, received.stderr);
      assertEquals(received.last, `received ${count} messages (0 duplicates)`);
      assertEquals(
        printedPayloads(subscriber.lines),
        Array.from({ length: count }, (_, i) => String(i)),
      );
    }

    const rows: [ProtocolVersion, QoS][] = [[5, 2], [4, 1], [3, 0]];
    for (const [version, qos] of rows) {
      it(`MQTT ${version}, QoS ${qos}: the publisher exits 0 once 200 messages "0" .. "199" are acknowledged; the subscriber once it has them all, in order, and says so last`, async () => {
        await publishAndReceive(
          ["--port", String(mosquitto.port)],
          `${version}-${qos}`,
          version,
          qos,
          200,
        );
      });
    }

    it("over WebSocket, through connections cut every 0.1 to 0.4 s: 500 QoS 2 messages, each received once, in order", async () => {
      const proxy = await FlakyProxy.start({
        targetPort: wsPort,
        seed: 3,
        minLifeMs: 100,
        maxLifeMs: 400,
        latencyMs: 5,
      });
      try {
        await publishAndReceive(
          ["--ws", `ws://127.0.0.1:${proxy.port}`],
          "ws",
          5,
          2,
          500,
        );
        assertGreater(proxy.stats.cuts, 0, "the network failed");
      } finally {
        await proxy.close();
      }
    });
  });

  describe("against a scripted broker", () => {
    let broker: ScriptedBroker;
    beforeAll(() => {
      broker = new ScriptedBroker();
    });
    afterAll(async () => {
      await broker.close();
    });
    /** The program on topic "t", connected to the script, with `args`. */
    const run = (...args: (string | number)[]) =>
      client(["--port", String(broker.port), ...args.map(String)]);
    /** A publisher or subscriber of `count` messages at `qos`, its session kept 60 s. */
    const counting = (role: "pub" | "sub", qos: QoS, count: number) =>
      run(
        `--${role}`,
        "t",
        "--qos",
        qos,
        "--count",
        count,
        "--id",
        role,
        "--session-expiry",
        60,
      );
    /** Reads the client's SUBSCRIBE and grants it. */
    const grant = async (connection: ScriptedConnection, qos: QoS) => {
      const subscribe = await connection.expect("subscribe");
      await connection.send({
        type: "suback",
        packetId: subscribe.packetId,
        reasonCodes: subscribe.subscriptions.map(() => qos),
      });
      return subscribe;
    };

    it("a CONNECT refused for good (0x87 Not authorized): exits 1 without trying again", async () => {
      const process = run("--pub", "t", "--id", "p");
      await (await broker.accept()).accept({ reasonCode: 0x87 });
      const { code, stderr } = await outcome(process);
      assertEquals(code, 1);
      assertStringIncludes(
        stderr,
        "could not connect: connection refused: reason code 0x87",
      );
    });

    it("a CONNECT refused for now (0x88 Server unavailable): connects again, and goes on", async () => {
      const process = run("--pub", "t", "--id", "p", "--message", "m");
      await (await broker.accept()).accept({ reasonCode: 0x88 });
      const second = await broker.accept();
      await second.accept();
      assertEquals(text((await second.expect("publish")).payload), "m");
      await second.expect("disconnect");
      const { code, last } = await outcome(process);
      assertEquals(code, 0);
      assertEquals(last, "published to t");
    });

    it("QoS 1: the PUBLISH cut off before its PUBACK goes again with DUP and its Packet Identifier, on a session resumed with Clean Start 0 [MQTT-4.4.0-1] [MQTT-3.3.1-1]", async () => {
      const process = counting("pub", 1, 2);
      const first = await broker.accept();
      const connect = await first.accept({ receiveMaximum: 1 });
      assertEquals(
        [connect.cleanStart, connect.sessionExpiryInterval],
        [true, 60],
      );
      const sent = await first.expect("publish");
      assertEquals([text(sent.payload), sent.dup], ["0", false]);
      first.cut();

      const second = await broker.accept();
      const again = await second.accept({
        sessionPresent: true,
        receiveMaximum: 1,
      });
      assertEquals(again.cleanStart, false);
      const resent = await second.expect("publish");
      assertEquals(
        [text(resent.payload), resent.dup, resent.packetId],
        ["0", true, sent.packetId],
      );
      await second.send({ type: "puback", packetId: resent.packetId! });
      const next = await second.expect("publish");
      assertEquals([text(next.payload), next.dup], ["1", false]);
      await second.send({ type: "puback", packetId: next.packetId! });
      await second.expect("disconnect");
      const { code, last } = await outcome(process);
      assertEquals(code, 0);
      assertEquals(last, "published 2 messages to t");
    });

    it("QoS 2: after a cut that followed its PUBREC, the PUBREL goes again, not the PUBLISH [MQTT-4.4.0-1] [MQTT-4.3.3-6]", async () => {
      const process = counting("pub", 2, 2);
      const first = await broker.accept();
      await first.accept({ receiveMaximum: 1 });
      const sent = await first.expect("publish");
      await first.send({ type: "pubrec", packetId: sent.packetId! });
      assertEquals((await first.expect("pubrel")).packetId, sent.packetId);
      first.cut();

      const second = await broker.accept();
      await second.accept({ sessionPresent: true, receiveMaximum: 1 });
      assertEquals((await second.expect("pubrel")).packetId, sent.packetId);
      await second.send({ type: "pubcomp", packetId: sent.packetId! });
      const next = await second.expect("publish");
      assertEquals([text(next.payload), next.dup], ["1", false]);
      await second.send({ type: "pubrec", packetId: next.packetId! });
      await second.expect("pubrel");
      await second.send({ type: "pubcomp", packetId: next.packetId! });
      await second.expect("disconnect");
      assertEquals((await outcome(process)).code, 0);
    });

    it("QoS 2: a message sent again after a cut is acknowledged but not delivered twice [MQTT-4.3.3-10]; a resumed session is not subscribed again", async () => {
      const process = counting("sub", 2, 2);
      const first = await broker.accept();
      await first.accept();
      await grant(first, 2);
      await first.send(publish("0", 2, 7));
      assertEquals((await first.expect("pubrec")).packetId, 7);
      first.cut();

      const second = await broker.accept();
      await second.accept({ sessionPresent: true });
      await second.send(publish("0", 2, 7, true));
      // Not a SUBSCRIBE first: the session is there.
      assertEquals((await second.expect("pubrec")).packetId, 7);
      await second.send({ type: "pubrel", packetId: 7 });
      assertEquals((await second.expect("pubcomp")).packetId, 7);
      await second.send(publish("1", 2, 8));
      assertEquals((await second.expect("pubrec")).packetId, 8);
      await second.expect("disconnect");
      const { code, last } = await outcome(process);
      assertEquals(code, 0);
      assertEquals(last, "received 2 messages (0 duplicates)");
      assertEquals(printedPayloads(process.lines), ["0", "1"]);
    });

    it("QoS 1: a message sent again after a cut is delivered again, and counted as a duplicate", async () => {
      const process = counting("sub", 1, 2);
      const first = await broker.accept();
      await first.accept();
      await grant(first, 1);
      await first.send(publish("0", 1, 3));
      assertEquals((await first.expect("puback")).packetId, 3);
      first.cut();

      const second = await broker.accept();
      await second.accept({ sessionPresent: true });
      await second.send(publish("0", 1, 3, true));
      assertEquals((await second.expect("puback")).packetId, 3);
      await second.send(publish("1", 1, 4));
      assertEquals((await second.expect("puback")).packetId, 4);
      await second.expect("disconnect");
      const { code, last } = await outcome(process);
      assertEquals(code, 0);
      assertEquals(last, "received 2 messages (1 duplicates)");
    });

    it("a session the broker lost (Session Present 0 after Clean Start 0) is subscribed again", async () => {
      const process = counting("sub", 1, 1);
      const first = await broker.accept();
      await first.accept();
      const subscribe = await grant(first, 1);
      first.cut();

      const second = await broker.accept();
      const connect = await second.accept({ sessionPresent: false });
      assertEquals(connect.cleanStart, false);
      const again = await grant(second, 1);
      assertEquals(again.subscriptions, subscribe.subscriptions);
      await second.send(publish("0", 1, 1));
      await second.expect("puback");
      await second.expect("disconnect");
      assertEquals((await outcome(process)).code, 0);
    });

    it("holds to the broker's Receive Maximum and uses its Topic Aliases [MQTT-3.3.4-7] [MQTT-3.2.2-17]", async () => {
      const process = run("--pub", "sensors/kitchen", "--qos", 1, "--count", 3);
      const connection = await broker.accept();
      await connection.accept({ receiveMaximum: 2, topicAliasMaximum: 5 });
      const first = await connection.expect("publish");
      const second = await connection.expect("publish");
      assertEquals(
        [[first.topic, first.topicAlias], [second.topic, second.topicAlias]],
        [["sensors/kitchen", 1], ["", 1]],
      );
      // A message to the client, answered after anything it could send
      // before: no third PUBLISH comes first.
      await connection.send(publish("probe", 1, 99));
      assertEquals(
        (await connection.next()).type,
        "puback",
        "the third PUBLISH waited for a PUBACK",
      );
      await connection.send({ type: "puback", packetId: first.packetId! });
      const third = await connection.expect("publish");
      assertEquals(text(third.payload), "2");
      await connection.send({ type: "puback", packetId: second.packetId! });
      await connection.send({ type: "puback", packetId: third.packetId! });
      await connection.expect("disconnect");
      assertEquals((await outcome(process)).code, 0);
    });

    it("a message above the broker's Maximum Packet Size is not sent: exits 1, saying so [MQTT-3.2.2-15]", async () => {
      const process = run(
        "--pub",
        "t",
        "--qos",
        1,
        "--message",
        "x".repeat(300),
      );
      const connection = await broker.accept();
      await connection.accept({ maximumPacketSize: 100 });
      await connection.expect("disconnect");
      const { code, stderr } = await outcome(process);
      assertEquals(code, 1);
      assertStringIncludes(stderr, "Maximum Packet Size");
    });

    it("a Server Keep Alive replaces the client's: PINGREQ within it [MQTT-3.1.2-21]", async () => {
      const process = run("--sub", "t", "--count", 1, "--keep-alive", 60);
      const connection = await broker.accept();
      const connect = await connection.accept({ serverKeepAlive: 1 });
      assertEquals(connect.keepAlive, 60);
      await grant(connection, 0);
      // Within 5 s (a guard, generous): the point is 1 s, not 60 s.
      await connection.expect("pingreq", 5_000);
      await connection.send({ type: "pingresp" });
      await connection.send(publish("done", 0));
      await connection.expect("disconnect");
      const { code, last } = await outcome(process);
      assertEquals(code, 0);
      assertMatch(last ?? "", /^received 1 messages/);
    });
  });
});
