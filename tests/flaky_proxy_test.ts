/**
 * The failing-network proxy of tests/support/flaky_proxy.ts: it forwards
 * bytes unchanged (split into pieces when asked), cuts every connection
 * within its drawn life, both sides at once, with a RST or a FIN, counts the
 * cuts, and draws the same lives from the same seed. Last, an MQTT session
 * with mosquitto through it, packets split into pieces of a few bytes.
 */

import {
  assert,
  assertEquals,
  assertGreater,
  assertGreaterOrEqual,
  assertLessOrEqual,
  assertNotEquals,
  assertRejects,
} from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { FlakyProxy, seededRandom } from "./support/flaky_proxy.ts";
import { startMosquitto } from "./support/mosquitto.ts";
import { waitUntil, withTimeout } from "./support/net.ts";
import { bytes, TestClient, text } from "./support/test_client.ts";

/** How a connection ended, as its reader saw it. */
type Ending = "end" | "reset";

/** A TCP server on 127.0.0.1 that echoes and records how each connection ended. */
function startEchoServer() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const endings: Ending[] = [];
  const reads: number[] = [];
  const served: Promise<void>[] = [];
  const accepting = (async () => {
    for await (const conn of listener) {
      served.push((async () => {
        const buffer = new Uint8Array(65_536);
        try {
          while (true) {
            const n = await conn.read(buffer);
            if (n === null) {
              endings.push("end");
              break;
            }
            reads.push(n);
            await conn.write(buffer.slice(0, n));
          }
        } catch (error) {
          endings.push(
            error instanceof Deno.errors.ConnectionReset ? "reset" : "end",
          );
        } finally {
          try {
            conn.close();
          } catch {
            // already closed
          }
        }
      })());
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    endings,
    reads,
    async close() {
      listener.close();
      await accepting.catch(() => {});
      await Promise.all(served);
    },
  };
}

/** Reads a connection until it ends; how it ended, and the bytes read. */
async function readToEnd(
  conn: Deno.Conn,
): Promise<{ ending: Ending; data: Uint8Array }> {
  const parts: Uint8Array[] = [];
  const buffer = new Uint8Array(65_536);
  let ending: Ending = "end";
  try {
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) break;
      parts.push(buffer.slice(0, n));
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.ConnectionReset)) throw error;
    ending = "reset";
  }
  try {
    conn.close();
  } catch {
    // already closed
  }
  const data = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    data.set(part, offset);
    offset += part.length;
  }
  return { ending, data };
}

function connect(port: number): Promise<Deno.TcpConn> {
  return Deno.connect({ hostname: "127.0.0.1", port });
}

