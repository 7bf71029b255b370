/**
 * Streaming: 100,000 small packets through PacketReader over 64 KiB chunks
 * against mqtt-packet's parser on the same chunks and our own decode loop;
 * PacketWriter into a counting sink against mqtt-packet's `generate` and our
 * own encode loop. The cases are in `cases.ts`.
 *
 * @module
 */

import { register, streamCases } from "./cases.ts";

register(streamCases());
