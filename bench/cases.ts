/**
 * Every case the benchmarks measure, as plain functions, so that the
 * `deno bench` files and the interleaved timing loop of `summary.ts` run
 * exactly the same code. A case's name is `group/codec`; in each group the
 * case `ours` is the baseline the others are compared with.
 *
 * @module
 */

import {
  decode,
  encode,
  encodeInto,
  type Packet,
  PacketParser,
  PacketReader,
  PacketWriter,
} from "../mod.ts";
import {
  type Fixture,
  large,
  mix4,
  mix5,
  mqttPacket,
  mqttPacketParser,
  opifex,
  small,
  SMALL_PUBLISH,
  toBuffer,
} from "./packets.ts";
import { floorDecode, floorEncode } from "./floor.mjs";

/** One measured function. */
export interface Case {
  /** The group it is compared within, such as `decode-small`. */
  readonly group: string;
  /** `group/codec`, such as `decode-small/opifex`. */
  readonly name: string;
  /** Whether this is our codec, the group's baseline. */
  readonly baseline: boolean;
  /** The work: one call is one iteration. */
  readonly fn: () => void | Promise<void>;
  /** Whether `fn` returns a promise. */
  readonly async: boolean;
  /** Whether one call takes milliseconds (then Deno runs it a fixed, small number of times). */
  readonly slow: boolean;
}

/** Keeps every result reachable, so that no work is optimised away. */
let sink = 0;

function add(
  list: Case[],
  group: string,
  codec: string,
  fn: () => void | Promise<void>,
  options: { async?: boolean; slow?: boolean } = {},
): void {
  list.push({
    group,
    name: `${group}/${codec}`,
    baseline: codec === "ours",
    fn,
    async: options.async ?? false,
    slow: options.slow ?? false,
  });
}

function decodeCases(list: Case[], group: string, fixture: Fixture): void {
  const { wire, buffers, version, opifexOptions } = fixture;
  const options = { protocolVersion: version };
  add(list, group, "ours", () => {
    for (let i = 0; i < wire.length; i++) {
      sink += decode(wire[i], options).type.length;
    }
  });
  // One parser for the whole run, as one per connection in real use.
  const parser = mqttPacketParser(version, (packet) => {
    sink += packet.cmd.length;
  });
  add(list, group, "mqtt-packet", () => {
    for (let i = 0; i < buffers.length; i++) parser.parse(buffers[i]);
  });
  add(list, group, "opifex", () => {
    for (let i = 0; i < wire.length; i++) {
      sink += opifex.decode(wire[i], opifexOptions).type;
    }
  });
}

function encodeCases(list: Case[], group: string, fixture: Fixture): void {
  const { version, opifexOptions } = fixture;
  const ours: Packet[] = fixture.ours;
  const theirs = fixture.mqttPacket;
  const opifexPackets = fixture.opifex;
  const options = { protocolVersion: version };
  add(list, group, "ours", () => {
    for (let i = 0; i < ours.length; i++) {
      sink += encode(ours[i], options).length;
    }
  });
  add(list, group, "mqtt-packet", () => {
    for (let i = 0; i < theirs.length; i++) {
      sink += mqttPacket.generate(theirs[i], options).length;
    }
  });
  add(list, group, "opifex", () => {
    for (let i = 0; i < opifexPackets.length; i++) {
      sink += opifex.encode(opifexPackets[i], opifexOptions).length;
    }
  });
}

/** Decoding and encoding whole packets: parts 1 to 3 of the issue. */
export const CODEC_CASES: Case[] = [];
{
  const list = CODEC_CASES;
  decodeCases(list, "decode-small", small);
  decodeCases(list, "decode-mix-v5", mix5);
  decodeCases(list, "decode-mix-v4", mix4);
  decodeCases(list, "decode-1MiB", large);
  // The same header with a 64-byte payload: a decoder that makes views
  // takes the same time for both.
  const smallWire = small.wire[0];
  add(list, "decode-1MiB", "ours-64B", () => {
    sink += decode(smallWire).type.length;
  });
  encodeCases(list, "encode-small", small);
  // The floor: a hand-written encoder and decoder for exactly this shape,
  // checking nothing (floor.mjs); "floor" is the baseline's rival here.
  const smallPacket = small.ours[0] as Packet & {
    type: "publish";
    packetId: number;
    userProperties: [string, string][];
  };
  add(list, "encode-floor", "ours", () => {
    sink += encode(smallPacket).length;
  });
  add(list, "encode-floor", "floor", () => {
    sink += floorEncode(smallPacket).length;
  });
  add(list, "decode-floor", "ours", () => {
    sink += decode(small.wire[0]).type.length;
  });
  add(list, "decode-floor", "floor", () => {
    sink += floorDecode(small.wire[0]).type.length;
  });
  encodeCases(list, "encode-mix-v5", mix5);
  encodeCases(list, "encode-mix-v4", mix4);
  encodeCases(list, "encode-1MiB", large);
  // The physical limit of encoding 1 MiB: copying the payload, into a
  // buffer allocated once, and into a new one (`encode` has to allocate).
  const packet = large.ours[0];
  const source = packet.type === "publish" ? packet.payload : new Uint8Array();
  const target = new Uint8Array(source.length);
  add(list, "encode-1MiB", "copy", () => {
    target.set(source);
    sink += target[sink & 0xfffff];
  });
  add(list, "encode-1MiB", "alloc+copy", () => {
    const bytes = new Uint8Array(source.length);
    bytes.set(source);
    sink += bytes[sink & 0xfffff];
  });
  // encodeInto a buffer reused from call to call: what a writer that owns
  // its buffer pays, with every check of encode.
  const scratch = new Uint8Array(source.length + 64);
  add(list, "encode-1MiB", "ours-into", () => {
    sink += encodeInto(packet, scratch).length;
  });
}

