/**
 * Decoding and encoding whole packets, ours against npm:mqtt-packet and
 * opifex's mqttPacket on the same packets (see `packets.ts`): a small MQTT 5
 * PUBLISH, a realistic mix in both versions, and a 1 MiB PUBLISH next to a
 * plain 1 MiB copy, the physical limit of encoding it. The cases are in
 * `cases.ts`; `summary.ts` times them again, interleaved, for the ratios.
 *
 * @module
 */

import { CODEC_CASES, register } from "./cases.ts";

register(CODEC_CASES);
