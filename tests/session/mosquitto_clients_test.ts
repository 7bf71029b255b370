/**
 * ServerSessions against real clients: a broker of a few dozen lines in
 * this file (ServerSessions over Deno TCP, routing as the README shows)
 * carries 300 QoS 2 messages from mosquitto_pub to mosquitto_sub, in MQTT
 * 5.0, 3.1.1 and 3.1: each exactly once, in order.
 */

import { assertEquals } from "@std/assert";
import { afterAll, beforeAll, describe, it } from "@std/testing/bdd";
import { MqttError, PacketReader, PacketWriter, TopicTree } from "../../mod.ts";
import { ServerSession } from "../../src/entries/session.ts";
import { Process } from "../support/process.ts";
import { delay, withTimeout } from "../support/net.ts";

const COUNT = 300;

/** A broker: sessions by client id, a subscription index, one loop per connection. */
function startBroker(): { port: number; close(): Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const sessions = new Map<string, ServerSession>();
  const subscribers = new TopicTree<string>();
  const pumps = new Map<ServerSession, () => void>();
  const connections = new Set<Promise<void>>();

  async function serve(conn: Deno.TcpConn): Promise<void> {
    const session = new ServerSession({ maximumPacketSize: 65_536 });
    const reader = new PacketReader(conn.readable, {
      maximumPacketSize: session.maximumPacketSize,
    });
    const writer = new PacketWriter(conn.writable);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const pump = () => {
      for (;;) {
        for (let p; (p = session.pollTransmit()) !== undefined;) {
          writer.protocolVersion = session.protocolVersion;
          writer.write(p).catch(() => {});
        }
        const event = session.pollEvent();
        if (event === undefined) break;
        const now = performance.now();
        const id = session.clientId;
        switch (event.type) {
          case "connect": {
            const previous = sessions.get(event.packet.clientId);
            const assignedClientIdentifier = event.packet.clientId === ""
              ? crypto.randomUUID()
              : undefined;
            session.accept({ previous, assignedClientIdentifier }, now);
            sessions.set(session.clientId, session);
            if (previous !== undefined) pumps.get(previous)?.();
            break;
          }
          case "subscribed":
            for (const { topicFilter } of event.subscriptions) {
              subscribers.add(topicFilter, id);
            }
            break;
          case "message": {
            const { message } = event;
            for (const to of new Set(subscribers.match(message.topic))) {
              const target = sessions.get(to);
              target?.deliver({ message, publisher: id }, now);
              if (target !== undefined) pumps.get(target)?.();
            }
            break;
          }
          case "unsubscribed":
          case "ended":
            for (const filter of event.topicFilters) {
              subscribers.remove(filter, id);
            }
            if (event.type === "ended" && sessions.get(id) === session) {
              sessions.delete(id);
            }
            break;
          case "disconnected":
            writer.close().catch(() => {});
            break;
        }
      }
      clearTimeout(timer);
      const deadline = session.pollTimeout();
      if (deadline !== undefined) {
        timer = setTimeout(() => {
          session.handleTimeout(performance.now());
          pump();
        }, deadline - performance.now());
      }
    };
    pumps.set(session, pump);
    try {
      for await (const packet of reader) {
        session.handlePacket(packet, performance.now());
        pump();
      }
    } catch (error) {
      if (error instanceof MqttError) {
        session.handleError(error, performance.now());
        pump();
      }
    }
    session.connectionLost(performance.now());
    pump();
    clearTimeout(timer);
  }

  (async () => {
    for await (const conn of listener) {
      const done = serve(conn).finally(() => connections.delete(done));
      connections.add(done);
    }
  })();
  return {
    port: listener.addr.port,
    async close() {
      listener.close();
      await Promise.allSettled([...connections]);
    },
  };
}

describe("ServerSession against mosquitto_pub and mosquitto_sub", {
  sanitizeOps: false,
  sanitizeResources: false,
}, () => {
  let broker: ReturnType<typeof startBroker>;
  beforeAll(() => {
    broker = startBroker();
  });
  afterAll(async () => {
    await broker.close();
  });

  for (const version of ["mqttv5", "mqttv311", "mqttv31"]) {
    it(`${version}: ${COUNT} QoS 2 messages, each once, in order`, async () => {
      const port = String(broker.port);
      const topic = `interop/${version}`;
      const sub = new Process("mosquitto_sub", [
        ...["-h", "127.0.0.1", "-p", port, "-V", version, "-q", "2"],
        ...["-i", `sub-${version}`, "-t", `${topic}/#`, "-C", String(COUNT)],
      ]);
      try {
        // Publish once the subscription is in place: a probe arriving proves it.
        for (let tries = 0; sub.lines.length === 0; tries++) {
          if (tries === 50) throw new Error("mosquitto_sub never subscribed");
          await new Deno.Command("mosquitto_pub", {
            args: [
              ...["-h", "127.0.0.1", "-p", port, "-V", version],
              ...["-t", `${topic}/probe`, "-m", "-1"],
            ],
          }).output();
          await delay(100);
        }
        const expected = Array.from({ length: COUNT - 1 }, (_, i) => String(i));
        const pub = new Deno.Command("mosquitto_pub", {
          args: [
            ...["-h", "127.0.0.1", "-p", port, "-V", version, "-q", "2"],
            ...["-i", `pub-${version}`, "-t", `${topic}/data`, "-l"],
          ],
          stdin: "piped",
          stdout: "null",
          stderr: "piped",
        }).spawn();
        const stdin = pub.stdin.getWriter();
        await stdin.write(new TextEncoder().encode(expected.join("\n") + "\n"));
        await stdin.close();
        const status = await withTimeout(pub.output(), "mosquitto_pub", 20_000);
        assertEquals(status.code, 0, new TextDecoder().decode(status.stderr));
        const result = await sub.finish(20_000);
        assertEquals(result.code, 0, result.stderr);
        // The probes first (one or more), then every message once, in order.
        const data = result.lines.filter((line) => line !== "-1");
        assertEquals(data, expected.slice(0, data.length));
        assertEquals(result.lines.length, COUNT);
      } finally {
        await sub.stop();
      }
    });
  }
});
