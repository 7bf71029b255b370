/**
 * The example client's I/O loop (examples/client/client.ts) on fake time:
 * its timers — the back-off between connections, the session's deadline —
 * are its own, so `FakeTime` drives them, and the broker is the test's
 * script on an in-memory link (tests/support/scripted_broker.ts).
 */

import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
} from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { FakeTime } from "@std/testing/time";
import { Client, type Retry } from "../../examples/client/client.ts";
import type { Transport } from "../../examples/client/transport.ts";
import { MqttError } from "../../mod.ts";
import type { ClientEvent } from "../../src/entries/session.ts";
import {
  memoryLink,
  type ScriptedConnection,
} from "../support/scripted_broker.ts";
import { waitUntil } from "../support/net.ts";
import { bytes, text } from "../support/test_client.ts";

/** Whether a promise has settled, looked at after the microtasks have run. */
function settled(promise: Promise<unknown>): () => boolean {
  let done = false;
  promise.then(() => done = true, () => done = true);
  return () => done;
}

/**
 * A dialler for tests: each attempt is recorded with the (fake) time; it
 * fails while `refuse` says so, else opens an in-memory link whose broker
 * end goes to `links`.
 */
function dialler(refuse: (attempt: number) => boolean = () => false) {
  const attempts: number[] = [];
  const links: ScriptedConnection[] = [];
  const dial = (): Promise<Transport> => {
    attempts.push(Date.now());
    if (refuse(attempts.length)) {
      return Promise.reject(new Error("connection refused"));
    }
    const { client, broker } = memoryLink();
    links.push(broker);
    return Promise.resolve(client);
  };
  return { attempts, links, dial };
}

/** Runs the fake clock timer by timer until `done` holds. */
async function runUntil(time: FakeTime, done: () => boolean): Promise<void> {
  for (let i = 0; i < 1_000 && !done(); i++) {
    if (!await time.nextAsync()) await time.runMicrotasks();
  }
  assert(done(), "the condition never held");
}

