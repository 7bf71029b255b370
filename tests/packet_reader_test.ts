/**
 * PacketReader: framing over any chunking, errors in order, size limits from
 * the fixed header, bounded memory, cancellation.
 */

import fc from "fast-check";
import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import {
  encode,
  MAXIMUM_PACKET_SIZE,
  MqttError,
  type Packet,
  PacketReader,
} from "../mod.ts";
import { packetArbitrary } from "./arbitraries.ts";
import { assertMqttError } from "./support/assertions.ts";
import {
  BIG_PUBLISH,
  concat,
  encodeAll,
  PACKETS_4,
  PACKETS_5,
  splitAt,
} from "./support/samples.ts";

/** A stream that hands out `chunks` one per pull, counting the pulls. */
function pullStream(
  chunks: Uint8Array[],
): { stream: ReadableStream<Uint8Array>; pulls: () => number } {
  let pulls = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const chunk = chunks[pulls++];
      if (chunk === undefined) controller.close();
      else controller.enqueue(chunk);
    },
  }, { highWaterMark: 0 });
  return { stream, pulls: () => pulls };
}

async function readAll(
  chunks: Uint8Array[],
  options?: ConstructorParameters<typeof PacketReader>[1],
): Promise<Packet[]> {
  const packets: Packet[] = [];
  for await (
    const packet of new PacketReader(ReadableStream.from(chunks), options)
  ) {
    packets.push(packet);
  }
  return packets;
}

for (
  const [version, packets] of [[5, PACKETS_5], [4, PACKETS_4]] as const
) {
  const name = version === 5 ? "MQTT 5.0" : "MQTT 3.1.1";
  describe(`PacketReader framing, ${name}, every packet type`, () => {
    const bytes = encodeAll(packets, version);

    it("reads every type from one chunk, and takes the version from the CONNECT", async () => {
      assertEquals(
        new Set(packets.map((p) => p.type)).size,
        version === 5 ? 15 : 14,
      );
      const reader = new PacketReader(ReadableStream.from([bytes]));
      assertEquals(reader.protocolVersion, 5);
      const read: Packet[] = [];
      for await (const packet of reader) read.push(packet);
      assertEquals(read, packets);
      assertEquals(reader.protocolVersion, version);
    });

    it("reads the same packets whatever the offset the bytes are split at", async () => {
      for (let offset = 0; offset <= bytes.length; offset++) {
        assertEquals(await readAll(splitAt(bytes, [offset])), packets);
      }
    });

    it("reads the same packets from 1-byte chunks", async () => {
      const chunks = Array.from(bytes, (byte) => new Uint8Array([byte]));
      assertEquals(await readAll(chunks), packets);
    });

    it("reads the same packets from empty chunks between the bytes", async () => {
      const empty = new Uint8Array(0);
      const chunks = [empty, ...splitAt(bytes, [1, 2, 3, 40]), empty]
        .flatMap((chunk) => [chunk, empty]);
      assertEquals(await readAll(chunks), packets);
    });

    it("reads the same packets from random chunkings (fast-check)", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(fc.integer({ min: 0, max: bytes.length }), {
            maxLength: 40,
          }),
          async (offsets) => {
            offsets.sort((a, b) => a - b);
            assertEquals(await readAll(splitAt(bytes, offsets)), packets);
          },
        ),
        { numRuns: 200 },
      );
    });
  });
}

