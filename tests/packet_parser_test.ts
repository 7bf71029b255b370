/**
 * PacketParser: the synchronous push parser. Framing over any chunking and
 * any interleaving of push and next, lazy decoding, errors in order and for
 * good, the end of the stream, and copyPayloads.
 */

import fc from "fast-check";
import {
  assert,
  assertEquals,
  assertMatch,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import {
  decode,
  encode,
  MqttError,
  type Packet,
  PacketParser,
  type PacketParserOptions,
} from "../mod.ts";
import { packetArbitrary } from "./arbitraries.ts";
import {
  BIG_PUBLISH,
  concat,
  encodeAll,
  PACKETS_4,
  PACKETS_5,
  splitAt,
  text,
} from "./support/samples.ts";

/** Every packet the chunks hold, pushing each and reading what it completes. */
function parseAll(
  chunks: Uint8Array[],
  options?: PacketParserOptions,
): Packet[] {
  const parser = new PacketParser(options);
  const packets: Packet[] = [];
  for (const chunk of chunks) packets.push(...parser.parse(chunk));
  parser.end();
  return packets;
}

function assertMqttError(
  fn: () => unknown,
  reasonCode: number,
  message?: RegExp,
): MqttError {
  const error = assertThrows(fn, MqttError);
  assertEquals(error.reasonCode, reasonCode);
  if (message !== undefined) assertMatch(error.message, message);
  return error;
}

for (const [version, packets] of [[5, PACKETS_5], [4, PACKETS_4]] as const) {
  describe(`PacketParser framing, MQTT ${version}, every packet type`, () => {
    const bytes = encodeAll(packets, version);

    it("parses every type from one chunk, taking the version from the CONNECT", () => {
      const parser = new PacketParser();
      assertEquals(parser.protocolVersion, 5);
      assertEquals([...parser.parse(bytes)], packets);
      assertEquals(parser.protocolVersion, version);
    });

    it("parses the same packets whatever the offset the bytes are split at", () => {
      for (let offset = 0; offset <= bytes.length; offset++) {
        assertEquals(parseAll(splitAt(bytes, [offset])), packets);
      }
    });

    it("parses the same packets from 1-byte and empty chunks", () => {
      const chunks = Array.from(bytes, (byte) => new Uint8Array([byte]));
      assertEquals(parseAll(chunks), packets);
      const padded = chunks.flatMap((chunk) => [new Uint8Array(0), chunk]);
      assertEquals(parseAll(padded), packets);
    });

    it("parses the same packets from ArrayBuffer chunks, as WebSocket messages are", () => {
      const chunks = splitAt(bytes, [5, 100]).map((chunk) =>
        chunk.slice().buffer
      );
      const parser = new PacketParser();
      const read: Packet[] = [];
      for (const chunk of chunks) read.push(...parser.parse(chunk));
      assertEquals(read, packets);
    });
  });
}

describe("PacketParser push and next, in any interleaving", () => {
  for (const version of [5, 4] as const) {
    it(`decodes random packets pushed in random chunks and read at random times, MQTT ${version} (fast-check)`, () => {
      fc.assert(
        fc.property(
          fc.array(packetArbitrary(version), { minLength: 1, maxLength: 12 }),
          fc.array(fc.nat(), { maxLength: 12 }),
          fc.array(fc.boolean(), { maxLength: 40 }),
          (packets, cuts, readAfter) => {
            const bytes = concat(
              packets.map((packet) =>
                encode(packet, { protocolVersion: version })
              ),
            );
            const offsets = [...new Set(cuts.map((cut) => cut % bytes.length))]
              .sort((a, b) => a - b);
            const parser = new PacketParser({ protocolVersion: version });
            const read: Packet[] = [];
            splitAt(bytes, offsets).forEach((chunk, i) => {
              parser.push(chunk);
              // Read now, or leave it for later: what the parser holds waits.
              if (readAfter[i] ?? true) {
                let packet;
                while ((packet = parser.next()) !== undefined) {
                  read.push(packet);
                }
              }
            });
            parser.end();
            read.push(...parser);
            assertEquals(parser.bufferedBytes, 0);
            // The decoder's own answer for each packet is the expected one.
            assertEquals(
              read,
              packets.map((packet) =>
                decode(encode(packet, { protocolVersion: version }), {
                  protocolVersion: version,
                })
              ),
            );
          },
        ),
        { numRuns: 200 },
      );
    });
  }

  it("leaves the rest of the bytes for later when a loop is left early", () => {
    const parser = new PacketParser();
    const bytes = encodeAll(PACKETS_5.slice(2, 6), 5);
    for (const packet of parser.parse(bytes)) {
      assertEquals(packet, PACKETS_5[2]);
      break;
    }
    assertEquals([...parser], PACKETS_5.slice(3, 6));
  });

  it("counts the bytes not yet handed out in bufferedBytes", () => {
    const parser = new PacketParser();
    const first = encode(PACKETS_5[2]);
    const second = encode(PACKETS_5[3]);
    parser.push(first);
    parser.push(second.subarray(0, 10));
    assertEquals(parser.bufferedBytes, first.length + 10);
    assertEquals(parser.next(), PACKETS_5[2]);
    assertEquals(parser.bufferedBytes, 10);
    assertEquals(parser.next(), undefined);
    // The 10 bytes are now held as a packet in the making.
    assertEquals(parser.bufferedBytes, 10);
    parser.push(second.subarray(10));
    assertEquals(parser.bufferedBytes, second.length);
    assertEquals(parser.next(), PACKETS_5[3]);
    assertEquals(parser.bufferedBytes, 0);
  });
});

describe("PacketParser is lazy", () => {
  it("decodes a packet only when it is asked for: a malformed one behind waits its turn", () => {
    // A PUBLISH with QoS 3 [MQTT-3.3.1-4], behind two good packets.
    const malformed = new Uint8Array([0x36, 0x02, 0x00, 0x00]);
    const good = encodeAll(PACKETS_5.slice(2, 4), 5);
    const parser = new PacketParser();
    parser.push(concat([good, malformed]));
    assertEquals(parser.next(), PACKETS_5[2]);
    // Still held: the second packet and the malformed bytes, not decoded.
    assertEquals(
      parser.bufferedBytes,
      good.length - encode(PACKETS_5[2]).length + malformed.length,
    );
    assertEquals(parser.next(), PACKETS_5[3]);
    assertMqttError(() => parser.next(), 0x81, /QoS/);
  });

  it("hands out the first packet of a chunk of a million packets without decoding the rest", () => {
    const count = 1_000_000;
    const chunk = new Uint8Array(count * 2);
    for (let i = 0; i < chunk.length; i += 2) chunk[i] = 0xc0; // PINGREQ
    chunk[chunk.length - 2] = 0x00; // the last one is malformed: type 0
    const parser = new PacketParser();
    parser.push(chunk);
    assertEquals(parser.next(), { type: "pingreq" });
    assertEquals(parser.bufferedBytes, chunk.length - 2);
    // Were the chunk decoded eagerly, the error would already be known; it
    // comes only after the 999,999 packets before it.
    let read = 1;
    assertMqttError(() => {
      while (parser.next() !== undefined) read++;
    }, 0x81);
    assertEquals(read, count - 1);
  });
});

describe("PacketParser errors", () => {
  const good = encodeAll(PACKETS_5.slice(2, 6), 5);
  const malformed = new Uint8Array([0x36, 0x02, 0x00, 0x00]);

  it("throws after every packet before the fault, naming its stream offset, and again on every call", () => {
    for (const chunks of [[good, malformed], [concat([good, malformed])]]) {
      const parser = new PacketParser();
      const read: Packet[] = [];
      const error = assertMqttError(() => {
        for (const chunk of chunks) {
          for (const packet of parser.parse(chunk)) read.push(packet);
        }
      }, 0x81);
      assertEquals(read, PACKETS_5.slice(2, 6));
      assertMatch(error.message, new RegExp(`byte offset ${good.length}`));
      assertStrictEquals(assertThrows(() => parser.next()), error);
      // Bytes pushed after the fault are dropped; the error stays.
      parser.push(encode({ type: "pingreq" }));
      assertStrictEquals(assertThrows(() => parser.next()), error);
      assertEquals(parser.bufferedBytes, 0);
      // end() has nothing to add.
      parser.end();
      assertStrictEquals(assertThrows(() => parser.next()), error);
    }
  });

  it("rejects a malformed Remaining Length wherever it is split", () => {
    const bad = new Uint8Array([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]);
    const bytes = concat([good, bad]);
    for (let offset = good.length; offset <= bytes.length; offset++) {
      const parser = new PacketParser();
      const read: Packet[] = [];
      assertMqttError(
        () => {
          for (const chunk of splitAt(bytes, [offset])) {
            for (const packet of parser.parse(chunk)) read.push(packet);
          }
        },
        0x81,
        new RegExp(
          `Remaining Length has more than 4 bytes .* at byte offset 1 \\(of the packet at byte offset ${good.length} of the stream\\)`,
        ),
      );
      assertEquals(read.length, 4);
    }
  });

  it("refuses a packet over maximumPacketSize from its fixed header, before its body arrives", () => {
    for (const header of [[0x30, 0xe8, 0x07], [0x30], [0x30, 0xe8]]) {
      const parser = new PacketParser({ maximumPacketSize: 500 });
      parser.push(new Uint8Array(header));
      if (header.length < 3) {
        assertEquals(parser.next(), undefined);
        parser.push(new Uint8Array([0xe8, 0x07].slice(header.length - 1)));
      }
      assertMqttError(() => parser.next(), 0x95, /1003 bytes.*500/);
    }
    const bytes = encode(PACKETS_5[3]);
    assertEquals(parseAll([bytes], { maximumPacketSize: bytes.length }), [
      PACKETS_5[3],
    ]);
  });

  it("throws 0x82 for a chunk that is not bytes, after the packets before it", () => {
    const parser = new PacketParser();
    parser.push(encode({ type: "pingreq" }));
    parser.push("text" as unknown as Uint8Array);
    parser.push(encode({ type: "pingresp" }));
    assertEquals(parser.next(), { type: "pingreq" });
    assertMqttError(() => parser.next(), 0x82, /got string.*MQTT-6\.0\.0-1/);
  });

  it("rejects invalid options with MqttError", () => {
    const bad = [
      { protocolVersion: 6 },
      { protocolVersion: "5" },
      { maximumPacketSize: 0 },
      { maximumPacketSize: 2.5 },
      { copyPayloads: "yes" },
      { copyPayloads: 1 },
    ];
    for (const options of bad) {
      assertThrows(
        () => new PacketParser(options as unknown as PacketParserOptions),
        MqttError,
      );
    }
  });
});

describe("PacketParser maximumPacketSize, changed on the way", () => {
  const big = BIG_PUBLISH;
  const connect = encode({
    type: "connect",
    protocolVersion: 5,
    clientId: "c",
    cleanStart: true,
    keepAlive: 60,
  });

  it("a server's limits: small until the CONNECT is taken, then larger, for the packets already pushed too", () => {
    const parser = new PacketParser({ maximumPacketSize: 100 });
    assertEquals(parser.maximumPacketSize, 100);
    // The CONNECT and a PUBLISH pipelined behind it, in one chunk.
    parser.push(concat([connect, big]));
    assertEquals(parser.next()?.type, "connect");
    parser.maximumPacketSize = 2_000;
    assertEquals(parser.maximumPacketSize, 2_000);
    assertEquals(parser.next(), decode(big));
  });

  it("a lowered limit refuses the next packet from its fixed header, 0x95", () => {
    const parser = new PacketParser();
    // The next packet's first two bytes only: framed, not buffered.
    parser.push(concat([connect, big.subarray(0, 3)]));
    assertEquals(parser.next()?.type, "connect");
    parser.maximumPacketSize = 100;
    assertMqttError(() => parser.next(), 0x95, /1009 bytes, above .* of 100 /);
  });

  it("a packet framed before the change keeps the limit it was framed with", () => {
    const parser = new PacketParser({ maximumPacketSize: 2_000 });
    parser.push(big.subarray(0, 500));
    assertEquals(parser.next(), undefined); // framed, half there
    parser.maximumPacketSize = 100;
    parser.push(big.subarray(500));
    assertEquals(parser.next(), decode(big));
  });

  it("refuses a limit that is not a positive integer", () => {
    const parser = new PacketParser();
    for (const bad of [0, -1, 1.5, NaN, "100"]) {
      assertMqttError(
        () => {
          parser.maximumPacketSize = bad as number;
        },
        0x82,
        /maximumPacketSize/,
      );
    }
  });
});

describe("PacketParser end()", () => {
  const bytes = encode(PACKETS_5[3]);

  it("throws 0x81 naming the bytes missing when the stream ended inside a packet; whole packets stay readable", () => {
    for (const cut of [1, 2, 3, 10, bytes.length - 1]) {
      const parser = new PacketParser();
      parser.push(encode({ type: "pingreq" }));
      parser.push(bytes.subarray(0, cut));
      const error = assertMqttError(
        () => parser.end(),
        0x81,
        cut >= 3
          ? new RegExp(
            `PUBLISH: the stream ended inside the packet: ${
              bytes.length - cut
            } of its ${bytes.length} bytes are missing, at byte offset ${
              2 + cut
            } of the stream`,
          )
          : /fixed header after \d byte\(s\): at least 1 more byte/,
      );
      assertEquals(parser.next(), { type: "pingreq" });
      assertStrictEquals(assertThrows(() => parser.next()), error);
      assertStrictEquals(assertThrows(() => parser.next()), error);
    }
  });

  it("finds the cut also when the packet was already being assembled, or spread over queued chunks", () => {
    const parser = new PacketParser();
    parser.push(bytes.subarray(0, 20));
    assertEquals(parser.next(), undefined); // assembling
    parser.push(bytes.subarray(20, 30));
    parser.push(bytes.subarray(30, 40));
    assertMqttError(
      () => parser.end(),
      0x81,
      new RegExp(`${bytes.length - 40} of its ${bytes.length} bytes`),
    );
  });

  it("does nothing more when the stream ended between packets, or when called again", () => {
    const parser = new PacketParser();
    parser.push(bytes);
    parser.end();
    parser.end();
    assertEquals(parser.next(), PACKETS_5[3]);
    assertEquals(parser.next(), undefined);
    assertMqttError(() => parser.push(bytes), 0x80, /end\(\)/);
  });

  it("reports the cut, while next() throws the faults in stream order", () => {
    const parser = new PacketParser();
    parser.push(new Uint8Array([0x36, 0x02, 0x00, 0x00]));
    parser.push(bytes.subarray(0, 5));
    // end() frames what is left without decoding it: it sees the cut.
    assertMqttError(() => parser.end(), 0x81, /stream ended/);
    // next() meets the malformed packet first, and stops there for good.
    const error = assertMqttError(() => parser.next(), 0x81, /QoS/);
    assertStrictEquals(assertThrows(() => parser.next()), error);
  });
});

describe("PacketParser protocol version", () => {
  it("takes the version of a CONNECT read first, else keeps 5 or the option", () => {
    const connect4 = encode(PACKETS_4[0]);
    const puback4 = encode({ type: "puback", packetId: 1 }, {
      protocolVersion: 4,
    });
    const parser = new PacketParser();
    assertEquals([...parser.parse(concat([connect4, puback4]))], [
      PACKETS_4[0],
      { type: "puback", packetId: 1 },
    ]);
    assertEquals(parser.protocolVersion, 4);

    const first = new PacketParser();
    first.push(concat([encode({ type: "pingreq" }), connect4]));
    assertEquals([...first].length, 2);
    assertEquals(first.protocolVersion, 5);

    const fixed = new PacketParser({ protocolVersion: 4 });
    fixed.push(encode(PACKETS_5[0]));
    assertEquals(fixed.next(), PACKETS_5[0]);
    assertEquals(fixed.protocolVersion, 4);
  });
});

describe("PacketParser copyPayloads", () => {
  const connect: Packet = {
    type: "connect",
    protocolVersion: 5,
    clientId: "c",
    cleanStart: true,
    keepAlive: 0,
    password: text("secret"),
    authenticationMethod: "m",
    authenticationData: text("auth"),
    will: {
      topic: "w",
      payload: text("gone"),
      qos: 0,
      retain: false,
      correlationData: text("will-id"),
    },
  };
  const publish: Packet = {
    type: "publish",
    topic: "t",
    payload: text("p"),
    qos: 0,
    retain: false,
    dup: false,
    correlationData: text("id"),
  };
  const connack: Packet = {
    type: "connack",
    sessionPresent: false,
    reasonCode: 0,
    authenticationMethod: "m",
    authenticationData: text("a"),
  };
  const auth: Packet = {
    type: "auth",
    reasonCode: 0x18,
    authenticationMethod: "m",
    authenticationData: text("b"),
  };

  /** Every binary field of a decoded packet. */
  function binaryFields(packet: Packet): Uint8Array[] {
    const fields: (Uint8Array | undefined)[] = [];
    if (packet.type === "publish") {
      fields.push(packet.payload, packet.correlationData);
    } else if (packet.type === "connect") {
      fields.push(
        packet.password,
        packet.authenticationData,
        packet.will?.payload,
        packet.will?.correlationData,
      );
    } else if (packet.type === "connack" || packet.type === "auth") {
      fields.push(packet.authenticationData);
    }
    return fields.filter((field) => field !== undefined);
  }

  it("copies every binary field out of a large chunk: small ones into one shared slab, large ones into buffers of their own", () => {
    // As a socket does: the packets at the front of a 64 KiB buffer.
    const chunk = new Uint8Array(65_536);
    const large: Packet = { ...publish, payload: new Uint8Array(600).fill(9) };
    const packets = [connect, publish, connack, auth, large];
    const bytes = concat(packets.map((packet) => encode(packet)));
    chunk.set(bytes);
    const parser = new PacketParser({ copyPayloads: true });
    parser.push(chunk.subarray(0, bytes.length));
    const read = [...parser];
    const fields = read.flatMap(binaryFields);
    assertEquals(fields.length, 10);
    // the socket reuses its buffer: nothing read may change
    chunk.fill(0xee);
    assertEquals(read, packets);
    const small = fields.filter((field) => field.length <= 512);
    assertEquals(small.length, 9);
    for (const field of small) {
      // 4 KiB at most, and the same slab for all: one allocation
      assertEquals(field.buffer.byteLength, 4096);
      assertStrictEquals(field.buffer, small[0].buffer);
    }
    const payload = fields.find((field) => field.length > 512)!;
    assertEquals(payload.buffer.byteLength, 600);
    chunk.set(bytes);
    // Without the option they are views of the chunk (zero copy).
    const views = new PacketParser();
    views.push(chunk.subarray(0, bytes.length));
    for (const field of [...views].flatMap(binaryFields)) {
      assertStrictEquals(field.buffer, chunk.buffer);
    }
  });

  it("keeps a view that fills most of its buffer: a large payload is not copied twice", () => {
    const large: Packet = { ...publish, payload: new Uint8Array(10_000) };
    const bytes = encode(large);
    // Split over two chunks, the packet is assembled in a buffer of its own,
    // of which the payload is nearly all.
    const parser = new PacketParser({ copyPayloads: true });
    parser.push(bytes.subarray(0, 100));
    parser.push(bytes.subarray(100));
    const read = parser.next();
    assert(read?.type === "publish");
    assertEquals(read.payload.buffer.byteLength, bytes.length);
    // From one chunk it is the chunk itself, which it nearly fills.
    const whole = new PacketParser({ copyPayloads: true });
    whole.push(bytes);
    const same = whole.next();
    assert(same?.type === "publish");
    assertStrictEquals(same.payload.buffer, bytes.buffer);
  });
});
