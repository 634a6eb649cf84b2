/**
 * Issue 10 items 4 and 5: the HTTP and TFTP file roots cannot be left through symlinks, neither
 * by naming a path through a symlinked directory nor by swapping a served file or directory for
 * a symlink while it is being fetched (a second process races the server).
 */
import assert from "node:assert/strict";
import { serve } from "@jumpstarter/lib/testing";
import { HttpServer } from "@jumpstarter/driver-http/driver";
import { HttpServerClient } from "@jumpstarter/driver-http";
import { deleteFromRoot, writeIntoRoot } from "../../drivers/tftp/paths.ts";
import { RawClient, startServer } from "../../drivers/tftp/_testing/tftp.ts";
import { tempDir, withTimeout } from "../_helpers.ts";

const SECRET = "SECRET outside the root";
const INSIDE = "inside the root";
const FETCHES = 3000;

async function outsideWithSecret(dir: string): Promise<string> {
  const outside = `${dir}/outside`;
  await Deno.mkdir(outside);
  await Deno.writeTextFile(`${outside}/x`, SECRET);
  await Deno.writeTextFile(`${outside}/f`, SECRET);
  return outside;
}

async function servedHttp(root: string) {
  const driver = new HttpServer({ "root_dir": root, host: "127.0.0.1", port: 0 });
  const served = await serve(driver, HttpServerClient);
  await served.client.start();
  return { served, client: served.client, url: await served.client.getUrl() };
}

Deno.test("security item 4: no file operation follows a symlinked directory out of the root", async () => {
  await withTimeout(
    (async () => {
      await using dir = await tempDir();
      const outside = await outsideWithSecret(dir.path);
      const root = `${dir.path}/root`;
      await Deno.mkdir(root);
      await Deno.symlink(outside, `${root}/dirlink`);
      const { served, client, url } = await servedHttp(root);
      await using _ = served;

      await assert.rejects(client.deleteFile("dirlink/x"), /leads out of the root/);
      await assert.rejects(
        client.putFile("dirlink/planted", ReadableStream.from([new TextEncoder().encode("x")])),
        /leads out of the root/,
      );
      await assert.rejects(
        client.putFile("dirlink/sub/planted", ReadableStream.from([new Uint8Array(1)])),
        /leads out of the root/,
      );
      const got = await fetch(`${url}/dirlink/x`);
      assert.equal(got.status, 403, await got.text());

      await assert.rejects(deleteFromRoot(root, "dirlink/x"), /outside the TFTP root/);
      await assert.rejects(
        writeIntoRoot(root, "dirlink/planted", ReadableStream.from([new Uint8Array(1)])),
        /outside the TFTP root/,
      );
      assert.equal(await Deno.readTextFile(`${outside}/x`), SECRET, "outside file deleted");
      const left = [];
      for await (const entry of Deno.readDir(outside)) left.push(entry.name);
      assert.deepEqual(left.sort(), ["f", "x"], "something was written outside the root");
      // the symlink itself lives inside: listing shows it without following it
      assert.deepEqual(await client.listFiles(), ["dirlink"]);
    })(),
    30_000,
    "HTTP and TFTP file operations through a symlinked directory",
  );
});

/**
 * A separate process that keeps swapping `served` (a file) and `d` (a directory holding `f`)
 * for symlinks to the outside secret and back, until killed.
 */
function startSwapper(root: string, outside: string): Deno.ChildProcess {
  const code = `
    const R = ${JSON.stringify(root)}, O = ${JSON.stringify(outside)};
    console.log("swapping");
    for (;;) {
      Deno.symlinkSync(O + "/x", R + "/.l");
      Deno.renameSync(R + "/.l", R + "/served");
      Deno.writeTextFileSync(R + "/.f", ${JSON.stringify(INSIDE)});
      Deno.renameSync(R + "/.f", R + "/served");
      Deno.renameSync(R + "/d", R + "/.d");
      Deno.symlinkSync(O, R + "/d");
      Deno.removeSync(R + "/d");
      Deno.renameSync(R + "/.d", R + "/d");
    }`;
  return new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
}

/** Runs `fetchOne` FETCHES times while the swapper runs; counts what came back. */
async function raceFetches(
  root: string,
  outside: string,
  fetchOne: (name: string) => Promise<string | undefined>,
): Promise<{ inside: number; refused: number; escaped: number }> {
  await Deno.writeTextFile(`${root}/served`, INSIDE);
  await Deno.mkdir(`${root}/d`);
  await Deno.writeTextFile(`${root}/d/f`, INSIDE);
  const swapper = startSwapper(root, outside);
  const counts = { inside: 0, refused: 0, escaped: 0 };
  try {
    const reader = swapper.stdout.getReader();
    const started = await reader.read();
    assert.match(new TextDecoder().decode(started.value), /swapping/, "swapper did not start");
    reader.releaseLock();
    for (let i = 0; i < FETCHES; i++) {
      const body = await fetchOne(i % 2 ? "served" : "d/f");
      if (body === undefined) counts.refused++;
      else if (body === INSIDE) counts.inside++;
      else if (body.includes("SECRET")) counts.escaped++;
      else assert.fail(`unexpected body ${JSON.stringify(body.slice(0, 80))}`);
    }
  } finally {
    swapper.kill("SIGKILL");
    await swapper.status;
    await swapper.stdout.cancel().catch(() => {});
  }
  return counts;
}

function assertNoEscape(what: string, counts: { inside: number; refused: number }) {
  console.log(`${what}: ${JSON.stringify(counts)} over ${FETCHES} fetches`);
  // both outcomes seen: the race really ran
  assert.ok(counts.inside > 0 && counts.refused > 0, `the swap did not race: ${counts}`);
}

Deno.test("security item 5: swapping a served file for a symlink mid-fetch never serves outside (HTTP)", async () => {
  await withTimeout(
    (async () => {
      await using dir = await tempDir();
      const outside = await outsideWithSecret(dir.path);
      const root = `${dir.path}/root`;
      await Deno.mkdir(root);
      const { served, url } = await servedHttp(root);
      await using _ = served;
      const counts = await raceFetches(root, outside, async (name) => {
        const response = await fetch(`${url}/${name}`);
        const body = await response.text();
        return response.status === 200 ? body : undefined;
      });
      assertNoEscape("HTTP", counts);
      assert.equal(counts.escaped, 0, `HTTP served the outside file ${counts.escaped} times`);
    })(),
    90_000,
    `${FETCHES} HTTP fetches against a racing symlink swapper`,
  );
});

Deno.test("security item 5: swapping a served file for a symlink mid-fetch never serves outside (TFTP)", async () => {
  await withTimeout(
    (async () => {
      await using dir = await tempDir();
      const outside = await outsideWithSecret(dir.path);
      const root = `${dir.path}/root`;
      await Deno.mkdir(root);
      await using server = await startServer(root);
      const peer = { address: "127.0.0.1", port: server.address.port };
      const counts = await raceFetches(root, outside, async (name) => {
        // a fresh port per fetch, as real clients do (a repeat from one port is a retransmission)
        await using client = await RawClient.open();
        try {
          return new TextDecoder().decode((await client.fetch(peer, name)).data);
        } catch (error) {
          // an ERROR packet (not found / access violation) instead of DATA
          if (/expected DATA/.test(String(error))) return undefined;
          throw error;
        }
      });
      assertNoEscape("TFTP", counts);
      assert.equal(counts.escaped, 0, `TFTP served the outside file ${counts.escaped} times`);
    })(),
    90_000,
    `${FETCHES} TFTP fetches against a racing symlink swapper`,
  );
});