describe("Client (examples/client/client.ts)", () => {
  it("connects again after 50, 100, 200, 400, 800 ms, then every 1 s; abort() during the back-off stops it", async () => {
    using time = new FakeTime(0);
    const { attempts, dial } = dialler(() => true);
    const retries: Retry[] = [];
    const client = new Client({
      dial,
      now: () => Date.now(),
      random: () => 0,
      onRetry: (retry) => retries.push(retry),
    });
    await runUntil(time, () => attempts.length === 8);
    assertEquals(attempts, [0, 50, 150, 350, 750, 1_550, 2_550, 3_550]);
    assertEquals(retries.map((r) => r.delay), [
      50,
      100,
      200,
      400,
      800,
      1_000,
      1_000,
      1_000, // after the 8th attempt
    ]);
    assertEquals(String(retries[0].error), "Error: connection refused");

    const closed = client.abort();
    await time.runMicrotasks();
    assertEquals(await closed, undefined);
    await time.tickAsync(10_000);
    assertEquals(attempts.length, 8, "no attempt after abort()");
    await assertRejects(() => client.ready, MqttError);
  });

  it("the back-off starts again from 50 ms after a connection the broker accepted", async () => {
    using time = new FakeTime(0);
    const { attempts, links, dial } = dialler((n) => n > 1);
    const client = new Client({ dial, now: () => Date.now(), random: () => 0 });
    await links[0].accept();
    await client.ready;
    await time.tickAsync(100);
    links[0].cut();
    await runUntil(time, () => attempts.length === 4);
    assertEquals(attempts, [0, 150, 250, 450]);
    await client.abort();
  });

  it("a Server Keep Alive replaces the client's: PINGREQ after 2 s, and without an answer the connection is closed (0x8D) and a new one starts", async () => {
    using time = new FakeTime(0);
    const { attempts, links, dial } = dialler();
    const events: ClientEvent[] = [];
    const client = new Client({
      dial,
      keepAlive: 60,
      now: () => Date.now(),
      random: () => 0,
      onEvent: (event) => events.push(event),
    });
    const connect = await links[0].accept({ serverKeepAlive: 2 });
    assertEquals(connect.keepAlive, 60);
    await client.ready;
    const ping = links[0].expect("pingreq");
    const pinged = settled(ping);
    await time.tickAsync(1_999);
    await time.runMicrotasks();
    assert(!pinged(), "no PINGREQ before the Server Keep Alive");
    await time.tickAsync(1);
    await ping;
    // No PINGRESP: half the Keep Alive later the client closes the
    // connection (no DISCONNECT: 0x8D is a server's reason code).
    await time.tickAsync(1_000);
    assertEquals(await links[0].untilClosed(), []);
    const ended = events.at(-1);
    assertEquals(
      ended?.type === "disconnected" &&
        [ended.initiator, ended.reasonCode, ended.error?.message],
      ["local", 0x8d, "no answer to PINGREQ within 1000 ms"],
    );
    await runUntil(time, () => attempts.length === 2);
    assertEquals(attempts, [0, 3_050]);
    const again = await links[1].accept({ sessionPresent: false });
    assertEquals(again.cleanStart, true, "no session to resume (expiry 0)");
    await client.abort();
  });

  it("stops reading the network while `messageBuffer` messages wait for the application", async () => {
    const { links, dial } = dialler();
    const client = new Client({ dial, messageBuffer: 2 });
    const broker = links[0];
    await broker.accept();
    await client.ready;
    for (let id = 1; id <= 5; id++) {
      await broker.send({
        type: "publish",
        topic: "t",
        payload: bytes(String(id)),
        qos: 1,
        retain: false,
        dup: false,
        packetId: id,
      });
    }
    // Everything is in memory: a PUBACK due now is there after a pause.
    const pause = () => new Promise((resolve) => setTimeout(resolve, 20));
    await broker.expect("puback");
    await broker.expect("puback");
    let next = broker.expect("puback");
    let arrived = settled(next);
    await pause();
    assert(!arrived(), "a third PUBACK while the application reads nothing");
    const messages = client.messages.getReader();
    for (const [index, expected] of ["1", "2", "3"].entries()) {
      assertEquals(text((await messages.read()).value!.payload), expected);
      // Each message read lets one more in.
      assertEquals((await next).packetId, index + 3);
      if (index === 2) break;
      next = broker.expect("puback");
      arrived = settled(next);
      await pause();
      assert(!arrived(), `only ${index + 3} PUBACKs after ${index + 1} read`);
    }
    messages.releaseLock();
    await client.abort();
  });

  it("disconnect(): a DISCONNECT, the connection closed, no new one; what was not acknowledged is rejected", async () => {
    const { attempts, links, dial } = dialler();
    const client = new Client({ dial });
    await links[0].accept();
    await client.ready;
    const publishing = client.publish("t", "m", { qos: 1 });
    await links[0].expect("publish");
    const closed = client.disconnect();
    await links[0].expect("disconnect");
    assertEquals(await links[0].untilClosed(), []);
    const event = await closed;
    assertEquals([event?.initiator, event?.reasonCode], ["local", 0]);
    const error = await assertRejects(() => publishing, MqttError);
    assertEquals(error.reasonCode, 0x80);
    assertEquals(attempts.length, 1);
  });

  it("a CONNECT refused for good: Client.connect throws the broker's reason code, and no second attempt is made", async () => {
    const { attempts, links, dial } = dialler();
    const connecting = Client.connect({ dial });
    await links[0].accept({ reasonCode: 0x86 });
    const error = await assertRejects(() => connecting, MqttError);
    assertInstanceOf(error, MqttError);
    assertEquals(error.reasonCode, 0x86);
    assertEquals(attempts.length, 1);
  });

  describe("save (write-ahead)", () => {
    it("no packet is written before the save that includes it has resolved; a QoS 2 message's event comes before that save, its PUBREC after", async () => {
      const { links, dial } = dialler();
      const log: string[] = [];
      let release = Promise.withResolvers<void>();
      const client = new Client({
        dial,
        onPacket: (direction, packet) =>
          direction === "out" && log.push(`write ${packet.type}`),
        onEvent: (event) => log.push(`event ${event.type}`),
        save: async (session) => {
          log.push(`save [${session.snapshot().awaitingRelease}]`);
          await release.promise;
          log.push("saved");
        },
      });
      const connecting = links[0].accept();
      await waitUntil(() => log.length > 0, "the first save");
      assertEquals(log, ["save []"], "the CONNECT waits for the save");
      release.resolve();
      await connecting;
      await client.ready;

      log.length = 0;
      release = Promise.withResolvers();
      await links[0].send({
        type: "publish",
        topic: "t",
        payload: bytes("m"),
        qos: 2,
        retain: false,
        dup: false,
        packetId: 7,
      });
      await waitUntil(() => log.includes("save [7]"), "the save of the PUBREC");
      assertEquals(log, ["event message", "save [7]"]);
      release.resolve();
      assertEquals((await links[0].expect("pubrec")).packetId, 7);
      assertEquals(log, ["event message", "save [7]", "saved", "write pubrec"]);
      await client.disconnect();
    });

    it("packets given while a save runs go out after the next one, together (one save per batch)", async () => {
      const { links, dial } = dialler();
      let saves = 0;
      let release = Promise.withResolvers<void>();
      const client = new Client({
        dial,
        save: async () => {
          saves++;
          await release.promise;
        },
      });
      release.resolve();
      await links[0].accept();
      await client.ready;
      release = Promise.withResolvers();
      const before = saves;
      const publishing = ["a", "b", "c"].map((payload) =>
        client.publish("t", payload, { qos: 1 })
      );
      await waitUntil(() => saves === before + 1, "the save of the batch");
      release.resolve();
      for (const payload of ["a", "b", "c"]) {
        const publish = await links[0].expect("publish");
        assertEquals(text(publish.payload), payload);
        await links[0].send({ type: "puback", packetId: publish.packetId! });
      }
      await Promise.all(publishing);
      assertEquals(saves - before, 1, "one save for the three PUBLISH");
      await client.disconnect();
    });

    it("a save that fails stops the client with nothing more written", async () => {
      const { links, dial } = dialler();
      let fail = false;
      const client = new Client({
        dial,
        save: () =>
          fail ? Promise.reject(new Error("disk full")) : Promise.resolve(),
      });
      await links[0].accept();
      await client.ready;
      fail = true;
      const publishing = client.publish("t", "m", { qos: 1 });
      assertEquals(await links[0].untilClosed(), [], "no PUBLISH");
      await assertRejects(() => publishing, MqttError);
      await client.closed;
    });
  });
});
