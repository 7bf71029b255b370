// The client scenarios of tests/support/scenarios.mjs on Node, with the
// bundle (dist/mqtt_codec.mjs), against mosquitto: over a `net` socket
// through Readable.toWeb/Writable.toWeb, and over Node's WebSocket client
// where Node has one (Node 22; Node 20 has none without a flag).
// tests/runtime_node_test.ts starts the brokers and runs this on Node 20
// and Node 22.

import { once } from "node:events";
import net from "node:net";
import { Readable, Writable } from "node:stream";
import { describe, it } from "node:test";
import * as lib from "../../dist/mqtt_codec.mjs";
import { brokerAddress, defineScenarioTests } from "../support/scenarios.mjs";

const { tcpPort, wsUrl } = brokerAddress();
const runtime = `Node ${process.versions.node}`;

const transports = {
  "node:net": async () => {
    const socket = net.connect({ host: "127.0.0.1", port: tcpPort });
    await once(socket, "connect");
    return {
      readable: Readable.toWeb(socket),
      writable: Writable.toWeb(socket),
    };
  },
};
if (typeof WebSocket === "function") {
  transports.WebSocket = () =>
    Promise.resolve(lib.webSocketStreams(new WebSocket(wsUrl, "mqtt")));
} else {
  describe(`${runtime} over WebSocket`, () => {
    it.skip("Node has no global WebSocket before version 22", () => {});
  });
}

defineScenarioTests({ describe, it }, lib, runtime, transports);