describe("FlakyProxy", () => {
  it("forwards bytes both ways unchanged, in pieces of at most maxChunkBytes", async () => {
    const echo = startEchoServer();
    const proxy = await FlakyProxy.start({
      targetPort: echo.port,
      minLifeMs: 60_000,
      maxLifeMs: 60_000,
      maxChunkBytes: 7,
    });
    try {
      const conn = await connect(proxy.port);
      const sent = crypto.getRandomValues(new Uint8Array(20_000));
      const reading = readToEnd(conn);
      await conn.write(sent);
      await waitUntil(
        () => proxy.stats.bytesToClient === sent.length,
        "the echo to come back through the proxy",
      );
      conn.closeWrite();
      const { ending, data } = await withTimeout(reading, "the echo");
      assertEquals(ending, "end");
      assertEquals(data, sent);
      const stats = proxy.stats;
      assertEquals(stats.bytesToTarget, sent.length);
      // Pieces of 1 to 7 bytes, 4 on average: each direction took thousands.
      assertGreaterOrEqual(stats.writes, 2 * Math.ceil(sent.length / 7));
      // The receiver reads what reached the kernel meanwhile: often a few
      // pieces at once, never the whole at once.
      assertGreater(echo.reads.length, 20, "the echo server's reads");
      assertEquals(stats.cuts, 0);
    } finally {
      await proxy.close();
      await echo.close();
    }
  });

  it("holds data latencyMs each way before forwarding it, in order, whole or in pieces", async () => {
    const echo = startEchoServer();
    for (const maxChunkBytes of [undefined, 5]) {
      const proxy = await FlakyProxy.start({
        targetPort: echo.port,
        minLifeMs: 60_000,
        maxLifeMs: 60_000,
        latencyMs: 40,
        maxChunkBytes,
      });
      try {
        const conn = await connect(proxy.port);
        const reading = readToEnd(conn);
        const started = performance.now();
        // Three writes a little apart: they come back in order, each held.
        const sent = ["first ", "second ", "third"];
        for (const part of sent) {
          await conn.write(bytes(part));
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        const total = sent.join("").length;
        await waitUntil(
          () => proxy.stats.bytesToClient === total,
          "the echo to come back through the proxy",
        );
        // Held twice (there and back); a timer never fires early.
        assertGreaterOrEqual(performance.now() - started, 80);
        conn.closeWrite();
        const { data } = await withTimeout(reading, "the echo");
        assertEquals(text(data), sent.join(""));
        assertEquals(proxy.stats.cuts, 0);
      } finally {
        await proxy.close();
      }
    }
    await echo.close();
    await assertRejects(
      () => FlakyProxy.start({ targetPort: echo.port, latencyMs: -1 }),
      RangeError,
    );
  });

  it("cuts every connection within its life, both sides, and counts the cuts", async () => {
    const echo = startEchoServer();
    const proxy = await FlakyProxy.start({
      targetPort: echo.port,
      seed: 7,
      minLifeMs: 100,
      maxLifeMs: 300,
    });
    try {
      const started = performance.now();
      const conns = await Promise.all(
        Array.from({ length: 5 }, () => connect(proxy.port)),
      );
      const ends = await withTimeout(
        Promise.all(conns.map(async (conn) => {
          await conn.write(bytes("hello"));
          const result = await readToEnd(conn);
          return { ...result, after: performance.now() - started };
        })),
        "the proxy to cut every connection",
      );
      for (const end of ends) {
        assertEquals(text(end.data), "hello", "forwarded before the cut");
        // A timer never fires early; the upper bound is only a generous guard.
        assertGreaterOrEqual(end.after, 100);
        assertLessOrEqual(end.after, 300 + 2_000);
      }
      assertEquals(proxy.lives.length, 5);
      for (const life of proxy.lives) {
        assert(life >= 100 && life <= 300, `life ${life}`);
      }
      const stats = proxy.stats;
      assertEquals(stats.connections, 5);
      assertEquals(stats.cuts, 5);
      assertEquals(stats.resets + stats.closes, 5);
      // The target's side was cut too.
      await waitUntil(
        () => echo.endings.length === 5,
        "the target side to end",
      );
    } finally {
      await proxy.close();
      await echo.close();
    }
  });

  for (const [cut, ending] of [["reset", "reset"], ["close", "end"]] as const) {
    it(`cut: "${cut}" ends both peers' streams with ${ending === "reset" ? "a RST (ConnectionReset)" : "a FIN (end of stream)"}`, async () => {
      const echo = startEchoServer();
      const proxy = await FlakyProxy.start({
        targetPort: echo.port,
        minLifeMs: 50,
        maxLifeMs: 50,
        cut,
      });
      try {
        const conn = await connect(proxy.port);
        await conn.write(bytes("x"));
        const result = await withTimeout(readToEnd(conn), "the cut");
        assertEquals(result.ending, ending);
        await waitUntil(() => echo.endings.length === 1, "the target side");
        assertEquals(echo.endings, [ending]);
        const stats = proxy.stats;
        assertEquals(
          [stats.cuts, stats.resets, stats.closes],
          cut === "reset" ? [1, 1, 0] : [1, 0, 1],
        );
      } finally {
        await proxy.close();
        await echo.close();
      }
    });
  }

  it("a connection its client closes is closed at the target and is not a cut", async () => {
    const echo = startEchoServer();
    const proxy = await FlakyProxy.start({
      targetPort: echo.port,
      minLifeMs: 60_000,
      maxLifeMs: 60_000,
    });
    try {
      const conn = await connect(proxy.port);
      await conn.write(bytes("bye"));
      const buffer = new Uint8Array(3);
      assertEquals(await conn.read(buffer), 3);
      conn.close();
      await waitUntil(() => echo.endings.length === 1, "the target side");
      assertEquals(proxy.stats.cuts, 0);
    } finally {
      await proxy.close();
      await echo.close();
    }
  });

  it("draws the same lives from the same seed, others from another", async () => {
    const echo = startEchoServer();
    const lives: number[][] = [];
    try {
      for (const seed of [42, 42, 43]) {
        const proxy = await FlakyProxy.start({ targetPort: echo.port, seed });
        for (let i = 0; i < 4; i++) (await connect(proxy.port)).close();
        await waitUntil(() => proxy.lives.length === 4, "4 connections");
        lives.push(proxy.lives);
        await proxy.close();
      }
    } finally {
      await echo.close();
    }
    assertEquals(lives[0], lives[1]);
    assertNotEquals(lives[0], lives[2]);
    for (const life of lives.flat()) assert(life >= 200 && life <= 1_500);
    // The generator itself: deterministic and within [0, 1).
    const a = seededRandom(9);
    const b = seededRandom(9);
    for (let i = 0; i < 1_000; i++) {
      const x = a();
      assertEquals(x, b());
      assert(x >= 0 && x < 1);
    }
  });

  it("carries MQTT sessions to mosquitto in pieces of 1 to 3 bytes", async () => {
    const mosquitto = await startMosquitto();
    const proxy = await FlakyProxy.start({
      targetPort: mosquitto.port,
      minLifeMs: 60_000,
      maxLifeMs: 60_000,
      maxChunkBytes: 3,
    });
    try {
      const subscriber = await TestClient.connect(proxy.port, {
        clientId: "subscriber",
      });
      await subscriber.subscribe("flaky/#");
      const publisher = await TestClient.connect(proxy.port, {
        clientId: "publisher",
      });
      const payload = "x".repeat(1_000);
      await publisher.publish({
        topic: "flaky/1",
        qos: 2,
        payload: bytes(payload),
      });
      const publish = await subscriber.receive();
      assertEquals(text(publish.payload), payload);
      await publisher.disconnect();
      await subscriber.disconnect();
      // 1,000 bytes each way (and the rest) in pieces of 2 bytes on average.
      assertGreater(proxy.stats.writes, 1_000);
    } finally {
      await proxy.close();
      await mosquitto.stop();
    }
  });
});
