/**
 * The frame of the black-box broker tests: each behaviour is a row, run
 * against our broker and against mosquitto 2.0.11, each started as a
 * process for the suite (a row that needs options gets a broker of its
 * own). A row that fails today against a broker is marked with the reason:
 * it is then ignored there, the reason in its name, so that the suite stays
 * green and the table of what passes where stays in the code. Set
 * `BROKER_TESTS_ALL=1` to run the ignored rows too (to see which pass now),
 * `BROKER_TESTS_ONLY=text` to run only the rows whose name holds `text`.
 */

import { assertEquals } from "@std/assert";
import { afterAll, beforeAll, describe, it } from "@std/testing/bdd";
import type { ConnackPacket, ProtocolVersion } from "../../mod.ts";
import { AutoClient } from "./auto_client.ts";
import {
  type BrokerName,
  type BrokerOptions,
  BROKERS,
  type RunningBroker,
} from "./brokers.ts";
import type { Address, ConnectFields } from "./test_client.ts";
import { TestClient } from "./test_client.ts";

/** What a row gets to work with. */
export interface RowContext {
  /** The broker under test. */
  broker: RunningBroker;
  /** The protocol version of the suite: what `connect` uses unless told. */
  version: ProtocolVersion;
  /** A name unique to the row (`r7-name`), for client ids and topics. */
  id(name: string): string;
  /** Connects an {@linkcode AutoClient} (accepted), closed after the row. */
  connect(fields?: ConnectFields): Promise<AutoClient>;
  /** Connects an {@linkcode AutoClient} whatever the CONNACK says. */
  connectRaw(fields?: ConnectFields): Promise<AutoClient>;
  /** Opens a {@linkcode TestClient} connection, nothing sent, closed after the row. */
  open(version?: ProtocolVersion): Promise<TestClient>;
  /** Connects a {@linkcode TestClient} (packet by packet, nothing automatic). */
  connectTest(
    fields?: ConnectFields,
  ): Promise<{ client: TestClient; connack: ConnackPacket }>;
}

/** One behaviour, checked against each broker. */
export interface Row {
  /** What is checked, naming the Paho test (`test_basic`) it mirrors. */
  name: string;
  /** A broker of its own with these options, instead of the suite's. */
  broker?: BrokerOptions;
  /**
   * It waits for real time to pass (keep alive, expiry, delays): it starts
   * with the suite and runs alongside the other rows (with the suite's
   * broker only).
   */
  slow?: boolean;
  /**
   * Why the row fails today against a broker (`"ours"`), or against a
   * broker in one protocol version only (`"mosquitto@4"`): it is ignored
   * there, with the reason in its name.
   */
  fails?: Partial<
    Record<BrokerName | `${BrokerName}@${ProtocolVersion}`, string>
  >;
  fn(context: RowContext): Promise<void>;
}

const RUN_ALL = Deno.env.get("BROKER_TESTS_ALL") === "1";
const ONLY = Deno.env.get("BROKER_TESTS_ONLY");

/** What a row's run left to clean up. */
interface RowRun {
  clients: (AutoClient | TestClient)[];
  broker?: RunningBroker;
}

/**
 * Runs one row against a broker: its own broker if it asks for one, else
 * `shared`. Every client it opened is closed, and its own broker stopped,
 * when it ends; then no client may have seen a surprise.
 */
async function runRow(
  row: Row,
  index: number,
  name: BrokerName,
  version: ProtocolVersion,
  shared: RunningBroker | undefined,
): Promise<void> {
  const run: RowRun = { clients: [] };
  try {
    if (row.broker !== undefined) run.broker = await BROKERS[name](row.broker);
    const broker = run.broker ?? shared!;
    const address: Address = broker.port;
    const prefix = `r${index}`;
    const withDefaults = (fields: ConnectFields): ConnectFields => ({
      protocolVersion: version,
      clientId: `${prefix}-client`,
      ...fields,
    });
    const connectRaw = async (fields: ConnectFields = {}) => {
      const client = await AutoClient.connectRaw(address, withDefaults(fields));
      run.clients.push(client);
      return client;
    };
    await row.fn({
      broker,
      version,
      id: (name) => `${prefix}-${name}`,
      async connect(fields = {}) {
        const client = await connectRaw(fields);
        assertEquals(client.connack.reasonCode, 0, "CONNACK reason code");
        return client;
      },
      connectRaw,
      async open(openVersion = version) {
        const client = await TestClient.open(address, openVersion);
        run.clients.push(client);
        return client;
      },
      async connectTest(fields = {}) {
        const result = await TestClient.connectRaw(
          address,
          withDefaults(fields),
        );
        run.clients.push(result.client);
        return result;
      },
    });
  } finally {
    const autos = run.clients.filter((c) => c instanceof AutoClient);
    for (const client of run.clients) client.close();
    await Promise.all(autos.map((client) => client.closed));
    await run.broker?.stop();
    assertEquals(
      autos.flatMap((client) => client.surprises),
      [],
      "what the broker sent that a client would not expect",
    );
  }
}

/**
 * Registers one `describe` per broker running every row. Rows marked
 * `slow` (they wait for real time to pass) and using the suite's broker
 * start together when the suite starts, and run alongside the others; each
 * still passes or fails as its own test.
 */
export function interopSuite(
  title: string,
  version: ProtocolVersion,
  rows: Row[],
  brokers: BrokerName[] = ["ours", "mosquitto"],
): void {
  for (const name of brokers) {
    const runs = rows.map((row, index) => {
      const reason = row.fails?.[`${name}@${version}`] ?? row.fails?.[name];
      const ignore = (reason !== undefined && !RUN_ALL) ||
        (ONLY !== undefined && !row.name.includes(ONLY));
      const early = row.slow === true && row.broker === undefined && !ignore;
      return { row, index, reason, ignore, early };
    });
    describe(`${title}, against ${name}`, {
      // Brokers and clients are stopped and closed by runRow and afterAll.
      sanitizeOps: false,
      sanitizeResources: false,
    }, () => {
      let shared: RunningBroker | undefined;
      /** The runs of the rows started early, by row index. */
      const started = new Map<number, Promise<unknown>>();

      beforeAll(async () => {
        // Not needed when every row starts a broker of its own.
        if (rows.some((row) => row.broker === undefined)) {
          shared = await BROKERS[name]();
        }
        for (const { row, index, early } of runs) {
          if (!early) continue;
          // Settled here, awaited (and so reported) by the row's own test.
          const result = runRow(row, index, name, version, shared).then(
            () => ({ ok: true }),
            (error) => ({ ok: false, error }),
          );
          started.set(index, result);
        }
      });

      afterAll(async () => {
        await Promise.all(started.values());
        await shared?.stop();
      });

      for (const { row, index, reason, ignore, early } of runs) {
        it({
          name: reason === undefined
            ? row.name
            : `${row.name} — fails today: ${reason}`,
          ignore,
          fn: async () => {
            if (!early) return await runRow(row, index, name, version, shared);
            const result = await started.get(index)! as {
              ok: boolean;
              error?: unknown;
            };
            if (!result.ok) throw result.error;
          },
        });
      }
    });
  }
}
