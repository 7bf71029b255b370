/**
 * PacketDecoderStream: the reader's framing as a TransformStream, errors in
 * order on both sides, cancellation both ways.
 */

import {
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { encode, MqttError, type Packet, PacketDecoderStream } from "../mod.ts";
import { assertMqttError } from "./support/assertions.ts";
import {
  concat,
  encodeAll,
  PACKETS_4,
  PACKETS_5,
  splitAt,
} from "./support/samples.ts";

describe("PacketDecoderStream", () => {
  it("decodes piped bytes in any chunking", async () => {
    const bytes = encodeAll(PACKETS_5, 5);
    for (const offsets of [[], [1], [2, 3, 4, 5, 100], [bytes.length - 1]]) {
      const decoder = new PacketDecoderStream();
      const packets = await Array.fromAsync(
        ReadableStream.from(splitAt(bytes, offsets)).pipeThrough(decoder),
      );
      assertEquals(packets, PACKETS_5);
      assertEquals(decoder.protocolVersion, 5);
    }
  });

  it("is a TransformStream that takes the reader's options", async () => {
    const decoder = new PacketDecoderStream({
      protocolVersion: 4,
      maximumPacketSize: 100,
    });
    assertInstanceOf(decoder, TransformStream);
    const bytes = encodeAll(PACKETS_4, 4);
    const read: Packet[] = [];
    const pipe = async () => {
      for await (
        const packet of ReadableStream.from([bytes]).pipeThrough(decoder)
      ) {
        read.push(packet);
      }
    };
    // The CONNECT is 41 bytes; the PUBLISH with 130 bytes of payload is over.
    await assertMqttError(pipe(), 0x95);
    assertEquals(read, PACKETS_4.slice(0, 2));
  });

  it("delivers the packets before a malformed one, then errors", async () => {
    const bytes = concat([
      encode({ type: "pingreq" }),
      encode({ type: "pingresp" }),
      new Uint8Array([0xc0, 0x01, 0x00]), // PINGREQ with a body
    ]);
    const reader = ReadableStream.from([bytes])
      .pipeThrough(new PacketDecoderStream()).getReader();
    assertEquals((await reader.read()).value, { type: "pingreq" });
    assertEquals((await reader.read()).value, { type: "pingresp" });
    await assertMqttError(reader.read(), 0x81);
  });

  it("errors when the bytes end inside a packet, and with MqttError whose cause is a source error", async () => {
    await assertMqttError(
      Array.fromAsync(
        ReadableStream.from([new Uint8Array([0x30, 0x05, 0x00])])
          .pipeThrough(new PacketDecoderStream()),
      ),
      0x81,
      /4 of its 7 bytes are missing/,
    );
    const failure = new Error("boom");
    const source = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encode({ type: "pingreq" }));
        controller.error(failure);
      },
    });
    const reader = source.pipeThrough(new PacketDecoderStream()).getReader();
    const error = await assertRejects(async () => {
      while (!(await reader.read()).done);
    }, MqttError);
    assertEquals(error.reasonCode, 0x80);
    assertStrictEquals(error.cause, failure);
  });

  it("cancels the source after a malformed packet, as a TransformStream that errors does", async () => {
    let cancelReason: unknown;
    const source = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encode({ type: "pingreq" }));
        controller.enqueue(new Uint8Array([0x36, 0x00])); // PUBLISH with QoS 3
      },
      cancel(reason) {
        cancelReason = reason;
      },
    });
    const types: string[] = [];
    await assertMqttError(
      (async () => {
        for await (
          const packet of source.pipeThrough(new PacketDecoderStream())
        ) types.push(packet.type);
      })(),
      0x81,
    );
    assertEquals(types, ["pingreq"]);
    // the pipe into the decoder releases and cancels its source
    while (source.locked) await new Promise((resolve) => setTimeout(resolve));
    assertInstanceOf(cancelReason, MqttError);
  });

  it("cancels the source when its readable side is cancelled", async () => {
    const cancelled = Promise.withResolvers<void>();
    const source = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(encode({ type: "pingreq" }));
      },
      cancel() {
        cancelled.resolve();
      },
    });
    const packets = source.pipeThrough(new PacketDecoderStream());
    for await (const packet of packets) {
      assertEquals(packet, { type: "pingreq" });
      break;
    }
    // The pipe from the source notices and cancels it.
    await cancelled.promise;
  });
});
