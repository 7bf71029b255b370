/**
 * PacketEncoderStream: packets to bytes as a TransformStream, with the
 * writer's versions and size limit.
 */

import { assertEquals, assertInstanceOf, assertRejects } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { encode, MqttError, type Packet, PacketEncoderStream } from "../mod.ts";

describe("PacketEncoderStream", () => {
  it("is a TransformStream encoding packets as encode() does, switching version on CONNECT", async () => {
    const encoder = new PacketEncoderStream();
    assertInstanceOf(encoder, TransformStream);
    const connect: Packet = {
      type: "connect",
      protocolVersion: 4,
      clientId: "e",
      cleanStart: true,
      keepAlive: 0,
    };
    const packets: Packet[] = [
      { type: "pubrec", packetId: 2, reasonCode: 0 },
      connect,
      { type: "pubrec", packetId: 2 },
    ];
    const chunks = await Array.fromAsync(
      ReadableStream.from(packets).pipeThrough(encoder),
    );
    assertEquals(chunks, [
      encode(packets[0]),
      encode(connect),
      encode(packets[2], { protocolVersion: 4 }),
    ]);
    assertEquals(encoder.protocolVersion, 4);
  });

  it("errors with MqttError on an invalid or too large packet", async () => {
    await assertRejects(
      () =>
        Array.fromAsync(
          ReadableStream.from<Packet>([
            { type: "pingreq" },
            { type: "puback", packetId: 70_000 },
          ]).pipeThrough(new PacketEncoderStream()),
        ),
      MqttError,
    );
    const error = await assertRejects(
      () =>
        Array.fromAsync(
          ReadableStream.from<Packet>([
            {
              type: "publish",
              topic: "t",
              payload: new Uint8Array(50),
              qos: 0,
              retain: false,
              dup: false,
            },
          ]).pipeThrough(new PacketEncoderStream({ maximumPacketSize: 50 })),
        ),
      MqttError,
    );
    assertEquals(error.reasonCode, 0x95);
  });

  it("drops droppable properties to meet maximumPacketSize", async () => {
    const packet: Packet = {
      type: "suback",
      packetId: 3,
      reasonCodes: [1],
      reasonString: "y".repeat(100),
    };
    const chunks = await Array.fromAsync(
      ReadableStream.from([packet]).pipeThrough(
        new PacketEncoderStream({ maximumPacketSize: 20 }),
      ),
    );
    assertEquals(chunks, [
      encode({ type: "suback", packetId: 3, reasonCodes: [1] }),
    ]);
  });
});
