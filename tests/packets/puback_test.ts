/**
 * PUBACK, PUBREC, PUBREL and PUBCOMP (MQTT 5.0 sections 3.4 to 3.7, MQTT
 * 3.1.1 sections 3.4 to 3.7): fixed byte vectors derived by hand from the
 * specifications, decoded to the expected object and encoded back to the
 * exact bytes, the short forms included.
 */

import { assertEquals } from "@std/assert";
import { describe, it } from "@std/testing/bdd";
import { decode, encode } from "../../mod.ts";
import type { Packet } from "../../mod.ts";
import { vector } from "./vector.ts";

/** Decodes `wire` to `packet`, whose shortest encoding is `shortest`. */
function longForm(wire: number[], packet: Packet, shortest: number[]): void {
  assertEquals(decode(new Uint8Array(wire)), packet);
  assertEquals(encode(packet), new Uint8Array(shortest));
}

/** Each type with its fixed header's first byte (PUBREL's flags are 0010 [MQTT-3.6.1-1]). */
const TYPES = [
  ["puback", 0x40],
  ["pubrec", 0x50],
  ["pubrel", 0x62],
  ["pubcomp", 0x70],
] as const;

describe("PUBACK family, MQTT 3.1.1", () => {
  for (const [type, first] of TYPES) {
    it(`${type.toUpperCase()}: Packet Identifier only`, () => {
      vector(
        [
          first,
          0x02, // fixed header, Remaining Length 2
          0x12,
          0x34, // Packet Identifier 0x1234
        ],
        { type, packetId: 0x1234 },
        4,
      );
    });
  }

  it("encode takes reasonCode 0 (Success) as no reason code", () => {
    assertEquals(
      encode({ type: "puback", packetId: 1, reasonCode: 0 }, {
        protocolVersion: 4,
      }),
      new Uint8Array([0x40, 0x02, 0x00, 0x01]),
    );
  });
});

describe("PUBACK family, MQTT 5.0", () => {
  for (const [type, first] of TYPES) {
    const name = type.toUpperCase();

    it(`${name}: Remaining Length 2 means Success, no properties`, () => {
      vector(
        [
          first,
          0x02, // fixed header, Remaining Length 2
          0x00,
          0x07, // Packet Identifier 7
        ],
        { type, packetId: 7, reasonCode: 0 },
        5,
      );
      // reasonCode absent means Success: the same bytes
      assertEquals(
        encode({ type, packetId: 7 }),
        new Uint8Array([first, 0x02, 0x00, 0x07]),
      );
    });

    it(`${name}: Remaining Length 3 with Success decodes; encode chooses Remaining Length 2`, () => {
      longForm(
        [
          first,
          0x03, // fixed header, Remaining Length 3
          0x00,
          0x07, // Packet Identifier 7
          0x00, // Reason Code 0x00 Success
        ],
        { type, packetId: 7, reasonCode: 0 },
        [first, 0x02, 0x00, 0x07],
      );
    });

    it(`${name}: Remaining Length 4 with Property Length 0 decodes; encode chooses Remaining Length 2`, () => {
      longForm(
        [
          first,
          0x04, // fixed header, Remaining Length 4
          0x00,
          0x07, // Packet Identifier 7
          0x00, // Reason Code 0x00 Success
          0x00, // Property Length 0
        ],
        { type, packetId: 7, reasonCode: 0 },
        [first, 0x02, 0x00, 0x07],
      );
    });

    it(`${name}: Reason String and User Properties with Success keep the Reason Code byte`, () => {
      vector([
        first,
        0x0d, // fixed header, Remaining Length 13
        0x00,
        0x07, // Packet Identifier 7
        0x00, // Reason Code 0x00 Success
        0x09, // Property Length 9
        0x1f,
        0x00,
        0x01,
        0x72, // Reason String "r"
        0x26,
        0x00,
        0x00,
        0x00,
        0x00, // User Property "" "" (empty strings are valid)
      ], {
        type,
        packetId: 7,
        reasonCode: 0,
        reasonString: "r",
        userProperties: [["", ""]],
      }, 5);
    });
  }

  it("PUBACK: Remaining Length 3 with a Reason Code other than Success", () => {
    vector(
      [
        0x40,
        0x03, // PUBACK, Remaining Length 3
        0x00,
        0x01, // Packet Identifier 1
        0x10, // Reason Code 0x10 No matching subscribers
      ],
      { type: "puback", packetId: 1, reasonCode: 0x10 },
      5,
    );
  });

  it("PUBACK: Remaining Length 4 with Property Length 0; encode chooses Remaining Length 3", () => {
    longForm(
      [
        0x40,
        0x04, // PUBACK, Remaining Length 4
        0x00,
        0x01, // Packet Identifier 1
        0x10, // Reason Code 0x10 No matching subscribers
        0x00, // Property Length 0
      ],
      { type: "puback", packetId: 1, reasonCode: 0x10 },
      [
        0x40,
        0x03,
        0x00,
        0x01,
        0x10,
      ],
    );
  });

  it("PUBACK: Reason Code, Reason String and User Property", () => {
    vector([
      0x40,
      0x10, // PUBACK, Remaining Length 16
      0x00,
      0x01, // Packet Identifier 1
      0x80, // Reason Code 0x80 Unspecified error
      0x0c, // Property Length 12
      0x1f,
      0x00,
      0x02,
      0x6e,
      0x6f, // Reason String "no"
      0x26,
      0x00,
      0x01,
      0x61,
      0x00,
      0x01,
      0x62, // User Property "a" "b"
    ], {
      type: "puback",
      packetId: 1,
      reasonCode: 0x80,
      reasonString: "no",
      userProperties: [["a", "b"]],
    }, 5);
  });

  it("PUBREC: Packet Identifier in use (0x91)", () => {
    vector(
      [
        0x50,
        0x03, // PUBREC, Remaining Length 3
        0x00,
        0x05, // Packet Identifier 5
        0x91, // Reason Code 0x91 Packet Identifier in use
      ],
      { type: "pubrec", packetId: 5, reasonCode: 0x91 },
      5,
    );
  });

  it("PUBREL: Packet Identifier not found (0x92)", () => {
    vector(
      [
        0x62,
        0x03, // PUBREL, Remaining Length 3
        0x00,
        0x06, // Packet Identifier 6
        0x92, // Reason Code 0x92 Packet Identifier not found
      ],
      { type: "pubrel", packetId: 6, reasonCode: 0x92 },
      5,
    );
  });

  it("PUBCOMP: Packet Identifier not found (0x92) with a Reason String", () => {
    vector([
      0x70,
      0x09, // PUBCOMP, Remaining Length 9
      0xff,
      0xff, // Packet Identifier 65535
      0x92, // Reason Code 0x92 Packet Identifier not found
      0x05, // Property Length 5
      0x1f,
      0x00,
      0x02,
      0x6f,
      0x6b, // Reason String "ok"
    ], {
      type: "pubcomp",
      packetId: 65535,
      reasonCode: 0x92,
      reasonString: "ok",
    }, 5);
  });
});
