/**
 * The CONNACK (section 3.2), both sides of it. A server's answer to a
 * CONNECT: whether the server's own limits refuse it, the Client
 * Identifier it gets, and the CONNACK that accepts or refuses it; a
 * client's reading of it: the server's limits, defaults filled in. Pure
 * functions of the packets, the limits and the version's rules.
 *
 * @module
 */

import {
  DEFAULT_MAXIMUM_PACKET_SIZE,
  DEFAULT_MAXIMUM_QOS,
  DEFAULT_RECEIVE_MAXIMUM,
  DEFAULT_RETAIN_AVAILABLE,
  DEFAULT_SHARED_SUBSCRIPTION_AVAILABLE,
  DEFAULT_SUBSCRIPTION_IDENTIFIERS_AVAILABLE,
  DEFAULT_TOPIC_ALIAS_MAXIMUM,
  DEFAULT_WILDCARD_SUBSCRIPTION_AVAILABLE,
} from "../defaults.ts";
import { MqttError } from "../error.ts";
import type { ConnackPacket, ConnectPacket, QoS } from "../packet.ts";
import type { PeerLimits } from "./control.ts";
import type { ServerSettings } from "./server_options.ts";
import { checkInteger, checkPacket } from "./validate.ts";
import { connectReturnCode, type VersionRules } from "./version.ts";
import { ReasonCode } from "../reason_code.ts";

/** The server's limits that a CONNACK announces. */
export type ConnackLimits = Pick<
  ServerSettings,
  | "receiveMaximum"
  | "maximumPacketSize"
  | "topicAliasMaximum"
  | "maximumQoS"
  | "retainAvailable"
  | "wildcardSubscriptionAvailable"
  | "subscriptionIdentifiersAvailable"
  | "sharedSubscriptionAvailable"
  | "maximumKeepAlive"
  | "maximumSessionExpiryInterval"
>;

/** What the application adds to an accepting CONNACK (MQTT 5.0). */
export interface AcceptingProperties {
  readonly serverKeepAlive?: number;
  readonly responseInformation?: string;
  readonly serverReference?: string;
  readonly reasonString?: string;
  readonly userProperties?: ConnackPacket["userProperties"];
  readonly authenticationData?: Uint8Array;
}

/** What the application adds to a refusing CONNACK (MQTT 5.0). */
export interface RefusingProperties {
  readonly reasonString?: string;
  readonly userProperties?: ConnackPacket["userProperties"];
  readonly serverReference?: string;
}

/** Sets on `connack` those of the server's {@linkcode RefusingProperties} it was given (MQTT 5.0). */
function addServerProperties(
  connack: ConnackPacket,
  options: RefusingProperties,
): void {
  if (options.reasonString !== undefined) {
    connack.reasonString = options.reasonString;
  }
  if (options.userProperties !== undefined) {
    connack.userProperties = options.userProperties;
  }
  if (options.serverReference !== undefined) {
    connack.serverReference = options.serverReference;
  }
}

/** An accepting CONNACK, and what it decided for the session. */
export interface Acceptance {
  /** Without Session Present, which the session sets. */
  readonly connack: ConnackPacket;
  /** The Keep Alive in force, in seconds: the Server Keep Alive or the client's. */
  readonly keepAlive: number;
  /** The Session Expiry Interval in force, in seconds. */
  readonly expiryInterval: number;
}

/**
 * The reason code (MQTT 5.0's) for which the server's limits refuse a
 * CONNECT before the application sees it, or `undefined`.
 */
