/**
 * What {@linkcode webSocketStreams} and {@linkcode connectWebSocket} share:
 * the subprotocols of section 6, close codes, error messages that name the
 * connection, and a watch on the packets sent.
 *
 * @module
 */

import { describeError } from "./_common.ts";
import { packetSize } from "./codec.ts";
import { MqttError } from "./error.ts";
import { ReasonCode } from "./reason_code.ts";

/**
 * The subprotocols MQTT travels in: "mqtt" (MQTT 5.0 and 3.1.1, section 6,
 * [MQTT-6.0.0-3] [MQTT-6.0.0-4]), and "mqttv3.1", which MQTT 3.1 clients
 * and brokers use.
 */
export const SUBPROTOCOLS: readonly string[] = ["mqtt", "mqttv3.1"];

/** WebSocket close codes (RFC 6455, section 7.4.1). */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  UnsupportedData: 1003,
  NoStatus: 1005,
  Abnormal: 1006,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  InternalError: 1011,
} as const;

/** A close code and reason to close a WebSocket with. */
export interface Closing {
  code: number;
  reason: string;
}

/**
 * The close code that fits an MQTT reason code: 1002 Protocol Error after a
 * malformed packet or a protocol error, 1009 Message Too Big after a packet
 * too large, 1001 Going Away when the server shuts down, 1011 Internal
 * Error after an unspecified or implementation specific error, 1008 Policy
 * Violation after any other refusal, 1000 for a reason code below 0x80.
 */
export function closingFor(reasonCode: number): Closing {
  const reason = `MQTT reason code 0x${reasonCode.toString(16)}`;
  switch (reasonCode) {
    case ReasonCode.MalformedPacket:
    case ReasonCode.ProtocolError:
    case ReasonCode.UnsupportedProtocolVersion:
      return { code: CloseCode.ProtocolError, reason };
    case ReasonCode.PacketTooLarge:
      return { code: CloseCode.MessageTooBig, reason };
    case ReasonCode.ServerShuttingDown:
      return { code: CloseCode.GoingAway, reason };
    case ReasonCode.UnspecifiedError:
    case ReasonCode.ImplementationSpecificError:
      return { code: CloseCode.InternalError, reason };
    default:
      return reasonCode < 0x80
        ? { code: CloseCode.Normal, reason: "" }
        : { code: CloseCode.PolicyViolation, reason };
  }
}

/** How to close after `reason` (of a cancel or an abort). */
export function closingAfter(reason: unknown): Closing {
  if (reason === undefined) return { code: CloseCode.Normal, reason: "" };
  if (reason instanceof MqttError) return closingFor(reason.reasonCode);
  return { code: CloseCode.InternalError, reason: "" };
}

/**
 * Closes with `closing`'s code, or with 1000 where that code is refused: a
 * client's WebSocket may only send 1000 and 3000–4999 (WHATWG), a server's
 * any code, so a client closing after a protocol violation says so in the
 * reason only.
 */
export function closeTrying(
  close: (code: number, reason: string) => void,
  closing: Closing,
): void {
  for (const code of [closing.code, CloseCode.Normal]) {
    try {
      close(code, closing.reason);
      return;
    } catch {
      // refused: try 1000; or closed already
    }
  }
}

/** The code to answer a peer's close with: its own when we may send it, else 1000. */
export function answerTo(code: number): number {
  return code === CloseCode.Normal || (code >= 3000 && code <= 4999)
    ? code
    : CloseCode.Normal;
}

/** "WebSocket ws://host:port" when the URL is known, else "WebSocket". */
export function nameOf(url: unknown): string {
  return typeof url === "string" && url !== ""
    ? `WebSocket ${url}`
    : "WebSocket";
}

/** The error for a connection that closed with something other than a normal close. */
export function closedError(
  name: string,
  code: number,
  reason: string,
  cause: unknown,
): MqttError {
  const how = code === CloseCode.Abnormal || code === 0
    ? `the connection was lost without a close frame (code ${
      code === 0 ? "1006" : code
    }${cause === undefined ? "" : `: ${describeError(cause)}`})`
    : `the peer closed the connection with code ${code}${
      reason === "" ? "" : ` (${JSON.stringify(reason)})`
    }`;
  return new MqttError(
    `${name}: ${how}`,
    ReasonCode.UnspecifiedError,
    cause === undefined ? undefined : { cause },
  );
}

