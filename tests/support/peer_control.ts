/**
 * The control side of `remotePeer` (tests/support/close_orders.mjs): raw
 * WebSocket ends (tests/support/raw_web_socket.ts) held here, in Deno, and
 * driven over HTTP by a close-order row that runs elsewhere — in a Worker
 * whose server-side WebSocket is the local end, or in a page whose
 * client WebSocket is. `POST /peer/ID/OPERATION` runs `send` (the body as
 * one binary message), `received` (answers with every byte received once
 * the connection ended), `close`, `drop` or `reset` on the end named ID,
 * waiting for it to be added if a row asks before the handshake is done.
 * `POST /result/ID` is how a row reports its outcome (a JSON
 * {@linkcode RowResult}).
 *
 * @module
 */

import type { RawWebSocket } from "./raw_web_socket.ts";

const PATH = /^\/peer\/([\w-]+)\/(send|received|close|drop|reset)$/;
const RESULT = /^\/result\/([\w-]+)$/;

/** What a row that ran elsewhere reports: its error, and anything uncaught. */
export interface RowResult {
  error?: string;
  uncaught?: string[];
}

/** Raw WebSocket ends by id, and the HTTP operations on them. */
export class PeerControl {
  readonly #ends = new Map<string, PromiseWithResolvers<RawWebSocket>>();
  readonly #results = new Map<string, PromiseWithResolvers<RowResult>>();

  /** Holds `end` as the peer named `id`. */
  add(id: string, end: RawWebSocket): void {
    entry(this.#ends, id).resolve(end);
  }

  /** The end named `id`, once added. */
  end(id: string): Promise<RawWebSocket> {
    return entry(this.#ends, id).promise;
  }

  /** What the row named `id` reported, once it did. */
  result(id: string): Promise<RowResult> {
    return entry(this.#results, id).promise;
  }

  /** Drops every end (TCP closed without a close frame) and forgets them. */
  async dispose(): Promise<void> {
    for (const entry of this.#ends.values()) {
      entry.promise.then((end) => end.drop());
    }
    this.#ends.clear();
    this.#results.clear();
    await Promise.resolve();
  }

  /**
   * Answers a control request, or returns `undefined` when `request` is not
   * one (for a server that serves other things too). Allowed from any
   * origin: a page served from another port calls it.
   */
  handle(request: Request): Promise<Response> | undefined {
    const { pathname } = new URL(request.url);
    const result = RESULT.exec(pathname);
    if (result !== null) {
      return request.json().then((outcome: RowResult) => {
        entry(this.#results, result[1]).resolve(outcome);
        return new Response(null, { headers: CORS });
      });
    }
    const match = PATH.exec(pathname);
    if (match === null) return undefined;
    return this.#run(match[1], match[2], request).then(
      (body) => new Response(body, { headers: CORS }),
      (error) =>
        new Response(String(error?.stack ?? error), {
          status: 500,
          headers: CORS,
        }),
    );
  }

  /** Serves the control requests alone on a free 127.0.0.1 port. */
  serve(): Deno.HttpServer<Deno.NetAddr> {
    return Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (request) =>
        this.handle(request) ?? new Response("not found", { status: 404 }),
    );
  }

  async #run(
    id: string,
    operation: string,
    request: Request,
  ): Promise<Uint8Array<ArrayBuffer> | null> {
    const body = new Uint8Array(await request.arrayBuffer());
    const end = await this.end(id);
    switch (operation) {
      case "send":
        await end.send(body);
        return null;
      case "received":
        return (await end.received()).slice();
      case "close":
        await end.close();
        return null;
      case "drop":
        end.drop();
        return null;
      default:
        end.reset();
        return null;
    }
  }
}

/** The promise of `map` at `id`, made when first asked for. */
function entry<T>(
  map: Map<string, PromiseWithResolvers<T>>,
  id: string,
): PromiseWithResolvers<T> {
  let found = map.get(id);
  if (found === undefined) {
    found = Promise.withResolvers();
    map.set(id, found);
  }
  return found;
}

const CORS = { "access-control-allow-origin": "*" };
