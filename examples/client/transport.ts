/**
 * The byte connections the example client runs MQTT over: TCP (Deno) or
 * WebSocket (any runtime), each a pair of web streams. A test can hand the
 * client a pair of its own.
 *
 * @module
 */

import { connectWebSocket, type ProtocolVersion } from "../../mod.ts";

/**
 * A network connection as two byte streams. Closing it is done through
 * them: closing the writable side (after the last packet) or cancelling
 * the readable side closes a Deno TCP connection or a WebSocket.
 */
export interface Transport {
  /** The bytes from the broker. */
  readable: ReadableStream<Uint8Array>;
  /** The bytes to the broker. */
  writable: WritableStream<Uint8Array>;
}

/** Opens a network connection: a TCP or WebSocket dialler, or a test's. */
export type Dial = () => Promise<Transport>;

/**
 * A dialler of TCP connections (Nagle's algorithm off: MQTT's packets are
 * small and each acknowledgement waits for the previous one).
 *
 * @param hostname The broker's host name or address.
 * @param port The broker's TCP port.
 */
export function dialTcp(hostname: string, port: number): Dial {
  return async () => {
    const conn = await Deno.connect({ hostname, port });
    conn.setNoDelay(true);
    return conn;
  };
}

/**
 * A dialler of WebSocket connections (section 6), with the runtime's
 * `WebSocketStream` where it has one. The subprotocol asked for is "mqtt";
 * an MQTT 3.1 client asks for "mqttv3.1" first, as 3.1 brokers expect.
 *
 * @param url The broker's `ws:` or `wss:` URL.
 * @param protocolVersion The MQTT version the client speaks.
 */
export function dialWebSocket(
  url: string,
  protocolVersion: ProtocolVersion,
): Dial {
  const protocols = protocolVersion === 3 ? ["mqttv3.1", "mqtt"] : ["mqtt"];
  return () => connectWebSocket(url, { protocols });
}
