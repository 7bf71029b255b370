/**
 * What every control packet a session sends must respect: control packets
 * lose their Reason String, then their User Properties, to fit the peer's
 * Maximum Packet Size, or when the client asked for no problem information.
 */

import { assertEquals, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { encode, MqttError, type Packet } from "../../mod.ts";
import {
  fitControlPacket,
  fitOrRefuse,
  queueControlPacket,
} from "../../src/session/control.ts";
import { Deque } from "../../src/session/deque.ts";
import { versionRules } from "../../src/session/version.ts";

describe("fitControlPacket", () => {
  const rules = versionRules(5);
  const puback: Packet = {
    type: "puback",
    packetId: 1,
    reasonCode: 0x87,
    reasonString: "not allowed for this client",
    userProperties: [["k", "v"]],
  };
  const size = (packet: Packet) => encode(packet).length;

  it("keeps a packet that fits", () => {
    const limits = {
      rules,
      maximumPacketSize: 1_000,
      problemInformation: true,
    };
    assertEquals(fitControlPacket(puback, limits), puback);
  });

  it("[MQTT-3.4.2-2] drops the Reason String first, [MQTT-3.4.2-3] then the User Properties, to fit", () => {
    const withoutReason = {
      type: "puback",
      packetId: 1,
      reasonCode: 0x87,
      userProperties: [["k", "v"]],
    } as Packet;
    const bare = { type: "puback", packetId: 1, reasonCode: 0x87 } as Packet;
    for (
      const [maximum, expected] of [
        [size(puback) - 1, withoutReason],
        [size(withoutReason), withoutReason],
        [size(withoutReason) - 1, bare],
        [size(bare), bare],
        [size(bare) - 1, undefined],
      ] as const
    ) {
      assertEquals(
        fitControlPacket(puback, {
          rules,
          maximumPacketSize: maximum,
          problemInformation: true,
        }),
        expected,
        `maximum ${maximum}`,
      );
    }
  });

  it("[MQTT-3.1.2-29] without Request Problem Information: no Reason String or User Properties but on PUBLISH, CONNACK, DISCONNECT", () => {
    const limits = {
      rules,
      maximumPacketSize: 268_435_460,
      problemInformation: false,
    };
    assertEquals(fitControlPacket(puback, limits), {
      type: "puback",
      packetId: 1,
      reasonCode: 0x87,
    });
    const disconnect: Packet = {
      type: "disconnect",
      reasonCode: 0x8b,
      reasonString: "maintenance",
    };
    assertEquals(fitControlPacket(disconnect, limits), disconnect);
  });

  it("SUBSCRIBE and UNSUBSCRIBE keep their User Properties, the application's data (no rule lets them go): one too large does not fit", () => {
    const subscribe: Packet = {
      type: "subscribe",
      packetId: 1,
      subscriptions: [{ topicFilter: "a", qos: 0 }],
      userProperties: [["k", "v"]],
    };
    const unsubscribe: Packet = {
      type: "unsubscribe",
      packetId: 1,
      topicFilters: ["a"],
      userProperties: [["k", "v"]],
    };
    for (const packet of [subscribe, unsubscribe]) {
      const fits = {
        rules,
        maximumPacketSize: size(packet),
        problemInformation: true,
      };
      assertEquals(fitControlPacket(packet, fits), packet);
      const tooSmall = { ...fits, maximumPacketSize: size(packet) - 1 };
      assertEquals(fitControlPacket(packet, tooSmall), undefined);
      const error = assertThrows(
        () => fitOrRefuse(packet, tooSmall, "subscribe", "server"),
        MqttError,
        "Maximum Packet Size",
      );
      assertEquals(error.reasonCode, 0x95);
    }
  });
});

describe("queueControlPacket", () => {
  const rules = versionRules(5);
  const bare: Packet = { type: "pubrec", packetId: 1, reasonCode: 0x97 };
  const pubrec = { ...bare, reasonString: "quota" } as Packet;

  it("queues a packet as it is before the peer's limits are known", () => {
    const transmit = new Deque<Packet>();
    queueControlPacket(transmit, pubrec, undefined);
    assertEquals(transmit.drain(), [pubrec]);
  });

  it("[MQTT-3.5.2-2] queues it without its Reason String to fit, and [MQTT-3.1.2-24] not at all when even bare it does not", () => {
    const transmit = new Deque<Packet>();
    const limits = (maximumPacketSize: number) => ({
      rules,
      maximumPacketSize,
      problemInformation: true,
    });
    queueControlPacket(transmit, pubrec, limits(encode(pubrec).length - 1));
    queueControlPacket(transmit, pubrec, limits(3));
    assertEquals(transmit.drain(), [bare]);
  });
});
