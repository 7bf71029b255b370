/**
 * Packet Identifiers (section 2.2.1): the numbers 1 to 65,535 that tie an
 * acknowledgement to its PUBLISH, SUBSCRIBE or UNSUBSCRIBE.
 *
 * @module
 */

import { MAXIMUM_PACKET_ID } from "../defaults.ts";

/**
 * Hands out Packet Identifiers that are not in use: a new SUBSCRIBE,
 * UNSUBSCRIBE or QoS 1/2 PUBLISH gets one that no packet still waiting for
 * its acknowledgement holds [MQTT-2.2.1-3] (client), [MQTT-2.2.1-4]
 * (server). Identifiers are taken in turn (1, 2, ... 65,535, 1, ...), so
 * that one just released is reused as late as possible: a stray
 * acknowledgement of an old exchange then finds no new one to complete.
 */
export class PacketIdAllocator {
  #inUse = new Set<number>();
  #last = 0;

  /** How many identifiers are in use. */
  get size(): number {
    return this.#inUse.size;
  }

  /** Whether `id` is in use. */
  has(id: number): boolean {
    return this.#inUse.has(id);
  }

  /** The next free identifier, now in use; `undefined` when all 65,535 are. */
  allocate(): number | undefined {
    const inUse = this.#inUse;
    if (inUse.size >= MAXIMUM_PACKET_ID) return undefined;
    let id = this.#last;
    do {
      id = id === MAXIMUM_PACKET_ID ? 1 : id + 1;
    } while (inUse.has(id));
    inUse.add(id);
    this.#last = id;
    return id;
  }

  /** Marks an identifier as in use (a session state taken over keeps its identifiers). */
  reserve(id: number): void {
    this.#inUse.add(id);
  }

  /** Frees an identifier; returns whether it was in use. */
  release(id: number): boolean {
    return this.#inUse.delete(id);
  }

  /** Frees every identifier. */
  clear(): void {
    this.#inUse.clear();
  }
}
