// The client scenarios of tests/support/scenarios.mjs in Bun, against
// mosquitto, over each of Bun's transports: its own TCP client
// (`Bun.connect`, through tests/bun/bun_tcp.ts), Node's `net` module through
// `Readable.toWeb`/`Writable.toWeb`, and its WebSocket client through
// `webSocketStreams`. The library is mod.ts, which Bun runs as it is.
// tests/runtime_bun_test.ts starts mosquitto and passes its ports.

import { connect } from "node:net";
import { once } from "node:events";
import { Readable, Writable } from "node:stream";
import { describe, it } from "node:test";
import * as lib from "../../mod.ts";
import { brokerAddress, defineScenarioTests } from "../support/scenarios.mjs";
import { bun, bunTcpStreams } from "./bun_tcp.ts";

const { tcpPort, wsUrl } = brokerAddress();

defineScenarioTests({ describe, it }, lib, `Bun ${bun().version}`, {
  "Bun.connect": () => bunTcpStreams("127.0.0.1", tcpPort),
  "node:net": async () => {
    const socket = connect({ host: "127.0.0.1", port: tcpPort });
    await once(socket, "connect");
    return {
      readable: Readable.toWeb(socket) as ReadableStream<Uint8Array>,
      writable: Writable.toWeb(socket),
    };
  },
  "WebSocket": () =>
    Promise.resolve(lib.webSocketStreams(new WebSocket(wsUrl, "mqtt"))),
});
