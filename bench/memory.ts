/**
 * Memory: decodes 1 GiB of traffic through {@linkcode PacketReader} and
 * prints the resident set size as it goes. The traffic is the realistic MQTT
 * 5 mix of `packets.ts` after its CONNECT (SUBSCRIBE, PUBLISHes of 16 B to
 * 4 KiB, PUBACKs, PINGREQ), repeated, and cut into fresh 64 KiB chunks as a
 * socket delivers them, so that packets straddle chunk boundaries.
 *
 * The resident set should stay flat: every packet is dropped once read, and
 * the reader keeps nothing but the unfinished packet at a chunk's end.
 *
 * ```sh
 * deno task bench:memory            # 1 GiB
 * deno run -A bench/memory.ts 256   # 256 MiB
 * ```
 *
 * @module
 */

import { PacketReader } from "../mod.ts";
import { mix5 } from "./packets.ts";

const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;
const total = Number(Deno.args[0] ?? 1024) * MiB;
const REPORT_EVERY = total / 16;

// One period of the traffic, and a tape long enough that any 64 KiB window
// starting inside the first period is a plain slice of it.
const period = mix5.wire.slice(1);
const periodLength = period.reduce((sum, bytes) => sum + bytes.length, 0);
const copies = Math.ceil((CHUNK + periodLength) / periodLength);
const tape = new Uint8Array(copies * periodLength);
{
  let offset = 0;
  for (let i = 0; i < copies; i++) {
    for (const bytes of period) {
      tape.set(bytes, offset);
      offset += bytes.length;
    }
  }
}

let sent = 0;
const traffic = new ReadableStream<Uint8Array>({
  pull(controller) {
    if (sent >= total) {
      controller.close();
      return;
    }
    const size = Math.min(CHUNK, total - sent);
    // A fresh chunk each time (slice copies), as a socket gives.
    const start = sent % periodLength;
    controller.enqueue(tape.slice(start, start + size));
    sent += size;
  },
}, { highWaterMark: 0 });

function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1).padStart(7)} MiB`;
}

// `total` is a whole number of periods only by chance: the stream may end
// inside a packet, which the reader reports; count up to there.
const reader = new PacketReader(traffic, { protocolVersion: 5 });
let packets = 0;
let bytes = 0;
let nextReport = 0;
const rss: number[] = [];
const started = performance.now();
console.log(
  `decoding ${mib(total).trim()} through PacketReader (64 KiB chunks)`,
);
console.log("     decoded |      packets |          rss |    heap used");
try {
  for await (const packet of reader) {
    packets++;
    if (packet.type === "publish") bytes += packet.payload.length;
    if (sent >= nextReport) {
      nextReport += REPORT_EVERY;
      const usage = Deno.memoryUsage();
      rss.push(usage.rss);
      console.log(
        `${mib(sent)} | ${String(packets).padStart(12)} | ${mib(usage.rss)} | ${
          mib(usage.heapUsed)
        }`,
      );
    }
  }
} catch (error) {
  // Only a packet cut off by the end of the traffic is expected.
  if (sent < total) throw error;
}
const seconds = (performance.now() - started) / 1000;
const final = Deno.memoryUsage().rss;
rss.push(final);
// Past the first report (code compiled, buffers warmed), the set is flat.
const settled = rss.slice(1);
const spread = Math.max(...settled) - Math.min(...settled);
console.log(
  `\n${packets} packets, ${mib(bytes).trim()} of payload in ${
    seconds.toFixed(1)
  } s (${(total / MiB / seconds).toFixed(0)} MiB/s)`,
);
console.log(
  `resident set after the first ${mib(REPORT_EVERY).trim()}: from ${
    mib(Math.min(...settled)).trim()
  } to ${mib(Math.max(...settled)).trim()} (spread ${
    mib(spread).trim()
  }); final ${mib(final).trim()}`,
);
