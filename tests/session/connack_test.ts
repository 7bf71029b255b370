/**
 * A server's answer to a CONNECT as pure functions: the refusals its
 * limits decide, the Client Identifier, and the accepting and refusing
 * CONNACK in each version.
 */

import { assertEquals, assertThrows } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import {
  type ConnectPacket,
  DEFAULT_MAXIMUM_PACKET_SIZE,
  MqttError,
} from "../../mod.ts";
import {
  acceptedClientId,
  acceptingConnack,
  type ConnackLimits,
  connectRefusal,
  refusingConnack,
  serverLimits,
} from "../../src/session/connack.ts";
import { versionRules } from "../../src/session/version.ts";
import { connectPacket } from "../support/sessions.ts";

const v5 = versionRules(5);
const v4 = versionRules(4);
const defaults: ConnackLimits = {
  receiveMaximum: 65_535,
  maximumPacketSize: undefined,
  topicAliasMaximum: 0,
  maximumQoS: 2,
  retainAvailable: true,
  wildcardSubscriptionAvailable: true,
  subscriptionIdentifiersAvailable: true,
  sharedSubscriptionAvailable: true,
  maximumKeepAlive: undefined,
  maximumSessionExpiryInterval: 0xffff_ffff,
};

describe("connectRefusal", () => {
  const will = {
    topic: "w",
    payload: new Uint8Array(),
    qos: 0 as const,
    retain: false,
  };
  const rows: {
    rule: string;
    connect: ConnectPacket;
    limits?: Partial<ConnackLimits>;
    rules?: typeof v5;
    expected: number | undefined;
  }[] = [
    {
      rule: "takes a plain CONNECT",
      connect: connectPacket(),
      expected: undefined,
    },
    {
      rule:
        "3.1.1 [MQTT-3.1.3-8]: an empty Client Identifier without Clean Session is 0x85",
      connect: connectPacket({
        protocolVersion: 4,
        clientId: "",
        cleanStart: false,
      }),
      rules: v4,
      expected: 0x85,
    },
    {
      rule: "[MQTT-3.2.2-12]: a Will above the Maximum QoS is 0x9B",
      connect: connectPacket({ will: { ...will, qos: 2 } }),
      limits: { maximumQoS: 1 },
      expected: 0x9b,
    },
    {
      rule: "[MQTT-3.2.2-13]: a retained Will without Retain Available is 0x9A",
      connect: connectPacket({ will: { ...will, retain: true } }),
      limits: { retainAvailable: false },
      expected: 0x9a,
    },
    {
      rule:
        "3.1.1: a Keep Alive above maximumKeepAlive is refused (return code 2)",
      connect: connectPacket({ protocolVersion: 4, keepAlive: 600 }),
      limits: { maximumKeepAlive: 300 },
      rules: v4,
      expected: 0x85,
    },
    {
      rule:
        "5.0: a Keep Alive above maximumKeepAlive is taken (Server Keep Alive)",
      connect: connectPacket({ keepAlive: 600 }),
      limits: { maximumKeepAlive: 300 },
      expected: undefined,
    },
  ];
  for (const row of rows) {
    it(row.rule, () => {
      assertEquals(
        connectRefusal(row.connect, row.rules ?? v5, {
          ...defaults,
          ...row.limits,
        }),
        row.expected,
      );
    });
  }
});

describe("acceptedClientId", () => {
  it("[MQTT-3.1.3-6] needs an assigned identifier for an empty one, and only then", () => {
    assertEquals(
      acceptedClientId(connectPacket({ clientId: "" }), "a-1", "x"),
      "a-1",
    );
    assertEquals(acceptedClientId(connectPacket(), undefined, "x"), "c");
    assertThrows(
      () => acceptedClientId(connectPacket({ clientId: "" }), undefined, "x"),
      MqttError,
      "[MQTT-3.1.3-6]",
    );
    assertThrows(
      () => acceptedClientId(connectPacket(), "a-1", "x"),
      MqttError,
      "only for a client that sent an empty",
    );
  });
});

