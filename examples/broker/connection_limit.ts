/**
 * The example broker's connection limit, as mosquitto's `max_connections`
 * (man mosquitto.conf): at most so many network connections open on one
 * listener; one past it is closed as soon as it is accepted, before
 * anything is read from it, and its slot is free again once a connection
 * closes. Sessions kept for clients that went away are not connections
 * (the session limit is `BrokerState`'s).
 *
 * @module
 */

import type { Transport } from "./transport.ts";

/** The open connections of one listener, and those refused. */
export class ConnectionLimit {
  /** The most connections open at once; 0 for no limit. */
  readonly maximum: number;
  /** Connections open now. */
  open = 0;
  /** Connections refused since the listener started. */
  refused = 0;

  readonly #name: string;
  readonly #log: (line: string) => void;
  /** Refused since a connection was last accepted: said once, then counted. */
  #refusedInARow = 0;

  /**
   * @param name The listener, for the log ("TCP", "WebSocket").
   * @param maximum The most connections open at once; 0 for no limit.
   */
  constructor(name: string, maximum: number, log: (line: string) => void) {
    this.#name = name;
    this.maximum = maximum;
    this.#log = log;
  }

  /**
   * Takes a slot for a connection from `remote`: false when all are taken
   * (the caller closes the connection at once).
   */
  take(remote: string): boolean {
    if (this.maximum > 0 && this.open >= this.maximum) {
      this.refused++;
      // A flood of connections is one line, not one per connection.
      if (this.#refusedInARow++ === 0) {
        this.#log(
          `${remote}: connection refused: ${this.maximum} ${this.#name} connections open (--max-connections); more are counted`,
        );
      }
      return false;
    }
    if (this.#refusedInARow > 0) {
      this.#log(
        `${this.#name}: ${this.#refusedInARow} connections refused at the limit of ${this.maximum}`,
      );
      this.#refusedInARow = 0;
    }
    this.open++;
    return true;
  }

  /** The transport, giving its slot back when it is first closed. */
  held(transport: Transport): Transport {
    let holding = true;
    return {
      read: () => transport.read(),
      writable: transport.writable,
      remote: transport.remote,
      close: () => {
        transport.close();
        if (holding) {
          holding = false;
          this.open--;
        }
      },
    };
  }
}
