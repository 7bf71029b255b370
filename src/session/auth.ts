/**
 * Enhanced authentication (MQTT 5.0 section 4.12): what both sides check
 * of every AUTH, whatever the method.
 *
 * @module
 */

import { MqttError } from "../error.ts";
import type { AuthPacket } from "../packet.ts";
import { checkPacket, describe } from "./validate.ts";
import type { VersionRules } from "./version.ts";
import { ReasonCode } from "../reason_code.ts";

/**
 * The AUTH this side sends for `request`, with the CONNECT's method filled
 * in [MQTT-4.12.0-5].
 *
 * @param noMethodRule The rule broken when the CONNECT had no method
 * ([MQTT-4.12.0-7] for a client, [MQTT-4.12.0-6] for a server).
 * @throws {MqttError} Without a method, or for an invalid request.
 */
export function authPacket(
  request: Omit<AuthPacket, "type" | "authenticationMethod">,
  method: string | undefined,
  rules: VersionRules,
  noMethodRule: string,
): AuthPacket {
  const where = "authenticate";
  if (method === undefined) {
    throw new MqttError(
      `${where}: the CONNECT had no Authentication Method ${noMethodRule}`,
      ReasonCode.ProtocolError,
    );
  }
  const packet: AuthPacket = {
    ...request,
    type: "auth",
    authenticationMethod: method,
  };
  checkPacket(packet, rules, where);
  return packet;
}

/**
 * Checks an AUTH from the peer against the CONNECT's method and returns its
 * reason code.
 *
 * @param noMethodRule The rule the peer broke when the CONNECT had no
 * method ([MQTT-4.12.0-6] for a server's AUTH, [MQTT-4.12.0-7] for a
 * client's).
 * @throws {MqttError} 0x82 Protocol Error without a method, or with
 * another one [MQTT-4.12.0-5].
 */
export function checkAuth(
  packet: AuthPacket,
  method: string | undefined,
  noMethodRule: string,
): number {
  if (method === undefined) {
    throw new MqttError(
      `AUTH: the CONNECT had no Authentication Method ${noMethodRule}`,
      ReasonCode.ProtocolError,
    );
  }
  if (packet.authenticationMethod !== method) {
    throw new MqttError(
      `AUTH: the Authentication Method must be ${
        describe(method)
      } as in the CONNECT [MQTT-4.12.0-5]`,
      ReasonCode.ProtocolError,
    );
  }
  return packet.reasonCode ?? 0;
}

/** The error for an AUTH whose reason code does not fit the exchange. */
export function unexpectedAuth(code: number): MqttError {
  return new MqttError(
    `AUTH: reason code ${describe(code)} is not expected now (section 4.12)`,
    ReasonCode.ProtocolError,
  );
}