/** The bytes of a binary message, or `undefined` for a text message. */
export function binary(data: unknown): Uint8Array | undefined {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  // the tag, not instanceof: an ArrayBuffer may come from another realm
  if (Object.prototype.toString.call(data) === "[object ArrayBuffer]") {
    return new Uint8Array(data as ArrayBuffer);
  }
  return undefined;
}

/** The error for a socket that closed before it opened. */
export function notOpened(
  name: string,
  code: number,
  reason: string,
  cause: unknown,
): MqttError {
  return new MqttError(
    `${name}: the connection could not be opened (code ${
      code === 0 ? CloseCode.Abnormal : code
    }${reason === "" ? "" : ` ${JSON.stringify(reason)}`}${
      cause === undefined ? "" : `: ${describeError(cause)}`
    })`,
    ReasonCode.UnspecifiedError,
    cause === undefined ? undefined : { cause },
  );
}

/** The error for a server that did not agree on an MQTT subprotocol. */
export function subprotocolError(name: string, protocol: string): MqttError {
  return new MqttError(
    `${name}: the server did not agree on the subprotocol "mqtt" (it chose ${
      protocol === "" ? "none" : JSON.stringify(protocol)
    }); MQTT over WebSocket needs it [MQTT-6.0.0-3] [MQTT-6.0.0-4]`,
    ReasonCode.ProtocolError,
  );
}

/** The error for a text message [MQTT-6.0.0-1]. */
export function textMessageError(name: string): MqttError {
  return new MqttError(
    `${name}: a text message was received; MQTT travels in binary messages only [MQTT-6.0.0-1]`,
    ReasonCode.ProtocolError,
  );
}

/**
 * Follows the packets of the bytes sent, to know whether the last one was
 * a DISCONNECT and with which reason code: a peer that drops the connection
 * right after our DISCONNECT ends it as it should (section 3.14.4), and a
 * DISCONNECT for a protocol error closes the WebSocket with 1002. Framing
 * only: the bodies are skipped.
 */
export class SentPackets {
  /** The reason code of the last whole packet sent if it was a DISCONNECT, else -1. */
  disconnectReason = -1;
  #head = new Uint8Array(5);
  #headLength = 0;
  /** Body bytes of the current packet still to come. */
  #remaining = 0;
  #type = 0;
  #reason = 0;
  #wantReason = false;
  /** Set when the bytes are not MQTT packets: nothing more is learnt. */
  #lost = false;

  /** Notes the bytes of one message sent. */
  sent(bytes: Uint8Array): void {
    if (this.#lost) return;
    let i = 0;
    const end = bytes.length;
    while (i < end) {
      if (this.#remaining > 0) {
        if (this.#wantReason) {
          this.#reason = bytes[i];
          this.#wantReason = false;
        }
        const count = Math.min(this.#remaining, end - i);
        this.#remaining -= count;
        i += count;
        if (this.#remaining === 0) this.#complete();
        continue;
      }
      this.#head[this.#headLength++] = bytes[i++];
      let size: number;
      try {
        size = packetSize(this.#head, 0, this.#headLength);
      } catch {
        this.#lost = true;
        this.disconnectReason = -1;
        return;
      }
      if (size === -1) continue;
      this.#type = this.#head[0] >> 4;
      this.#remaining = size - this.#headLength;
      this.#headLength = 0;
      this.#reason = 0; // a DISCONNECT without a body: Normal disconnection
      this.#wantReason = this.#remaining > 0;
      if (this.#remaining === 0) this.#complete();
    }
  }

  #complete(): void {
    this.disconnectReason = this.#type === 14 ? this.#reason : -1;
  }

  /**
   * How to close after what was sent: 1000, or the code that fits the
   * reason code of a DISCONNECT sent last (1002 after a protocol error).
   */
  closing(): Closing {
    return this.disconnectReason === -1
      ? { code: CloseCode.Normal, reason: "" }
      : closingFor(this.disconnectReason);
  }
}

/** A promise with its settle functions (Node 20 has no Promise.withResolvers). */
export function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}
