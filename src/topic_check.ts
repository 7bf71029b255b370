/**
 * The checks the topic indexes make on what they are given: a topic name
 * or a topic filter that breaks the rules of section 4.7 is an
 * {@linkcode MqttError}, with the reason code a server would answer with.
 *
 * @module
 */

import { MqttError } from "./error.ts";
import { ReasonCode } from "./reason_code.ts";
import { topicFilterProblem, topicNameProblem } from "./topic.ts";

/**
 * Throws 0x90 Topic Name invalid for an invalid topic name.
 *
 * @param where Who checks, for the message (`TopicTree.match`).
 * @param topic The topic name.
 */
export function checkTopicName(where: string, topic: string): void {
  const problem = topicNameProblem(topic);
  if (problem !== undefined) {
    throw new MqttError(
      `${where}: topic name ${quote(topic)} ${problem}`,
      ReasonCode.TopicNameInvalid,
    );
  }
}

/**
 * Throws 0x8F Topic Filter invalid for an invalid topic filter.
 *
 * @param where Who checks, for the message (`TopicTree.add`).
 * @param filter The topic filter.
 * @param version Whose rules: 5 checks `$share/` filters as Shared
 * Subscriptions, 4 only the wildcards.
 */
export function checkTopicFilter(
  where: string,
  filter: string,
  version: 4 | 5,
): void {
  const problem = topicFilterProblem(filter, version);
  if (problem !== undefined) {
    throw new MqttError(
      `${where}: topic filter ${quote(filter)} ${problem}`,
      ReasonCode.TopicFilterInvalid,
    );
  }
}

/** A string for a message: quoted, and cut short when long. */
function quote(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}