describe("acceptingConnack", () => {
  it("announces only the limits that are not the defaults", () => {
    const { connack } = acceptingConnack(
      connectPacket(),
      "c",
      {},
      defaults,
      v5,
      "x",
    );
    assertEquals(connack, {
      type: "connack",
      sessionPresent: false,
      reasonCode: 0,
    });
  });

  it("grants maximumKeepAlive as Server Keep Alive to a client asking for more or for 0 (5.0)", () => {
    const limits = { ...defaults, maximumKeepAlive: 30 };
    for (const keepAlive of [0, 60]) {
      const acceptance = acceptingConnack(
        connectPacket({ keepAlive }),
        "c",
        {},
        limits,
        v5,
        "x",
      );
      assertEquals(acceptance.connack.serverKeepAlive, 30);
      assertEquals(acceptance.keepAlive, 30);
    }
    assertEquals(
      acceptingConnack(
        connectPacket({ keepAlive: 20 }),
        "c",
        {},
        limits,
        v5,
        "x",
      )
        .keepAlive,
      20,
    );
  });

  it("caps the Session Expiry Interval and says so; 3.1.1 Clean Session 0 gets the maximum", () => {
    const limits = { ...defaults, maximumSessionExpiryInterval: 100 };
    const capped = acceptingConnack(
      connectPacket({ sessionExpiryInterval: 1_000 }),
      "c",
      {},
      limits,
      v5,
      "x",
    );
    assertEquals(capped.expiryInterval, 100);
    assertEquals(capped.connack.sessionExpiryInterval, 100);
    const v4Session = acceptingConnack(
      connectPacket({ protocolVersion: 4, cleanStart: false }),
      "c",
      {},
      limits,
      v4,
      "x",
    );
    assertEquals(v4Session.expiryInterval, 100);
    assertEquals(v4Session.connack.sessionExpiryInterval, undefined);
  });

  it("[MQTT-3.1.2-28] sends Response Information only when asked for; [MQTT-4.12.0-5] the CONNECT's method", () => {
    const options = {
      responseInformation: "r/",
      authenticationData: new Uint8Array([1]),
    };
    assertEquals(
      acceptingConnack(connectPacket(), "c", options, defaults, v5, "x")
        .connack,
      { type: "connack", sessionPresent: false, reasonCode: 0 },
    );
    assertEquals(
      acceptingConnack(
        connectPacket({
          requestResponseInformation: true,
          authenticationMethod: "m",
        }),
        "c",
        options,
        defaults,
        v5,
        "x",
      ).connack,
      {
        type: "connack",
        sessionPresent: false,
        reasonCode: 0,
        responseInformation: "r/",
        authenticationMethod: "m",
        authenticationData: new Uint8Array([1]),
      },
    );
  });
});

describe("refusingConnack", () => {
  it("says a 5.0 reason code as 3.1.1's return code, or nothing where it has none", () => {
    assertEquals(refusingConnack(0x87, { reasonString: "no" }, v4), {
      type: "connack",
      sessionPresent: false,
      reasonCode: 5,
    });
    assertEquals(refusingConnack(0x97, {}, v4), undefined);
    assertEquals(refusingConnack(0x97, { reasonString: "full" }, v5), {
      type: "connack",
      sessionPresent: false,
      reasonCode: 0x97,
      reasonString: "full",
    });
  });
});

describe("serverLimits", () => {
  it("section 3.2.2.3: fills in the defaults of what the CONNACK leaves out, keeps what it says", () => {
    const limits = serverLimits({
      type: "connack",
      sessionPresent: false,
      reasonCode: 0,
      receiveMaximum: 10,
      maximumQoS: 1,
      sharedSubscriptionAvailable: false,
    }, v5);
    assertEquals(limits, {
      rules: v5,
      maximumPacketSize: DEFAULT_MAXIMUM_PACKET_SIZE,
      problemInformation: true,
      receiveMaximum: 10,
      maximumQoS: 1,
      retainAvailable: true,
      wildcardSubscriptionAvailable: true,
      subscriptionIdentifiersAvailable: true,
      sharedSubscriptionAvailable: false,
      topicAliasMaximum: 0,
    });
  });
});
