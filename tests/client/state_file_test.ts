/**
 * The `--state` file of the example client (examples/client/state_file.ts):
 * a session snapshot and the program's state, bytes included, saved and
 * loaded back; replaced whole; a FILE.tmp left by a killed process ignored.
 */

import { assertEquals, assertRejects } from "@std/assert";
import { afterEach, beforeEach, describe, it } from "@std/testing/bdd";
import { StateFile } from "../../examples/client/state_file.ts";
import { ClientSession } from "../../src/entries/session.ts";

/** A session with a QoS 2 message in flight, and its snapshot. */
function sessionInFlight() {
  const options = { clientId: "c", sessionExpiryInterval: 600 };
  const session = new ClientSession(options);
  session.connectionOpened(0);
  session.pollTransmit();
  session.handlePacket(
    { type: "connack", sessionPresent: false, reasonCode: 0 },
    1,
  );
  session.publish({
    topic: "t",
    payload: new Uint8Array([0, 255, 7]),
    qos: 2,
    retain: false,
    correlationData: new Uint8Array([9]),
  }, 2);
  session.pollTransmit();
  return { options, snapshot: session.snapshot() };
}

describe("StateFile", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await Deno.makeTempDir({ prefix: "state_file_" });
  });
  afterEach(async () => {
    await Deno.remove(dir, { recursive: true });
  });

  it("load() is undefined without a file; save() then load() gives the state back, bytes as bytes", async () => {
    const file = new StateFile<{ next: number }>(`${dir}/s.json`);
    assertEquals(await file.load(), undefined);
    const { options, snapshot } = sessionInFlight();
    await file.save({ session: snapshot, application: { next: 5 } });
    const loaded = await file.load();
    assertEquals(loaded, { session: snapshot, application: { next: 5 } });
    // And the session goes on from it: the PUBLISH again, with DUP.
    const restored = ClientSession.restore(loaded!.session, options);
    restored.connectionOpened(3);
    restored.pollTransmit();
    restored.handlePacket(
      { type: "connack", sessionPresent: true, reasonCode: 0 },
      4,
    );
    const resent = restored.pollTransmit();
    assertEquals(resent?.type === "publish" && [resent.dup, resent.payload], [
      true,
      new Uint8Array([0, 255, 7]),
    ]);
  });

  it("a save replaces the file whole, and leaves no FILE.tmp", async () => {
    const file = new StateFile<{ next: number }>(`${dir}/s.json`);
    const { snapshot } = sessionInFlight();
    await file.save({ session: snapshot, application: { next: 1 } });
    await file.save({ session: snapshot, application: { next: 2 } });
    assertEquals((await file.load())?.application, { next: 2 });
    assertEquals(
      [...Deno.readDirSync(dir)].map((entry) => entry.name),
      ["s.json"],
    );
  });

  it("a FILE.tmp from a process killed while writing is not a state", async () => {
    const file = new StateFile<{ next: number }>(`${dir}/s.json`);
    await Deno.writeTextFile(`${dir}/s.json.tmp`, '{"session": {"form');
    assertEquals(await file.load(), undefined);
    const { snapshot } = sessionInFlight();
    await file.save({ session: snapshot, application: { next: 3 } });
    assertEquals((await file.load())?.application, { next: 3 });
  });

  it("remove() deletes the file, and is quiet when there is none", async () => {
    const file = new StateFile<{ next: number }>(`${dir}/s.json`);
    await file.remove();
    const { snapshot } = sessionInFlight();
    await file.save({ session: snapshot, application: { next: 0 } });
    await file.remove();
    assertEquals(await file.load(), undefined);
  });

  it("a file that is not JSON is an error, not a fresh start", async () => {
    await Deno.writeTextFile(`${dir}/s.json`, "not json");
    await assertRejects(
      () => new StateFile(`${dir}/s.json`).load(),
      SyntaxError,
    );
  });
});