export function connectRefusal(
  connect: ConnectPacket,
  rules: VersionRules,
  limits: ConnackLimits,
): number | undefined {
  const will = connect.will;
  if (
    connect.clientId === "" && !connect.cleanStart &&
    !rules.emptyClientIdResumes
  ) {
    return ReasonCode.ClientIdentifierNotValid; // 3.1.1 [MQTT-3.1.3-8]: return code 2
  }
  if (will !== undefined && will.qos > limits.maximumQoS) {
    return ReasonCode.QoSNotSupported; // [MQTT-3.2.2-12]
  }
  const maximumKeepAlive = limits.maximumKeepAlive;
  if (
    !rules.serverKeepAlive && maximumKeepAlive !== undefined &&
    (connect.keepAlive === 0 || connect.keepAlive > maximumKeepAlive)
  ) {
    // No Server Keep Alive to tell the client: a Keep Alive we would not
    // grant is refused, return code 2 (as mosquitto's max_keepalive).
    return ReasonCode.ClientIdentifierNotValid;
  }
  if (will?.retain === true && !limits.retainAvailable) {
    return ReasonCode.RetainNotSupported; // [MQTT-3.2.2-13]
  }
  return undefined;
}

/**
 * The Client Identifier of an accepted CONNECT: its own, or for an empty
 * one the `assigned` one, which must then be given [MQTT-3.1.3-6].
 */
export function acceptedClientId(
  connect: ConnectPacket,
  assigned: unknown,
  where: string,
): string {
  if (connect.clientId === "") {
    if (typeof assigned !== "string" || assigned === "") {
      throw new MqttError(
        `${where}: the client sent an empty Client Identifier: give an assignedClientIdentifier [MQTT-3.1.3-6]`,
        ReasonCode.ProtocolError,
      );
    }
    return assigned;
  }
  if (assigned !== undefined) {
    throw new MqttError(
      `${where}: assignedClientIdentifier is only for a client that sent an empty Client Identifier`,
      ReasonCode.ProtocolError,
    );
  }
  return connect.clientId;
}

/**
 * The CONNACK that accepts a CONNECT: the server's limits where they are
 * not the defaults, the Keep Alive and Session Expiry Interval it grants,
 * the application's properties; checked as the codec would write it.
 */
export function acceptingConnack(
  connect: ConnectPacket,
  clientId: string,
  options: AcceptingProperties,
  limits: ConnackLimits,
  rules: VersionRules,
  where: string,
): Acceptance {
  const askedKeepAlive = checkInteger(
    options.serverKeepAlive,
    where,
    "serverKeepAlive",
    0,
    65_535,
  );
  // Only a version with Server Keep Alive can tell the client.
  let serverKeepAlive = rules.serverKeepAlive ? askedKeepAlive : undefined;
  if (serverKeepAlive === undefined && rules.serverKeepAlive) {
    const maximum = limits.maximumKeepAlive;
    if (
      maximum !== undefined &&
      (connect.keepAlive === 0 || connect.keepAlive > maximum)
    ) {
      serverKeepAlive = maximum;
    }
  }
  const requestedExpiry = rules.sessionExpiry
    ? connect.sessionExpiryInterval ?? 0
    : connect.cleanStart
    ? 0
    : limits.maximumSessionExpiryInterval;
  const expiryInterval = Math.min(
    requestedExpiry,
    limits.maximumSessionExpiryInterval,
  );
  const connack: ConnackPacket = {
    type: "connack",
    sessionPresent: false,
    reasonCode: 0,
  };
  if (rules.properties) {
    if (expiryInterval !== requestedExpiry) {
      connack.sessionExpiryInterval = expiryInterval;
    }
    if (limits.receiveMaximum !== DEFAULT_RECEIVE_MAXIMUM) {
      connack.receiveMaximum = limits.receiveMaximum;
    }
    if (limits.maximumQoS < 2) connack.maximumQoS = limits.maximumQoS as 0 | 1;
    if (!limits.retainAvailable) connack.retainAvailable = false;
    if (limits.maximumPacketSize !== undefined) {
      connack.maximumPacketSize = limits.maximumPacketSize;
    }
    if (connect.clientId === "") connack.assignedClientIdentifier = clientId;
    if (limits.topicAliasMaximum > 0) {
      connack.topicAliasMaximum = limits.topicAliasMaximum;
    }
    if (!limits.wildcardSubscriptionAvailable) {
      connack.wildcardSubscriptionAvailable = false;
    }
    if (!limits.subscriptionIdentifiersAvailable) {
      connack.subscriptionIdentifiersAvailable = false;
    }
    if (!limits.sharedSubscriptionAvailable) {
      connack.sharedSubscriptionAvailable = false;
    }
    if (serverKeepAlive !== undefined) {
      connack.serverKeepAlive = serverKeepAlive;
    }
    // Only when asked for [MQTT-3.1.2-28].
    if (
      options.responseInformation !== undefined &&
      connect.requestResponseInformation === true
    ) {
      connack.responseInformation = options.responseInformation;
    }
    addServerProperties(connack, options);
    if (connect.authenticationMethod !== undefined) {
      // Every AUTH and the CONNACK carry the CONNECT's method [MQTT-4.12.0-5].
      connack.authenticationMethod = connect.authenticationMethod;
      if (options.authenticationData !== undefined) {
        connack.authenticationData = options.authenticationData;
      }
    }
  }
  checkPacket(connack, rules, where);
  return {
    connack,
    keepAlive: serverKeepAlive ?? connect.keepAlive,
    expiryInterval,
  };
}