describe("PacketReader framing, random packets", () => {
  for (const version of [5, 4] as const) {
    it(`reads random packet sequences in random chunkings, MQTT ${version} (fast-check)`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(packetArbitrary(version), { minLength: 1, maxLength: 8 }),
          fc.array(fc.double({ min: 0, max: 1, noNaN: true }), {
            maxLength: 12,
          }),
          async (packets, cuts) => {
            const bytes = encodeAll(packets, version);
            const offsets = [
              ...new Set(cuts.map((cut) => Math.floor(cut * bytes.length))),
            ].sort((a, b) => a - b);
            const read = await readAll(splitAt(bytes, offsets), {
              protocolVersion: version,
            });
            assertEquals(read, packets);
          },
        ),
        { numRuns: 100 },
      );
    });
  }

  it("splits inside a 3- and a 4-byte Remaining Length", async () => {
    for (const size of [20_000, 2_100_000]) {
      const packet: Packet = {
        type: "publish",
        topic: "t",
        payload: new Uint8Array(size).fill(1),
        qos: 0,
        retain: false,
        dup: false,
      };
      const bytes = concat([
        encode({ type: "pingreq" }),
        encode(packet),
        encode({ type: "pingresp" }),
      ]);
      for (let offset = 1; offset <= 8; offset++) {
        for (const second of [offset + 1, offset + 3, bytes.length - 3]) {
          assertEquals(await readAll(splitAt(bytes, [offset, second])), [
            { type: "pingreq" },
            packet,
            { type: "pingresp" },
          ]);
        }
      }
    }
  });
});

describe("PacketReader buffers", () => {
  it("decodes packets inside one chunk as views of that chunk", async () => {
    const bytes = encodeAll(PACKETS_5, 5);
    const [, , small, big] = await readAll([bytes]);
    assert(small.type === "publish" && big.type === "publish");
    assertStrictEquals(small.payload.buffer, bytes.buffer);
    assertStrictEquals(big.payload.buffer, bytes.buffer);
  });

  it("copies a packet split over chunks once, into a buffer of its exact size", async () => {
    const packet = PACKETS_5[3];
    const bytes = encode(packet);
    for (const offset of [1, 2, 3, 50, bytes.length - 1]) {
      const chunks = splitAt(bytes, [offset]);
      const [read] = await readAll(chunks);
      assert(read.type === "publish");
      assertEquals(read, packet);
      assertEquals(read.payload.buffer.byteLength, bytes.length);
      assert(chunks.every((chunk) => chunk.buffer !== read.payload.buffer));
    }
  });

  it("assembles a 1 MB packet from 64 KiB chunks into a buffer of its exact size", async () => {
    const packet: Packet = {
      type: "publish",
      topic: "large",
      payload: new Uint8Array(1_000_000).map((_, i) => i * 7),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 1,
    };
    const bytes = encode(packet);
    const offsets = [];
    for (let offset = 65_536; offset < bytes.length; offset += 65_536) {
      offsets.push(offset);
    }
    const [read] = await readAll(splitAt(bytes, offsets));
    assertEquals(read, packet);
    assert(read.type === "publish");
    assertEquals(read.payload.buffer.byteLength, bytes.length);
  });

  it("never writes to the chunks it reads", async () => {
    const bytes = encodeAll(PACKETS_5, 5);
    const chunks = splitAt(bytes, [1, 3, 7, 100, 101, 300, 301]);
    const copies = chunks.map((chunk) => chunk.slice());
    const packets = await readAll(chunks);
    assertEquals(packets, PACKETS_5);
    assertEquals(chunks, copies);
  });
});

