/**
 * Internals shared by the stream adapters: option checks, and the errors
 * they make.
 *
 * @module
 */

import { checkMaximumOption, checkVersionOption } from "./codec.ts";
import { MqttError } from "./error.ts";
import type { ProtocolVersion } from "./packet.ts";
import { ReasonCode } from "./reason_code.ts";

/** The options of a parser, checked. */
export interface ParserOptions {
  /** The version to decode with, or `undefined` to take a CONNECT's. */
  version: ProtocolVersion | undefined;
  maximum: number;
  copy: boolean;
}

/**
 * Checks the options shared by the parser and the readers; `where` names
 * the caller in the error.
 */
export function checkParserOptions(
  options:
    | {
      protocolVersion?: unknown;
      maximumPacketSize?: unknown;
      copyPayloads?: unknown;
    }
    | undefined,
  where: string,
): ParserOptions {
  const version = checkVersionOption(options?.protocolVersion, where);
  const maximum = checkMaximumOption(options?.maximumPacketSize, where);
  const copy = options?.copyPayloads ?? false;
  if (typeof copy !== "boolean") {
    throw new MqttError(
      `${where}: copyPayloads must be true or false, got ${typeof copy}`,
      ReasonCode.ProtocolError,
    );
  }
  return { version, maximum, copy };
}

/** Whether `value` is an `ArrayBuffer`, also one from another realm. */
export function isArrayBuffer(value: unknown): value is ArrayBuffer {
  // the tag, not only instanceof: an ArrayBuffer may come from another realm
  return value instanceof ArrayBuffer ||
    Object.prototype.toString.call(value) === "[object ArrayBuffer]";
}

/** Errors whose message already says where in the stream they arose. */
const LOCATED = new WeakSet<object>();

/** An error whose message already says where in the stream it arose. */
export function locatedError(message: string, reasonCode: number): MqttError {
  const error = new MqttError(message, reasonCode);
  LOCATED.add(error);
  return error;
}

/**
 * A codec error with the stream offset of the failing packet added to its
 * message (the codec counts from the packet's first byte); other errors as
 * they are.
 */
export function located(error: unknown, position: number): unknown {
  if (!(error instanceof MqttError) || LOCATED.has(error)) return error;
  const wrapped = new MqttError(
    `${error.message} (of the packet at byte offset ${position} of the stream)`,
    error.reasonCode,
    { cause: error },
  );
  LOCATED.add(wrapped);
  return wrapped;
}

/** The error for a chunk that is not bytes. */
export function notBytes(chunk: unknown, where: string): MqttError {
  const what = chunk === null ? "null" : typeof chunk;
  return locatedError(
    `${where}: the stream must give Uint8Array chunks, got ${what}${
      typeof chunk === "string"
        ? " (MQTT travels as bytes: over WebSocket in binary messages only [MQTT-6.0.0-1])"
        : ""
    }`,
    ReasonCode.ProtocolError,
  );
}

/** Describes an error for a message: its name, code and message. */
export function describeError(error: unknown): string {
  if (error instanceof Error || isErrorLike(error)) {
    const { name, message } = error as Error;
    const code = (error as { code?: unknown }).code;
    return `${name}${typeof code === "string" ? ` ${code}` : ""}: ${message}`;
  }
  try {
    return String(error);
  } catch {
    return typeof error;
  }
}

function isErrorLike(value: unknown): boolean {
  return typeof value === "object" && value !== null &&
    typeof (value as Error).message === "string" &&
    typeof (value as Error).name === "string";
}

/**
 * Errors of a source or sink that mean this side closed the connection
 * itself, while a read or write was pending, recognised by their names
 * only (this module uses no runtime's API): `Interrupted` (a resource
 * closed under a pending read, as closing a TCP connection's writable side
 * does in Deno) and `BadResource` (a read from a connection already
 * closed), the `AbortError` of a stream aborted here (a Node socket's web
 * stream after it was destroyed or aborted), and the reason of an abort
 * made here (see `abortingWith`).
 */
export function closedByThisSide(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  if (ABORTED_HERE.has(error)) return true;
  const name = (error as { name?: unknown }).name;
  return name === "Interrupted" || name === "BadResource" ||
    name === "AbortError";
}

/** The reasons given to this side's aborts, which a stream may fail with. */
const ABORTED_HERE = new WeakSet<object>();

/**
 * Notes the reason of an abort made here: a stream of the same connection
 * that fails with it (Node's `Writable.toWeb` destroys the socket with it,
 * which fails its `Readable.toWeb` too) failed because this side said so.
 */
export function abortingWith(reason: unknown): void {
  if (typeof reason === "object" && reason !== null) ABORTED_HERE.add(reason);
}

/**
 * A failure of the connection under a reader or writer as an
 * {@linkcode MqttError} (0x80 Unspecified error) that keeps it as `cause`;
 * an `MqttError` as it is.
 */
export function connectionError(
  error: unknown,
  what: string,
): MqttError {
  if (error instanceof MqttError) return error;
  return new MqttError(
    `${what}: ${describeError(error)}`,
    ReasonCode.UnspecifiedError,
    { cause: error },
  );
}