/**
 * The CONNACK that refuses a CONNECT with `code` (MQTT 5.0's), as the
 * version can say it: `undefined` where 3.1.1 has no return code for it,
 * and the connection just closes (3.1.1 [MQTT-3.2.2-6]).
 */
export function refusingConnack(
  code: number,
  options: RefusingProperties,
  rules: VersionRules,
): ConnackPacket | undefined {
  const wireCode = rules.connectReasonCodes ? code : connectReturnCode(code);
  if (wireCode === undefined) return undefined;
  const connack: ConnackPacket = {
    type: "connack",
    sessionPresent: false, // [MQTT-3.2.2-6]
    reasonCode: wireCode,
  };
  if (rules.properties) addServerProperties(connack, options);
  checkPacket(connack, rules, "reject");
  return connack;
}

/** What the server announced in its CONNACK, with defaults filled in. */
export interface ServerLimits extends PeerLimits {
  readonly receiveMaximum: number;
  readonly maximumQoS: QoS;
  readonly retainAvailable: boolean;
  readonly wildcardSubscriptionAvailable: boolean;
  readonly subscriptionIdentifiersAvailable: boolean;
  readonly sharedSubscriptionAvailable: boolean;
  readonly topicAliasMaximum: number;
}

/**
 * What an accepting CONNACK says of the server, with the defaults of what
 * it leaves out (section 3.2.2.3).
 */
export function serverLimits(
  connack: ConnackPacket,
  rules: VersionRules,
): ServerLimits {
  return {
    rules,
    maximumPacketSize: connack.maximumPacketSize ??
      DEFAULT_MAXIMUM_PACKET_SIZE,
    problemInformation: true,
    receiveMaximum: connack.receiveMaximum ?? DEFAULT_RECEIVE_MAXIMUM,
    maximumQoS: connack.maximumQoS ?? DEFAULT_MAXIMUM_QOS,
    retainAvailable: connack.retainAvailable ?? DEFAULT_RETAIN_AVAILABLE,
    wildcardSubscriptionAvailable: connack.wildcardSubscriptionAvailable ??
      DEFAULT_WILDCARD_SUBSCRIPTION_AVAILABLE,
    subscriptionIdentifiersAvailable:
      connack.subscriptionIdentifiersAvailable ??
        DEFAULT_SUBSCRIPTION_IDENTIFIERS_AVAILABLE,
    sharedSubscriptionAvailable: connack.sharedSubscriptionAvailable ??
      DEFAULT_SHARED_SUBSCRIPTION_AVAILABLE,
    topicAliasMaximum: connack.topicAliasMaximum ??
      DEFAULT_TOPIC_ALIAS_MAXIMUM,
  };
}
