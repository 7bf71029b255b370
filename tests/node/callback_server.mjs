// A Node `net` server whose sockets are read with `socket.on("data")` and
// a PacketParser, through tests/support/callback_server.mjs: no web
// streams. Started by tests/callback_sockets_test.ts (as `node
// tests/node/callback_server.mjs`, on Node 20 and 22, with the bundle),
// which drives it with MQTT.js and our own client. It prints one JSON line
// when it listens ({ "tcp": PORT }) and one per connection that ended
// ({ "ended": ... }); SIGTERM stops it.

import net from "node:net";
import * as lib from "../../dist/mqtt_codec.mjs";
import { endedRecord, Room } from "../support/callback_server.mjs";

const room = new Room();
const server = net.createServer((socket) => {
  const connection = room.open(lib, {
    send(bytes) {
      // write() returns false once Node queues the bytes: stop reading the
      // socket too, until it drains.
      const flushed = socket.write(bytes);
      if (!flushed) socket.pause();
      return flushed;
    },
    close: () => void socket.end(),
  });
  socket.on("data", (chunk) => connection.received(chunk));
  socket.on("drain", () => {
    socket.resume();
    connection.resume();
  });
  socket.on("end", () => {
    connection.ended();
    socket.end();
  });
  socket.on("error", (error) => connection.failed(error));
  socket.on("close", () => {
    room.close(connection);
    console.log(JSON.stringify({ ended: endedRecord(connection) }));
  });
});
server.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({ tcp: server.address().port }));
});
process.on("SIGTERM", () => process.exit(0));