describe("PacketReader errors", () => {
  const good = encodeAll(PACKETS_5.slice(2, 6), 5);
  // A PUBLISH with QoS 3 [MQTT-3.3.1-4]
  const malformed = new Uint8Array([0x36, 0x02, 0x00, 0x00]);

  it("delivers every packet before a malformed one, then throws MqttError", async () => {
    for (const chunks of [[good, malformed], [concat([good, malformed])]]) {
      const reader = new PacketReader(ReadableStream.from(chunks));
      for (const packet of PACKETS_5.slice(2, 6)) {
        assertEquals(await reader.read(), packet);
      }
      const error = await assertMqttError(reader.read(), 0x81, /PUBLISH/);
      assertMatch(error.message, new RegExp(`byte offset ${good.length}`));
      // The error stays: a later read throws it again.
      assertStrictEquals(
        await assertRejects(() => reader.read()),
        error,
      );
      await reader.cancel();
    }
  });

  it("delivers earlier packets through for await, then throws", async () => {
    const bytes = concat([good, malformed, encode({ type: "pingreq" })]);
    const read: Packet[] = [];
    const iterate = async () => {
      for await (
        const packet of new PacketReader(ReadableStream.from([bytes]))
      ) {
        read.push(packet);
      }
    };
    await assertMqttError(iterate(), 0x81);
    assertEquals(read, PACKETS_5.slice(2, 6));
  });

  it("rejects a malformed Remaining Length, even when split", async () => {
    // 5 bytes of Remaining Length [MQTT-1.5.5-1]
    const bad = new Uint8Array([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]);
    for (let offset = 0; offset <= bad.length; offset++) {
      const chunks = splitAt(concat([good, bad]), [good.length + offset]);
      const reader = new PacketReader(ReadableStream.from(chunks));
      for (let i = 0; i < 4; i++) assert(await reader.read());
      await assertMqttError(reader.read(), 0x81, /Remaining Length/);
      await reader.cancel();
    }
    // Packet type 0 is reserved (section 2.1.2)
    await assertMqttError(readAll([new Uint8Array([0x00, 0x00])]), 0x81);
  });

  it("throws 0x81 naming the missing bytes when the stream ends inside a packet", async () => {
    const bytes = encode(PACKETS_5[3]);
    for (const cut of [1, 2, 3, 10, bytes.length - 1]) {
      const reader = new PacketReader(
        ReadableStream.from([good, bytes.subarray(0, cut)]),
      );
      for (let i = 0; i < 4; i++) assert(await reader.read());
      const error = await assertMqttError(reader.read(), 0x81, /stream ended/);
      if (cut >= 3) {
        assertMatch(
          error.message,
          new RegExp(`${bytes.length - cut} of its ${bytes.length} bytes`),
        );
      } else {
        assertMatch(error.message, /at least 1 more byte/);
      }
    }
  });

  it("throws MqttError 0x80 whose cause is the source stream's error, after earlier packets", async () => {
    const failure = new Error("connection reset");
    let sent = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent) controller.error(failure);
        else controller.enqueue(concat([good, encode(PACKETS_5[3])]));
        sent = true;
      },
    }, { highWaterMark: 0 });
    const reader = new PacketReader(stream);
    for (const packet of [...PACKETS_5.slice(2, 6), PACKETS_5[3]]) {
      assertEquals(await reader.read(), packet);
    }
    const error = await assertMqttError(
      reader.read(),
      0x80,
      /PacketReader: the connection failed: Error: connection reset/,
    );
    assertStrictEquals(error.cause, failure);
    assertStrictEquals(await assertRejects(() => reader.read()), error);
    await reader.cancel();
  });

  it("rejects a packet over maximumPacketSize from its fixed header, before pulling its body", async () => {
    // A PUBLISH announcing 1,000 bytes; the body is never needed.
    const header = new Uint8Array([0x30, 0xe8, 0x07]);
    const { stream, pulls } = pullStream([
      good,
      header,
      new Uint8Array(1_000),
    ]);
    const reader = new PacketReader(stream, { maximumPacketSize: 500 });
    for (let i = 0; i < 4; i++) assert(await reader.read());
    await assertMqttError(reader.read(), 0x95, /1003 bytes.*500/);
    assertEquals(pulls(), 2);
    await reader.cancel();
  });

  it("rejects an oversized packet whose fixed header arrives a byte at a time", async () => {
    const header = [0x30, 0x81, 0x80, 0x01].map((b) => new Uint8Array([b]));
    const { stream, pulls } = pullStream([...header, new Uint8Array(100)]);
    const reader = new PacketReader(stream, { maximumPacketSize: 16_384 });
    await assertMqttError(reader.read(), 0x95);
    assertEquals(pulls(), 4);
    await reader.cancel();
  });

  it("accepts a packet of exactly maximumPacketSize", async () => {
    const bytes = encode(PACKETS_5[3]);
    const packets = await readAll(splitAt(bytes, [2]), {
      maximumPacketSize: bytes.length,
    });
    assertEquals(packets, [PACKETS_5[3]]);
    await assertMqttError(
      readAll([bytes], { maximumPacketSize: bytes.length - 1 }),
      0x95,
    );
  });

  it("keeps memory to what arrived when a huge length is announced and bytes trickle in", async () => {
    // A PUBLISH announcing the largest Remaining Length, 268,435,455 bytes.
    const header = new Uint8Array([0x30, 0xff, 0xff, 0xff, 0x7f]);
    const trickle = new Uint8Array(1_024).fill(0x61);
    const chunks = 4_096; // 4 MiB, 1/64 of the announced size
    let pulls = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        if (pulls === 1) controller.enqueue(header);
        else if (pulls <= chunks + 1) controller.enqueue(trickle);
        else controller.close();
      },
    }, { highWaterMark: 0 });
    const before = Deno.memoryUsage().external;
    const reader = new PacketReader(stream);
    const error = await assertMqttError(reader.read(), 0x81, /stream ended/);
    const grown = Deno.memoryUsage().external - before;
    const arrived = header.length + chunks * trickle.length;
    assertMatch(
      error.message,
      new RegExp(
        `${MAXIMUM_PACKET_SIZE - arrived} of its ${MAXIMUM_PACKET_SIZE} bytes`,
      ),
    );
    assertEquals(pulls, chunks + 2);
    // Growing by doubling holds at most twice what arrived (and the buffer
    // it outgrew); allocating the announced size would add 256 MiB.
    assert(
      grown < 4 * arrived,
      `external memory grew by ${grown} bytes for ${arrived} bytes received`,
    );
  });

  it("rejects invalid options and sources with MqttError", () => {
    const stream = () => ReadableStream.from<Uint8Array>([]);
    const bad = [
      { protocolVersion: 6 },
      { maximumPacketSize: 0 },
      { maximumPacketSize: 1.5 },
      { maximumPacketSize: "10" },
      // values without a text form must not make the message throw TypeError
      { protocolVersion: Object.create(null) },
      { maximumPacketSize: Symbol("size") },
    ];
    for (const options of bad) {
      assertThrows(
        () =>
          new PacketReader(
            stream(),
            options as ConstructorParameters<typeof PacketReader>[1],
          ),
        MqttError,
      );
    }
    assertThrows(
      () => new PacketReader({} as ReadableStream<Uint8Array>),
      MqttError,
    );
  });

  it("rejects a chunk that is not a Uint8Array with MqttError", async () => {
    const stream = ReadableStream.from(["text"]) as unknown as ReadableStream<
      Uint8Array
    >;
    await assertMqttError(new PacketReader(stream).read(), 0x82, /Uint8Array/);
  });
});

