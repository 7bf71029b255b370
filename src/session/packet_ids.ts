/**
 * Packet Identifiers (section 2.2.1): the numbers 1 to 65,535 that tie an
 * acknowledgement to its PUBLISH, SUBSCRIBE or UNSUBSCRIBE.
 *
 * @module
 */

import { MAXIMUM_PACKET_ID } from "../defaults.ts";

/** A collection whose keys are identifiers in use (a `Map`, an `IdTable`). */
export interface IdOwner {
  /** How many identifiers it holds. */
  readonly size: number;
  /** Whether it holds `id`. */
  has(id: number): boolean;
}

/**
 * Hands out Packet Identifiers that are not in use: a new SUBSCRIBE,
 * UNSUBSCRIBE or QoS 1/2 PUBLISH gets one that no packet still waiting for
 * its acknowledgement holds [MQTT-2.2.1-3] (client), [MQTT-2.2.1-4]
 * (server). An identifier is in use while it is a key of one of the maps
 * the allocator tracks (the messages in flight, the requests waiting for
 * their answer): a single source of truth, and no second set to keep in
 * step. Identifiers are taken in turn (1, 2, ... 65,535, 1, ...), so that
 * one just freed is reused as late as possible: a stray acknowledgement of
 * an old exchange then finds no new one to complete.
 */
export class PacketIdAllocator {
  readonly #owners: IdOwner[] = [];
  #last = 0;

  /** Counts the keys of `owner` as identifiers in use. */
  track(owner: IdOwner): void {
    this.#owners.push(owner);
  }

  /** How many identifiers are in use. */
  get size(): number {
    const owners = this.#owners;
    let size = 0;
    for (let i = 0; i < owners.length; i++) size += owners[i].size;
    return size;
  }

  /** Whether `id` is in use. */
  has(id: number): boolean {
    const owners = this.#owners;
    for (let i = 0; i < owners.length; i++) {
      if (owners[i].has(id)) return true;
    }
    return false;
  }

  /** The identifier handed out last (0 before the first): the next is after it. */
  get last(): number {
    return this.#last;
  }

  /** Continues the turn after `last` (a restored session). */
  set last(id: number) {
    this.#last = id;
  }

  /**
   * The next free identifier (the caller puts it in its map), or
   * `undefined` when all 65,535 are in use.
   */
  allocate(): number | undefined {
    if (this.size >= MAXIMUM_PACKET_ID) return undefined;
    let id = this.#last;
    do {
      id = id === MAXIMUM_PACKET_ID ? 1 : id + 1;
    } while (this.has(id));
    this.#last = id;
    return id;
  }
}
