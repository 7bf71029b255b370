/**
 * mosquitto_pub and mosquitto_sub (Debian package mosquitto-clients)
 * against the example broker, with -V mqttv5, -V mqttv311 and -V mqttv31: QoS 0, 1, 2,
 * wildcards, retained messages, MQTT 5 properties and a Will. Their `-d`
 * output shows each acknowledgement they received from our broker.
 */

import { assert, assertEquals } from "@std/assert";
import { afterAll, afterEach, beforeAll, describe, it } from "@std/testing/bdd";
import { type RunningBroker, startBroker } from "../examples/broker.ts";
import { waitUntil } from "./support/net.ts";
import { Process, run } from "./support/process.ts";

const PUB = "mosquitto_pub";
const SUB = "mosquitto_sub";

for (const version of ["mqttv5", "mqttv311", "mqttv31"] as const) {
  describe(`interop: mosquitto_pub/mosquitto_sub -V ${version} against examples/broker.ts`, () => {
    let broker: RunningBroker;
    let processes: Process[] = [];
    const base = () => [
      "-h",
      "127.0.0.1",
      "-p",
      String(broker.tcpPort),
      "-V",
      version,
    ];

    beforeAll(async () => {
      broker = await startBroker({ port: 0, wsPort: null });
    });

    afterEach(async () => {
      await Promise.all(processes.map((process) => process.stop()));
      processes = [];
    });

    afterAll(async () => {
      await broker.close();
    });

    /**
     * Starts mosquitto_sub and waits until our broker holds its
     * subscription (its stdout is block-buffered in a pipe, so its own
     * output cannot tell when it is ready).
     */
    async function subscribe(args: string[]): Promise<Process> {
      const filter = args[args.indexOf("-t") + 1];
      const process = new Process(SUB, [...base(), "-d", ...args]);
      processes.push(process);
      await waitUntil(
        () => broker.state.isSubscribed(filter),
        `mosquitto_sub to subscribe to ${filter}`,
      );
      return process;
    }

    async function publish(args: string[]): Promise<string[]> {
      const { code, lines, stderr } = await run(PUB, [
        ...base(),
        "-d",
        ...args,
      ]);
      assertEquals(code, 0, stderr);
      return lines;
    }

    it("QoS 0, 1 and 2 through a + wildcard, each flow acknowledged", async () => {
      const sub = await subscribe([
        "-t",
        `${version}/+/temp`,
        "-q",
        "2",
        "-C",
        "3",
        "-F",
        "%q %r %t %p",
      ]);
      const acks: Record<number, RegExp[]> = {
        0: [],
        1: [/received PUBACK \(Mid: 1/],
        2: [/received PUBREC \(Mid: 1/, /received PUBCOMP \(Mid: 1/],
      };
      for (const qos of [0, 1, 2]) {
        const lines = await publish([
          "-t",
          `${version}/kitchen/temp`,
          "-m",
          `reading ${qos}`,
          "-q",
          String(qos),
        ]);
        for (const ack of acks[qos]) {
          assert(lines.some((line) => ack.test(line)), lines.join("\n"));
        }
      }
      const { code, lines } = await sub.finish();
      assertEquals(code, 0);
      const messages = lines.filter((line) =>
        !line.startsWith("Client ") && !line.startsWith("Subscribed")
      );
      assertEquals(messages, [
        `0 0 ${version}/kitchen/temp reading 0`,
        `1 0 ${version}/kitchen/temp reading 1`,
        `2 0 ${version}/kitchen/temp reading 2`,
      ]);
      // mosquitto_sub completed the QoS 2 flow with our broker's PUBREL.
      assert(lines.some((line) => /received PUBREL/.test(line)));
    });

    it("retained messages: stored, sent to a later subscriber with RETAIN, cleared", async () => {
      await publish(["-t", `${version}/ret`, "-m", "kept", "-q", "1", "-r"]);
      const late = await run(SUB, [
        ...base(),
        "-t",
        `${version}/#`,
        "-C",
        "1",
        "-F",
        "%r %t %p",
      ]);
      assertEquals(late.lines, [`1 ${version}/ret kept`]);
      // An empty retained message clears it: --retained-only then sees nothing.
      await publish(["-t", `${version}/ret`, "-n", "-r"]);
      const none = await run(SUB, [
        ...base(),
        "-t",
        `${version}/ret`,
        "--retained-only",
        "-W",
        "1",
      ]);
      assertEquals(none.lines, []);
    });

    it("publishes the Will of a mosquitto_sub that is killed", async () => {
      const watcher = await subscribe([
        "-t",
        `${version}/will/#`,
        "-C",
        "1",
        "-F",
        "%t %p",
      ]);
      const doomed = await subscribe([
        "-t",
        `${version}/unused`,
        "--will-topic",
        `${version}/will/doomed`,
        "--will-payload",
        "gone",
        "--will-qos",
        "1",
      ]);
      doomed.kill("SIGKILL"); // no DISCONNECT
      const { lines } = await watcher.finish();
      assert(lines.includes(`${version}/will/doomed gone`), lines.join("\n"));
    });

    if (version === "mqttv5") {
      it("carries MQTT 5 properties and the subscription identifier", async () => {
        const sub = await subscribe([
          "-t",
          "props/#",
          "-q",
          "1",
          "-C",
          "1",
          "-D",
          "subscribe",
          "subscription-identifier",
          "77",
          "-F",
          "%t|%p|%C|%D|%E|%F|%P|%R|%S",
        ]);
        await publish([
          "-t",
          "props/1",
          "-m",
          "hello",
          "-q",
          "1",
          "-D",
          "publish",
          "content-type",
          "text/plain",
          "-D",
          "publish",
          "user-property",
          "k",
          "v",
          "-D",
          "publish",
          "correlation-data",
          "abc",
          "-D",
          "publish",
          "response-topic",
          "props/reply",
          "-D",
          "publish",
          "message-expiry-interval",
          "100",
          "-D",
          "publish",
          "payload-format-indicator",
          "1",
        ]);
        const { lines } = await sub.finish();
        const message = lines.find((line) => line.startsWith("props/1|"));
        const [
          topic,
          payload,
          contentType,
          correlation,
          expiry,
          format,
          user,
          response,
          id,
        ] = message!.split("|");
        assertEquals(
          [
            topic,
            payload,
            contentType,
            correlation,
            format,
            user,
            response,
            id,
          ],
          [
            "props/1",
            "hello",
            "text/plain",
            "abc",
            "1",
            "k:v",
            "props/reply",
            "77",
          ],
        );
        assert(Number(expiry) <= 100 && Number(expiry) > 0);
      });
    }
  });
}
