/**
 * Hostile peers on the stream side (issue 13), in process, with bounds on
 * memory (resident set and heap from `Deno.memoryUsage()`) that the code
 * before the fixes broke by far, and only generous bounds on time:
 *
 * 1. a peer that never reads, sent 1,000,000 awaited writes through
 *    webSocketStreams: the writes must wait and memory stay bounded
 *    (before: all resolved, the socket queued 108 MB, RSS +1 GB);
 * 2. one 64 MiB chunk of PINGREQs: the first packet comes at once and
 *    memory follows what was read (before: 4.8–12 s for the first packet,
 *    RSS +1.9 GB);
 * 3. 20,000 retained 1-byte payloads, each from its own 64 KiB chunk: with
 *    copyPayloads, they hold their bytes (in shared 4 KiB slabs) and memory
 *    stays small (before: every payload held its chunk, 1.3 GB outside the
 *    heap).
 *
 * (Attack 4 of the issue, prototype pollution, is the codec's.)
 */

import { assert, assertEquals, assertStrictEquals } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import {
  encode,
  MqttError,
  type Packet,
  PacketReader,
  PacketWriter,
  webSocketStreams,
} from "../mod.ts";
import { upgradeServer } from "./support/deno_web_socket.ts";
import { delay } from "./support/net.ts";
import { rawWebSocketClient } from "./support/raw_web_socket.ts";

const MiB = 1024 * 1024;

function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

/** How much the resident set, the heap and the memory outside it grew since `before`. */
function growth(
  before: Deno.MemoryUsage,
): { rss: number; heap: number; external: number } {
  const now = Deno.memoryUsage();
  return {
    rss: now.rss - before.rss,
    heap: now.heapUsed - before.heapUsed,
    external: now.external - before.external,
  };
}

describe(
  "hostile peers",
  { sanitizeOps: false, sanitizeResources: false },
  () => {
    it("attack 1: 1,000,000 awaited writes to a WebSocket peer that never reads wait, in bounded memory", async () => {
      const { server, next } = upgradeServer();
      const peer = await rawWebSocketClient(server.addr.port);
      peer.stopReading();
      const socket = await next();
      const writer = new PacketWriter(webSocketStreams(socket).writable);
      // What a broker forwards: a small message, 109 bytes on the wire.
      const publish: Packet = {
        type: "publish",
        topic: "a/b",
        payload: new Uint8Array(100),
        qos: 0,
        retain: false,
        dup: false,
      };
      const before = Deno.memoryUsage();
      let written = 0;
      let failure: unknown;
      const writing = (async () => {
        for (let i = 0; i < 1_000_000; i++) {
          await writer.write(publish);
          written++;
        }
      })().catch((error) => failure = error);
      // Until the writes stop going on (or all of them resolved).
      let seen = -1;
      const deadline = performance.now() + 60_000;
      while (written !== seen && written < 1_000_000) {
        seen = written;
        await delay(1_000);
        assert(performance.now() < deadline, "the writes never settled");
      }
      const grown = growth(before);
      const buffered = socket.bufferedAmount;
      peer.drop();
      await writing;
      await server.shutdown();
      assert(
        written < 1_000_000,
        `all 1,000,000 writes resolved while the peer read nothing`,
      );
      // The TCP buffers (a few MB) and the high-water mark (1 MiB) are all it
      // may take; before, the socket queued every message: 108 MB.
      assert(
        buffered <= 1.5 * MiB,
        `the socket held ${mib(buffered)} unsent`,
      );
      assert(
        grown.rss < 150 * MiB,
        `the resident set grew by ${mib(grown.rss)} (${written} writes)`,
      );
      assert(failure instanceof MqttError, `${failure}`);
    });

    it("attack 2: one 64 MiB chunk of PINGREQs: the first packet at once, memory following what was read", async () => {
      const chunk = new Uint8Array(64 * MiB);
      for (let i = 0; i < chunk.length; i += 2) chunk[i] = 0xc0;
      const before = Deno.memoryUsage();
      const started = performance.now();
      const reader = new PacketReader(ReadableStream.from([chunk]));
      assertEquals(await reader.read(), { type: "pingreq" });
      const first = performance.now() - started;
      for (let i = 0; i < 10_000; i++) await reader.read();
      const grown = growth(before);
      await reader.cancel();
      // Decoding the whole chunk first took 4.8 s to 12 s here.
      assert(first < 1_000, `the first packet took ${first.toFixed(0)} ms`);
      // The 33,554,432 packets of the chunk, decoded at once, took 1.9 GB.
      assert(
        grown.rss < 64 * MiB && grown.heap < 32 * MiB,
        `after 10,001 packets the resident set grew by ${
          mib(grown.rss)
        }, the heap by ${mib(grown.heap)}`,
      );
    });

    it("attack 3: 20,000 retained 1-byte payloads, each from its own 64 KiB chunk, do not pin the chunks with copyPayloads", async () => {
      const count = 20_000;
      /** A socket's reads: each packet at the front of a fresh 64 KiB buffer. */
      const chunks = (): ReadableStream<Uint8Array> => {
        let sent = 0;
        return new ReadableStream({
          pull(controller) {
            if (sent === count) return controller.close();
            const bytes = encode({
              type: "publish",
              topic: `retained/${sent}`,
              payload: new Uint8Array([sent & 0xff]),
              qos: 0,
              retain: true,
              dup: false,
            });
            // A socket's buffers hold earlier bytes: every page is in use.
            const buffer = new Uint8Array(65_536).fill(0xff);
            buffer.set(bytes);
            controller.enqueue(buffer.subarray(0, bytes.length));
            sent++;
          },
        }, { highWaterMark: 0 });
      };
      const before = Deno.memoryUsage();
      const kept: Uint8Array[] = [];
      for await (
        const packet of new PacketReader(chunks(), { copyPayloads: true })
      ) {
        if (packet.type === "publish") kept.push(packet.payload);
      }
      const grown = growth(before);
      assertEquals(kept.length, count);
      for (const [i, payload] of kept.entries()) {
        assertEquals(payload.length, 1);
        assertStrictEquals(payload[0], i & 0xff);
      }
      // What the payloads keep alive: with views, every 64 KiB chunk
      // (1.25 GiB); copied, a byte each in 4 KiB slabs they share, so
      // within one slab of the bytes kept.
      const buffers = new Set(kept.map((payload) => payload.buffer));
      const held = [...buffers].reduce(
        (sum, buffer) => sum + buffer.byteLength,
        0,
      );
      assert(held <= count + 4096, `${count} payload bytes hold ${held}`);
      // Memory outside the heap (ArrayBuffers): pinned chunks took 1.3 GB;
      // the chunks left behind are garbage the collector takes as it goes.
      assert(
        grown.external < 512 * MiB,
        `memory outside the heap grew by ${
          mib(grown.external)
        } for ${count} payloads`,
      );
    });
  },
);
