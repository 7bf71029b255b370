/**
 * Topic Aliases we receive (MQTT 5.0 section 3.3.2.3.4).
 *
 * @module
 */

import { MqttError } from "../error.ts";
import { ReasonCode } from "../reason_code.ts";

/**
 * The Topic Alias mappings the peer set up on one network connection. A
 * mapping never outlives its connection [MQTT-3.3.2-7]: make a new one for
 * each.
 */
export class InboundTopicAliases {
  readonly #maximum: number;
  readonly #topics = new Map<number, string>();

  /** @param maximum Our Topic Alias Maximum, as sent to the peer (0: none accepted). */
  constructor(maximum: number) {
    this.#maximum = maximum;
  }

  /**
   * The topic name of a PUBLISH that carries `alias`: a non-empty `topic`
   * sets (or replaces) the mapping and is returned; an empty one is looked
   * up.
   *
   * @throws {MqttError} 0x94 Topic Alias invalid for an alias of 0 or above
   * our maximum (we accept all from 1 to it: [MQTT-3.3.2-10],
   * [MQTT-3.3.2-12]); 0x82 Protocol Error for an empty topic name with an
   * alias that has no mapping yet.
   */
  resolve(topic: string, alias: number): string {
    if (alias < 1 || alias > this.#maximum) {
      throw new MqttError(
        `PUBLISH: Topic Alias ${alias} is not between 1 and the Topic Alias Maximum ${this.#maximum} (section 3.3.2.3.4)`,
        ReasonCode.TopicAliasInvalid,
      );
    }
    if (topic.length > 0) {
      this.#topics.set(alias, topic);
      return topic;
    }
    const known = this.#topics.get(alias);
    if (known === undefined) {
      throw new MqttError(
        `PUBLISH: the topic name is empty and Topic Alias ${alias} has no mapping on this connection (section 3.3.2.3.4)`,
        ReasonCode.ProtocolError,
      );
    }
    return known;
  }
}
