/**
 * MQTT 3.1.1 broker behaviour, black box, over TCP: each behaviour the
 * Eclipse Paho interoperability suite checks in
 * `interoperability/client_test.py` (paho.mqtt.testing), written anew as one
 * row each (tests/support/paho_rows.ts), run against our broker
 * (examples/broker.ts) and against mosquitto 2.0.11. See
 * tests/support/interop_suite.ts for the frame: rows that fail today carry
 * their reason and are ignored there.
 */

import { assertEquals } from "@std/assert";
import { interopSuite, type Row } from "./support/interop_suite.ts";
import { COMMON_ROWS, connectBytes } from "./support/paho_rows.ts";

const ROWS_311: Row[] = [
  {
    name:
      "test_zero_length_clientid: an empty client id is refused without clean session (return code 2), accepted with it [MQTT-3.1.3-8]",
    async fn(t) {
      const refused = await t.open(4);
      await refused.sendBytes(connectBytes("MQTT", "", 0x00));
      const answer = await refused.untilClosed();
      assertEquals(answer, [
        { type: "connack", sessionPresent: false, reasonCode: 2 },
      ]);
      const accepted = await t.connect({ clientId: "", cleanStart: true });
      await accepted.disconnect();
    },
  },
];

interopSuite("Paho client_test.py behaviours, MQTT 3.1.1", 4, [
  ...COMMON_ROWS,
  ...ROWS_311,
]);
