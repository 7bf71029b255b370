/**
 * PacketWriter: bytes as encode() makes them, in order, with back-pressure;
 * versions; the peer's Maximum Packet Size.
 */

import {
  assert,
  assertEquals,
  assertFalse,
  assertMatch,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import fc from "fast-check";
import {
  decode,
  encode,
  MqttError,
  type Packet,
  PacketWriter,
  type PacketWriterOptions,
  type ProtocolVersion,
} from "../mod.ts";
import { concat } from "./support/samples.ts";

/** A packet per index: PUBLISHes of varying size and QoS, with a few acks. */
function packetFor(i: number): Packet {
  if (i % 7 === 3) return { type: "puback", packetId: 1 + (i % 65_535) };
  const qos = (i % 3) as 0 | 1 | 2;
  return {
    type: "publish",
    topic: `t/${i}`,
    payload: new Uint8Array(i % 300).fill(i & 0xff),
    qos,
    retain: false,
    dup: false,
    ...(qos > 0 ? { packetId: 1 + (i % 65_535) } : {}),
  };
}

/**
 * A sink that takes a few turns of the event loop per chunk, with a
 * high-water mark of 1, and counts what the stream holds beyond what it
 * has accepted.
 */
function slowSink(): {
  stream: WritableStream<Uint8Array>;
  received: Uint8Array[];
  /** The chunks as handed over (not copied). */
  chunks: Uint8Array[];
  accepted: () => number;
  maxInFlight: () => number;
} {
  const received: Uint8Array[] = [];
  const chunks: Uint8Array[] = [];
  let enqueued = 0;
  let completed = 0;
  let accepted = 0;
  let maxInFlight = 0;
  const stream = new WritableStream<Uint8Array>({
    async write(chunk) {
      for (let i = 0; i < 5; i++) await Promise.resolve();
      received.push(chunk.slice());
      chunks.push(chunk);
      accepted += chunk.length;
      completed++;
    },
  }, {
    highWaterMark: 1,
    size() {
      enqueued++;
      maxInFlight = Math.max(maxInFlight, enqueued - completed);
      return 1;
    },
  });
  return {
    stream,
    received,
    chunks,
    accepted: () => accepted,
    maxInFlight: () => maxInFlight,
  };
}

/** A sink that records its chunks and accepts each at once. */
function recordingSink(): {
  stream: WritableStream<Uint8Array>;
  chunks: Uint8Array[];
} {
  const chunks: Uint8Array[] = [];
  const stream = new WritableStream<Uint8Array>({
    write(chunk) {
      chunks.push(chunk);
    },
  });
  return { stream, chunks };
}

describe("PacketWriter writes", () => {
  it("writes the bytes encode() makes, and resolves only once the sink accepted them", async () => {
    let release!: () => void;
    const chunks: Uint8Array[] = [];
    const stream = new WritableStream<Uint8Array>({
      write(chunk) {
        chunks.push(chunk);
        return new Promise((resolve) => release = resolve);
      },
    });
    const writer = new PacketWriter(stream);
    const packet: Packet = { type: "pubrec", packetId: 77, reasonCode: 0x10 };
    let written = false;
    const write = writer.write(packet).then(() => written = true);
    for (let i = 0; i < 10; i++) await Promise.resolve();
    assertEquals(chunks, [encode(packet)]);
    assertFalse(written);
    release();
    await write;
    assert(written);
    await writer.close();
  });

  it("keeps 10,000 writes fired at once byte-exact and in order, never running ahead of a slow sink", async () => {
    const sink = slowSink();
    const writer = new PacketWriter(sink.stream);
    const expected: Uint8Array[] = [];
    const ends: number[] = [];
    let end = 0;
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 10_000; i++) {
      const packet = packetFor(i);
      const bytes = encode(packet);
      expected.push(bytes);
      end += bytes.length;
      const mustHaveAccepted = end;
      writes.push(
        writer.write(packet).then(() => {
          // Resolved only after the sink took this packet's last byte.
          assert(sink.accepted() >= mustHaveAccepted);
          ends.push(mustHaveAccepted);
        }),
      );
    }
    await Promise.all(writes);
    await writer.close();
    assertEquals(concat(sink.received), concat(expected));
    assertEquals(ends, [...ends].sort((a, b) => a - b));
    assertEquals(sink.maxInFlight(), 1);
  });

  it("keeps 10,000 awaited writes byte-exact and in order, one chunk each", async () => {
    const sink = slowSink();
    const writer = new PacketWriter(sink.stream);
    const expected: Uint8Array[] = [];
    for (let i = 0; i < 10_000; i++) {
      const packet = packetFor(i);
      expected.push(encode(packet));
      await writer.write(packet);
      assertEquals(sink.received.length, i + 1);
    }
    await writer.close();
    assertEquals(sink.received, expected);
    assertEquals(sink.maxInFlight(), 1);
  });

  it("keeps bursts of writes of random sizes in order", async () => {
    const sink = slowSink();
    const writer = new PacketWriter(sink.stream);
    const expected: Uint8Array[] = [];
    let i = 0;
    for (let burst = 0; burst < 200; burst++) {
      const writes = [];
      for (let n = (burst * 37) % 23; n >= 0; n--, i++) {
        expected.push(encode(packetFor(i)));
        writes.push(writer.write(packetFor(i)));
      }
      if (burst % 3 === 0) await Promise.all(writes);
    }
    await writer.close();
    assertEquals(concat(sink.received), concat(expected));
    assertEquals(sink.maxInFlight(), 1);
  });

  it("joins packets written while the sink is busy into chunks of at most 64 KiB", async () => {
    const sink = slowSink();
    const writer = new PacketWriter(sink.stream);
    const big: Packet = {
      type: "publish",
      topic: "big",
      payload: new Uint8Array(100_000),
      qos: 0,
      retain: false,
      dup: false,
    };
    const packets = [...Array.from({ length: 999 }, (_, i) => packetFor(i))];
    packets.splice(500, 0, big);
    await Promise.all(packets.map((packet) => writer.write(packet)));
    await writer.close();
    assertEquals(
      concat(sink.received),
      concat(packets.map((packet) => encode(packet))),
    );
    assert(sink.received.length < 20, `${sink.received.length} chunks`);
    for (const chunk of sink.received) {
      assert(chunk.length <= 65_536 || chunk.length === encode(big).length);
    }
  });

  it("hands the sink chunks whose buffer is at most 4 times their size, however bursts come (batches start small and grow)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 400 }), {
          minLength: 1,
          maxLength: 12,
        }),
        async (bursts) => {
          const sink = slowSink();
          const writer = new PacketWriter(sink.stream);
          const all: Packet[] = [];
          let index = 0;
          for (const burst of bursts) {
            const packets = Array.from(
              { length: burst },
              () => packetFor(index++),
            );
            all.push(...packets);
            await Promise.all(packets.map((packet) => writer.write(packet)));
          }
          await writer.close();
          assertEquals(
            concat(sink.received),
            concat(all.map((packet) => encode(packet))),
          );
          for (const chunk of sink.chunks) {
            assert(
              chunk.buffer.byteLength <= 4 * chunk.length,
              `a chunk of ${chunk.length} bytes holds ${chunk.buffer.byteLength}`,
            );
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it("rejects an invalid packet with MqttError and writes nothing of it", async () => {
    const { stream, chunks } = recordingSink();
    const writer = new PacketWriter(stream);
    const invalid = [
      { type: "puback", packetId: 0 },
      { type: "publish", topic: "a/+", payload: new Uint8Array(), qos: 0 },
      { type: "nonsense" },
      null,
    ] as unknown as Packet[];
    const writes = [writer.write({ type: "pingreq" })];
    for (const packet of invalid) {
      const error = await assertRejects(() => writer.write(packet), MqttError);
      assertEquals(error.name, "MqttError");
    }
    writes.push(writer.write({ type: "pingresp" }));
    await Promise.all(writes);
    await writer.close();
    assertEquals(
      concat(chunks),
      concat([
        encode({ type: "pingreq" }),
        encode({ type: "pingresp" }),
      ]),
    );
  });

  it("writes no empty chunk for an invalid packet written while the sink is busy", async () => {
    const sink = slowSink();
    const writer = new PacketWriter(sink.stream);
    const first = writer.write({ type: "pingreq" });
    await assertRejects(
      () => writer.write({ type: "puback", packetId: 0 }),
      MqttError,
    );
    await first;
    await writer.close();
    assertEquals(sink.received, [encode({ type: "pingreq" })]);
  });

  it("sends a packet larger than a batch on its own while the sink is busy", async () => {
    const sink = slowSink();
    const writer = new PacketWriter(sink.stream);
    const large: Packet = {
      type: "publish",
      topic: "big",
      payload: new Uint8Array(100_000).fill(7),
      qos: 0,
      retain: false,
      dup: false,
    };
    const writes = [
      writer.write({ type: "pingreq" }),
      writer.write({ type: "pingresp" }),
      writer.write(large),
      writer.write({ type: "pingreq" }),
    ];
    await Promise.all(writes);
    await writer.close();
    assertEquals(
      concat(sink.received),
      concat([
        encode({ type: "pingreq" }),
        encode({ type: "pingresp" }),
        encode(large),
        encode({ type: "pingreq" }),
      ]),
    );
    assertEquals(sink.received.map((chunk) => chunk.length), [
      2,
      2,
      encode(large).length,
      2,
    ]);
  });

  it("rejects with MqttError 0x80 whose cause is the sink's error when the sink fails", async () => {
    const failure = new Error("broken pipe");
    const stream = new WritableStream<Uint8Array>({
      write() {
        throw failure;
      },
    });
    const writer = new PacketWriter(stream);
    const first = writer.write({ type: "pingreq" });
    const second = writer.write({ type: "pingreq" });
    for (
      const write of [first, second, writer.write({ type: "pingreq" })]
    ) {
      const error = await assertRejects(() => write, MqttError);
      assertEquals(error.reasonCode, 0x80);
      assertStrictEquals(error.cause, failure);
      assertMatch(error.message, /PacketWriter.*broken pipe/);
    }
    await assertRejects(() => writer.ready, MqttError);
    // Nothing is left to close: close() resolves.
    await writer.close();
  });

  it("close() writes what was accepted, then closes; later writes reject with MqttError", async () => {
    const sink = slowSink();
    let closed = false;
    const writer = new PacketWriter(sink.stream);
    const writes = Array.from({ length: 50 }, (_, i) => {
      return writer.write(packetFor(i));
    });
    const closing = writer.close().then(() => closed = true);
    await assertRejects(() => writer.write({ type: "pingreq" }), MqttError);
    await Promise.all(writes);
    await closing;
    assert(closed);
    assertEquals(
      concat(sink.received),
      concat(Array.from({ length: 50 }, (_, i) => encode(packetFor(i)))),
    );
  });

  it("close() twice shares one closing; close() after abort() rejects with MqttError", async () => {
    let closes = 0;
    const writer = new PacketWriter(
      new WritableStream({
        close() {
          closes++;
        },
      }),
    );
    await writer.write({ type: "pingreq" });
    const first = writer.close();
    assertStrictEquals(writer.close(), first);
    await first;
    await writer.close();
    assertEquals(closes, 1);
    const aborted = new PacketWriter(new WritableStream());
    await aborted.abort("bye");
    await assertRejects(() => aborted.close(), MqttError, "aborted");
  });

  it("ready resolves when a write would go to the sink at once", async () => {
    const sink = slowSink();
    const writer = new PacketWriter(sink.stream);
    const expected: Uint8Array[] = [];
    for (let i = 0; i < 200; i++) {
      await writer.ready;
      expected.push(encode(packetFor(i)));
      writer.write(packetFor(i));
    }
    await writer.close();
    assertEquals(concat(sink.received), concat(expected));
    // awaiting ready before each write: one packet per chunk, never batched
    assertEquals(sink.received.length, 200);
    assertEquals(sink.maxInFlight(), 1);
  });

  it("abort() rejects the writes not yet handed to the stream and aborts it", async () => {
    let abortReason: unknown;
    let release!: () => void;
    const started = Promise.withResolvers<void>();
    const stream = new WritableStream<Uint8Array>({
      write() {
        started.resolve();
        return new Promise((resolve) => release = resolve);
      },
      abort(reason) {
        abortReason = reason;
      },
    }, { highWaterMark: 1 });
    const writer = new PacketWriter(stream);
    const first = writer.write({ type: "pingreq" });
    await started.promise;
    const waiting = writer.write({ type: "pingresp" });
    const reason = new Error("going away");
    const aborting = writer.abort(reason);
    const error = await assertRejects(() => waiting, MqttError);
    assertStrictEquals(error.cause, reason);
    // The stream lets the write in progress finish before it aborts.
    release();
    await first;
    await aborting;
    assertStrictEquals(abortReason, reason);
    await assertRejects(() => writer.write({ type: "pingreq" }), MqttError);
  });

  it("locks the stream and rejects invalid options with MqttError", async () => {
    const stream = new WritableStream<Uint8Array>();
    new PacketWriter(stream);
    assert(stream.locked);
    assertThrows(() => new PacketWriter(stream), MqttError, "locked");
    const bad = [
      { protocolVersion: 6 },
      { maximumPacketSize: 0 },
      { maximumPacketSize: -5 },
    ] as unknown as PacketWriterOptions[];
    for (const options of bad) {
      assertThrows(
        () => new PacketWriter(new WritableStream(), options),
        MqttError,
      );
    }
    assertThrows(
      () => new PacketWriter({} as WritableStream<Uint8Array>),
      MqttError,
    );
    const writer = new PacketWriter(new WritableStream());
    assertThrows(() => writer.protocolVersion = 6 as 4, MqttError);
    assertThrows(() => writer.maximumPacketSize = 0, MqttError);
    writer.maximumPacketSize = 1;
    await assertRejects(() => writer.write({ type: "pingreq" }), MqttError);
  });
});

describe("PacketWriter bufferedBytes", () => {
  it("counts what waits in the writer for the stream, 0 once the stream has taken it", async () => {
    const pending: (() => void)[] = [];
    const chunks: Uint8Array[] = [];
    const writer = new PacketWriter(
      new WritableStream<Uint8Array>({
        write(chunk) {
          chunks.push(chunk);
          return new Promise<void>((resolve) => pending.push(resolve));
        },
      }),
    );
    assertEquals(writer.bufferedBytes, 0);
    const first = writer.write({ type: "pingresp" }); // to the stream at once
    assertEquals(writer.bufferedBytes, 0);
    const later = [1, 2, 3].map((packetId) =>
      writer.write({ type: "puback", packetId })
    );
    assertEquals(writer.bufferedBytes, 3 * 4);
    while (pending.length === 0) await Promise.resolve();
    pending.shift()!();
    await first;
    // The three PUBACKs go to the stream as one chunk.
    while (pending.length === 0) await Promise.resolve();
    assertEquals(writer.bufferedBytes, 0);
    assertEquals(chunks.map((chunk) => chunk.length), [2, 12]);
    pending.shift()!();
    await Promise.all(later);
  });
});

describe("PacketWriter protocol version", () => {
  const puback: Packet = { type: "puback", packetId: 5 };

  it("encodes with 5 by default, and switches to the version of a CONNECT written", async () => {
    const { stream, chunks } = recordingSink();
    const writer = new PacketWriter(stream);
    const connect: Packet = {
      type: "connect",
      protocolVersion: 4,
      clientId: "w",
      cleanStart: true,
      keepAlive: 10,
    };
    await writer.write(puback);
    await writer.write(connect);
    assertEquals(writer.protocolVersion, 4);
    await writer.write(puback);
    await writer.close();
    assertEquals(chunks, [
      encode(puback, { protocolVersion: 5 }),
      encode(connect),
      encode(puback, { protocolVersion: 4 }),
    ]);
    // 3.1.1 acks are 4 bytes long; 5.0 ones with Success too, but their
    // decoders differ on a reason code: check both decode back.
    assertEquals(decode(chunks[2], { protocolVersion: 4 }), puback);
  });

  it("uses the option, and the setter, for later packets", async () => {
    const { stream, chunks } = recordingSink();
    const writer = new PacketWriter(stream, { protocolVersion: 4 });
    const withReason: Packet = {
      type: "puback",
      packetId: 5,
      reasonCode: 0x10,
    };
    await assertRejects(() => writer.write(withReason), MqttError);
    writer.protocolVersion = 5;
    await writer.write(withReason);
    await writer.close();
    assertEquals(chunks, [encode(withReason)]);
    // a version set later must be named: no silent fallback to 5
    for (const version of [undefined, 6, "5"]) {
      assertThrows(() => {
        writer.protocolVersion = version as ProtocolVersion;
      }, MqttError);
    }
  });
});

describe("PacketWriter maximumPacketSize (the peer's limit)", () => {
  const long = "x".repeat(200);
  const properties = {
    reasonString: long,
    userProperties: [["key", long]] as [string, string][],
  };
  const droppable: Packet[] = [
    { type: "connack", sessionPresent: false, reasonCode: 0, ...properties },
    { type: "puback", packetId: 1, reasonCode: 0x10, ...properties },
    { type: "pubrec", packetId: 1, reasonCode: 0x10, ...properties },
    { type: "pubrel", packetId: 1, reasonCode: 0x92, ...properties },
    { type: "pubcomp", packetId: 1, reasonCode: 0, ...properties },
    { type: "suback", packetId: 1, reasonCodes: [0], ...properties },
    { type: "unsuback", packetId: 1, reasonCodes: [0], ...properties },
    { type: "disconnect", reasonCode: 0, ...properties },
    {
      type: "auth",
      reasonCode: 0x18,
      authenticationMethod: "m",
      ...properties,
    },
  ];

  async function writeOne(
    packet: Packet,
    maximumPacketSize: number,
  ): Promise<Uint8Array[]> {
    const { stream, chunks } = recordingSink();
    const writer = new PacketWriter(stream, { maximumPacketSize });
    try {
      await writer.write(packet);
    } finally {
      await writer.close();
    }
    return chunks;
  }

  it("fits a packet to the peer's limit as encodeWithin does (tested in fit_test.ts)", async () => {
    for (const packet of droppable) {
      const { reasonString: _r, userProperties: _u, ...bare } =
        packet as typeof properties;
      const fitted = encode(bare as Packet);
      assertEquals(await writeOne(packet, fitted.length), [fitted]);
      const error = await assertRejects(
        () => writeOne(packet, fitted.length - 1),
        MqttError,
      );
      assertEquals(error.reasonCode, 0x95);
    }
  });

  it("rejects a packet it cannot fit with 0x95, writing nothing of it", async () => {
    const packets: Packet[] = [{
      type: "publish",
      topic: "t",
      payload: new Uint8Array(),
      qos: 0,
      retain: false,
      dup: false,
      userProperties: [["key", long]],
    }];
    for (const packet of packets) {
      const { stream, chunks } = recordingSink();
      const writer = new PacketWriter(stream, { maximumPacketSize: 100 });
      const error = await assertRejects(() => writer.write(packet), MqttError);
      assertEquals(error.reasonCode, 0x95);
      await writer.write({ type: "pingreq" });
      await writer.close();
      assertEquals(chunks, [encode({ type: "pingreq" })]);
    }
  });

  it("applies a limit set later through the setter", async () => {
    const { stream, chunks } = recordingSink();
    const writer = new PacketWriter(stream);
    const packet: Packet = {
      type: "disconnect",
      reasonCode: 0,
      reasonString: long,
    };
    await writer.write(packet);
    writer.maximumPacketSize = 10;
    assertEquals(writer.maximumPacketSize, 10);
    await writer.write(packet);
    await writer.close();
    assertEquals(chunks, [
      encode(packet),
      encode({ type: "disconnect", reasonCode: 0 }),
    ]);
  });
});
