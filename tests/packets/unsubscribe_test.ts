/**
 * UNSUBSCRIBE (MQTT 5.0 section 3.10, MQTT 3.1.1 section 3.10): fixed byte
 * vectors derived by hand from the specifications, decoded to the expected
 * object and encoded back to the exact bytes.
 */

import { describe, it } from "@std/testing/bdd";
import { vector } from "./vector.ts";

describe("UNSUBSCRIBE, MQTT 3.1.1", () => {
  it("two topic filters", () => {
    vector(
      [
        0xa2,
        0x0a, // UNSUBSCRIBE (flags 0010), Remaining Length 10
        0x00,
        0x0b, // Packet Identifier 11
        0x00,
        0x03,
        0x61,
        0x2f,
        0x62, // Topic Filter "a/b"
        0x00,
        0x01,
        0x23, // Topic Filter "#"
      ],
      { type: "unsubscribe", packetId: 11, topicFilters: ["a/b", "#"] },
      4,
    );
  });
});

describe("UNSUBSCRIBE, MQTT 5.0", () => {
  it("one filter, no properties", () => {
    vector(
      [
        0xa2,
        0x06, // UNSUBSCRIBE (flags 0010), Remaining Length 6
        0x00,
        0x01, // Packet Identifier 1
        0x00, // Property Length 0
        0x00,
        0x01,
        0x2b, // Topic Filter "+"
      ],
      { type: "unsubscribe", packetId: 1, topicFilters: ["+"] },
      5,
    );
  });

  it("User Properties and a shared subscription", () => {
    vector([
      0xa2,
      0x1d, // UNSUBSCRIBE (flags 0010), Remaining Length 29
      0x00,
      0x0b, // Packet Identifier 11
      0x0e, // Property Length 14
      0x26,
      0x00,
      0x01,
      0x61,
      0x00,
      0x01,
      0x62, // User Property "a" "b"
      0x26,
      0x00,
      0x01,
      0x61,
      0x00,
      0x01,
      0x62, // User Property "a" "b" again
      0x00,
      0x0a, // Topic Filter: 10 bytes
      0x24,
      0x73,
      0x68,
      0x61,
      0x72,
      0x65,
      0x2f,
      0x67,
      0x2f,
      0x23, // "$share/g/#"
    ], {
      type: "unsubscribe",
      packetId: 11,
      userProperties: [["a", "b"], ["a", "b"]],
      topicFilters: ["$share/g/#"],
    }, 5);
  });
});
