/**
 * One-line, human readable rendering of a packet, shared by the examples
 * (broker `--verbose`, client, demo, proxy).
 *
 * @module
 */

import { type Packet, type ProtocolVersion, reasonCodeName } from "../mod.ts";

const decoder = new TextDecoder("utf-8", { fatal: true });

/** Bytes longer than this are summarised rather than printed in full. */
const SHOWN_BYTES = 64;

/**
 * Renders a packet as its type followed by its fields, for example
 * `PUBLISH topic="a/b" payload="hi" qos=1 retain=false dup=false packetId=1`.
 * Reason codes are printed with their MQTT 5 name; MQTT 3.1.1 return codes
 * (pass `protocolVersion` 4) are printed as numbers, since their meanings
 * differ.
 */
export function formatPacket(
  packet: Packet,
  protocolVersion: ProtocolVersion = 5,
): string {
  const { type, ...fields } = packet;
  const parts = [type.toUpperCase()];
  for (const [name, value] of Object.entries(fields)) {
    const isCode = name === "reasonCode" || name === "reasonCodes";
    parts.push(
      `${name}=${
        isCode ? formatCodes(value, protocolVersion) : formatValue(value)
      }`,
    );
  }
  return parts.join(" ");
}

function formatCodes(value: unknown, version: ProtocolVersion): string {
  const one = (code: number) =>
    version === 4
      ? String(code)
      : `0x${code.toString(16).padStart(2, "0")}(${reasonCodeName(code)})`;
  if (Array.isArray(value)) return `[${value.map(one).join(", ")}]`;
  return one(value as number);
}

function formatValue(value: unknown): string {
  if (value instanceof Uint8Array) return formatBytes(value);
  if (Array.isArray(value)) return `[${value.map(formatValue).join(", ")}]`;
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "object" && value !== null) {
    const inner = Object.entries(value).map(([name, field]) =>
      `${name}=${formatValue(field)}`
    );
    return `{${inner.join(" ")}}`;
  }
  return String(value);
}

/** Printable UTF-8 as a quoted string, anything else as hex; long data summarised. */
function formatBytes(bytes: Uint8Array): string {
  const shown = bytes.subarray(0, SHOWN_BYTES);
  const more = bytes.length > SHOWN_BYTES ? `…(${bytes.length} bytes)` : "";
  try {
    const text = decoder.decode(shown);
    // deno-lint-ignore no-control-regex
    if (!/[\u0000-\u0008\u000e-\u001f\u007f]/.test(text)) {
      return JSON.stringify(text) + more;
    }
  } catch {
    // not UTF-8 (or cut inside a character): show hex below
  }
  const hex = Array.from(shown, (byte) => byte.toString(16).padStart(2, "0"))
    .join("");
  return `0x${hex}${more}`;
}