describe("PacketReader maximumPacketSize, changed on the way", () => {
  it("applies to the packets read after it is set (those already in a chunk too)", async () => {
    const big = BIG_PUBLISH;
    const ping = encode({ type: "pingreq" });
    const reader = new PacketReader(
      ReadableStream.from([concat([ping, big, ping, big])]),
      { maximumPacketSize: 100 },
    );
    assertEquals(await reader.read(), { type: "pingreq" });
    reader.maximumPacketSize = 2_000;
    assertEquals(reader.maximumPacketSize, 2_000);
    assertEquals((await reader.read())?.type, "publish");
    assertEquals(await reader.read(), { type: "pingreq" });
    reader.maximumPacketSize = 100;
    await assertMqttError(reader.read(), 0x95, /above the maximum/);
    await reader.cancel();
  });
});

describe("PacketReader after an error", () => {
  it("keeps the source open, so a DISCONNECT can still be sent, until cancel()", async () => {
    let cancelled = false;
    const source = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array([0x36, 0x00])); // PUBLISH with QoS 3
      },
      cancel() {
        cancelled = true;
      },
    });
    const reader = new PacketReader(source);
    await assertMqttError(reader.read(), 0x81);
    assertEquals(cancelled, false);
    await reader.cancel();
    assertEquals(cancelled, true);
  });
});