/** The number of packets each streaming iteration moves. */
export const STREAM_COUNT = 100_000;
/** The size of the chunks the stream delivers. */
export const CHUNK = 64 * 1024;

/**
 * Streaming: 100,000 small packets (the small MQTT 5 PUBLISH, with packet
 * identifiers counting up) through PacketReader over 64 KiB chunks, against
 * mqtt-packet's parser fed the same chunks and our `decode` called on each
 * packet in a loop; PacketWriter into a sink that counts bytes, against
 * mqtt-packet's `generate` and our `encode` in a loop. Part 4 of the issue.
 */
export function streamCases(): Case[] {
  const list: Case[] = [];
  const packets: Packet[] = [];
  for (let i = 0; i < STREAM_COUNT; i++) {
    packets.push({ ...SMALL_PUBLISH, packetId: (i % 65_535) + 1 } as Packet);
  }
  const wire = packets.map((packet) => encode(packet));
  const all = new Uint8Array(
    wire.reduce((sum, bytes) => sum + bytes.length, 0),
  );
  // Each packet as a view of `all`.
  const views: Uint8Array[] = [];
  let offset = 0;
  for (const bytes of wire) {
    all.set(bytes, offset);
    views.push(all.subarray(offset, offset + bytes.length));
    offset += bytes.length;
  }
  // `all` in 64 KiB chunks: packets straddle chunk boundaries, as on a socket.
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < all.length; at += CHUNK) {
    chunks.push(all.subarray(at, Math.min(all.length, at + CHUNK)));
  }
  const buffers = chunks.map(toBuffer);
  const theirPackets: mqttPacket.Packet[] = [];
  mqttPacketParser(5, (packet) => theirPackets.push(packet)).parse(
    toBuffer(all),
  );
  const expect = (what: string, count: number, expected: number) => {
    if (count !== expected) {
      throw new Error(`${what}: ${count}, not ${expected}`);
    }
  };

  /** A stream of the chunks, one per pull, as a socket delivers them. */
  const chunkStream = () => {
    let next = 0;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (next < chunks.length) controller.enqueue(chunks[next++]);
        else controller.close();
      },
    });
  };
  const slow = { slow: true };
  add(list, "read-100k", "ours", async () => {
    let count = 0;
    for await (const _ of new PacketReader(chunkStream())) count++;
    expect("packets read", count, STREAM_COUNT);
  }, { async: true, slow: true });
  // The push parser under the reader, fed the same chunks: no promise per
  // packet.
  add(list, "read-100k", "parser", () => {
    let count = 0;
    const parser = new PacketParser();
    for (const chunk of chunks) {
      parser.push(chunk);
      while (parser.next() !== undefined) count++;
    }
    expect("packets read", count, STREAM_COUNT);
  }, slow);
  // Payloads copied out of the chunks: what not pinning them costs.
  add(list, "read-100k", "ours-copy", async () => {
    let count = 0;
    const reader = new PacketReader(chunkStream(), { copyPayloads: true });
    for await (const _ of reader) count++;
    expect("packets read", count, STREAM_COUNT);
  }, { async: true, slow: true });
  add(list, "read-100k", "mqtt-packet", () => {
    let count = 0;
    const parser = mqttPacketParser(5, () => count++);
    for (const buffer of buffers) parser.parse(buffer);
    expect("packets read", count, STREAM_COUNT);
  }, slow);
  add(list, "read-100k", "decode-loop", () => {
    let count = 0;
    for (let i = 0; i < views.length; i++) {
      if (decode(views[i]).type === "publish") count++;
    }
    expect("packets read", count, STREAM_COUNT);
  }, slow);

  const countingSink = (counter: { bytes: number }) =>
    new WritableStream<Uint8Array>({
      write(chunk) {
        counter.bytes += chunk.length;
      },
    });
  add(list, "write-100k", "ours", async () => {
    const counter = { bytes: 0 };
    const writer = new PacketWriter(countingSink(counter));
    // Not awaited one by one: the writer batches what the sink has not yet
    // taken, and close() waits for all of it.
    for (let i = 0; i < packets.length; i++) writer.write(packets[i]);
    await writer.close();
    expect("bytes written", counter.bytes, all.length);
  }, { async: true, slow: true });
  add(list, "write-100k", "ours-await-each", async () => {
    const counter = { bytes: 0 };
    const writer = new PacketWriter(countingSink(counter));
    for (let i = 0; i < packets.length; i++) await writer.write(packets[i]);
    await writer.close();
    expect("bytes written", counter.bytes, all.length);
  }, { async: true, slow: true });
  add(list, "write-100k", "mqtt-packet", () => {
    let bytes = 0;
    for (let i = 0; i < theirPackets.length; i++) {
      bytes += mqttPacket.generate(theirPackets[i], { protocolVersion: 5 })
        .length;
    }
    expect("bytes written", bytes, all.length);
  }, slow);
  add(list, "write-100k", "encode-loop", () => {
    let bytes = 0;
    for (let i = 0; i < packets.length; i++) bytes += encode(packets[i]).length;
    expect("bytes written", bytes, all.length);
  }, slow);
  return list;
}

/** Registers `cases` with `Deno.bench`, ours as each group's baseline. */
export function register(cases: Case[]): void {
  for (const c of cases) {
    Deno.bench(c.name, {
      group: c.group,
      baseline: c.baseline,
      // A slow case takes tens of milliseconds: a few runs are enough.
      ...(c.slow ? { n: 15, warmup: 3 } : {}),
    }, c.fn);
  }
}
