/**
 * What both sessions report the same way: the end of a connection, and the
 * sizes of their state.
 *
 * @module
 */

import type { MqttError } from "../error.ts";
import type { ConnackPacket, DisconnectPacket } from "../packet.ts";
import { isValidReasonCode, ReasonCode } from "../reason_code.ts";
import type { IdOwner } from "./packet_ids.ts";
import type { Receiver } from "./receiver.ts";
import type { Sender } from "./sender.ts";
import type { DisconnectedEvent, Initiator, SessionStats } from "./types.ts";

/**
 * Whether a reader's error is the connection failing (a reset, say), which
 * `PacketReader` reports as 0x80 Unspecified error with the runtime's error
 * as `cause`, rather than bytes the peer got wrong.
 */
export function isConnectionFailure(error: MqttError): boolean {
  return error.reasonCode === ReasonCode.UnspecifiedError;
}

/**
 * The reason code of the DISCONNECT that answers a violation: the error's
 * own when a DISCONNECT may carry it and it is an error (0x80 and above,
 * [MQTT-3.14.2-1]), else 0x82 Protocol Error.
 */
export function disconnectReason(error: MqttError): number {
  const code = error.reasonCode;
  return isValidReasonCode("disconnect", code) && code >= 0x80
    ? code
    : ReasonCode.ProtocolError;
}

/** A `disconnected` event, with only the fields that have a value. */
export function disconnectedEvent(
  initiator: Initiator,
  reasonCode?: number,
  packet?: DisconnectPacket | ConnackPacket,
  error?: MqttError,
): DisconnectedEvent {
  const event: DisconnectedEvent = { type: "disconnected", initiator };
  if (reasonCode !== undefined) event.reasonCode = reasonCode;
  if (packet !== undefined) event.packet = packet;
  if (error !== undefined) event.error = error;
  return event;
}

/** The sizes of a session's state, from its parts. */
export function sessionStats(
  sender: Sender,
  receiver: Receiver,
  ids: IdOwner,
  unanswered: number,
  pendingRequests: number,
): SessionStats {
  return {
    queuedMessages: sender.queued,
    inFlightMessages: sender.inFlight,
    messageBytes: sender.bytes,
    awaitingRelease: receiver.awaitingRelease,
    unanswered: receiver.unanswered + unanswered,
    pendingRequests,
    packetIdentifiers: ids.size,
  };
}