describe("PacketReader protocol version", () => {
  it("uses 5 when the first packet is not a CONNECT, even if one follows", async () => {
    const bytes = concat([
      encode({ type: "pingreq" }),
      encode(PACKETS_4[0]),
      encode({ type: "puback", packetId: 1, reasonCode: 0x10 }),
    ]);
    const reader = new PacketReader(ReadableStream.from([bytes]));
    assertEquals(await Array.fromAsync(reader), [
      { type: "pingreq" },
      PACKETS_4[0],
      { type: "puback", packetId: 1, reasonCode: 0x10 },
    ]);
    assertEquals(reader.protocolVersion, 5);
  });

  it("keeps the version of the option whatever CONNECT comes", async () => {
    const bytes = concat([
      encode(PACKETS_5[0]),
      encode({ type: "puback", packetId: 1 }, { protocolVersion: 4 }),
    ]);
    const reader = new PacketReader(ReadableStream.from([bytes]), {
      protocolVersion: 4,
    });
    assertEquals(await Array.fromAsync(reader), [
      PACKETS_5[0],
      { type: "puback", packetId: 1 },
    ]);
    assertEquals(reader.protocolVersion, 4);
  });

  it("decodes a 3.1.1 CONNACK only when told the version", async () => {
    const connack = encode(PACKETS_4[1], { protocolVersion: 4 });
    assertEquals(
      await readAll([connack], { protocolVersion: 4 }),
      [PACKETS_4[1]],
    );
    await assertMqttError(readAll([connack]), 0x81);
  });
});

describe("PacketReader reads and cancellation", () => {
  it("serves concurrent reads in order", async () => {
    const bytes = encodeAll(PACKETS_5, 5);
    const reader = new PacketReader(
      ReadableStream.from(splitAt(bytes, [10, 11, 200])),
    );
    const reads = PACKETS_5.map(() => reader.read());
    reads.push(reader.read(), reader.read());
    assertEquals(await Promise.all(reads), [
      ...PACKETS_5,
      undefined,
      undefined,
    ]);
  });

  it("cancels the source when a for await loop is left early", async () => {
    let reason: unknown = "not cancelled";
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encodeAll(PACKETS_5, 5));
      },
      cancel(why) {
        reason = why;
      },
    });
    const reader = new PacketReader(stream);
    for await (const packet of reader) {
      assertEquals(packet, PACKETS_5[0]);
      break;
    }
    assertEquals(reason, undefined);
    assertEquals(await reader.read(), undefined);
  });

  it("cancels the source when the loop body throws", async () => {
    let cancelled = 0;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encode({ type: "pingreq" }));
      },
      cancel() {
        cancelled++;
      },
    });
    const loop = async () => {
      for await (const _ of new PacketReader(stream)) throw new Error("stop");
    };
    await assertRejects(loop, Error, "stop");
    assertEquals(cancelled, 1);
  });

  it("cancel() passes its reason to the source and ends a pending read", async () => {
    let reason: unknown;
    const stream = new ReadableStream<Uint8Array>({
      // Half a packet, then nothing: a read waits.
      start(controller) {
        controller.enqueue(new Uint8Array([0x30]));
      },
      cancel(why) {
        reason = why;
      },
    });
    const reader = new PacketReader(stream);
    const pending = reader.read();
    await reader.cancel("shutting down");
    assertEquals(reason, "shutting down");
    assertEquals(await pending, undefined);
    assertEquals(await reader.read(), undefined);
    await reader.cancel();
  });

  it("locks the source stream", () => {
    const stream = ReadableStream.from<Uint8Array>([]);
    const reader = new PacketReader(stream);
    assert(stream.locked);
    // A second reader of the same stream is refused with MqttError.
    assertThrows(() => new PacketReader(stream), MqttError, "locked");
    return reader.cancel();
  });
});
