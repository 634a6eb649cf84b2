/**
 * Issue 10 items 4 and 5: the HTTP and TFTP file roots cannot be left through symlinks, neither
 * by naming a path through a symlinked directory nor by swapping a served file or directory for
 * a symlink while it is being fetched (a second process races the server).
 *
 * Each runs under both of `lib/fs`'s root checks (`lib/fs/confined.ts` says which applies when):
 * the kernel check (`/proc/self/fd`, unconfined) against a racer of another user and one running
 * as the server's own user; the ownership check (confined) against another user, as a real
 * attacker would be: one who could write in the root but not read the secret. A racer running as
 * the server's own user can win a directory swap against the ownership check (no path-only check
 * can tell its swaps from the owner's changes), but could read the secret anyway. The racer of
 * another user needs root (`chown`, `setpriv`).
 */
import assert from "node:assert/strict";
import { serve } from "@jumpstarter/lib/testing";
import { HttpServer } from "@jumpstarter/driver-http/driver";
import { HttpServerClient } from "@jumpstarter/driver-http";
import type { RootCheck } from "@jumpstarter/lib/fs";
import { deleteFromRoot, writeIntoRoot } from "../../drivers/tftp/paths.ts";
import { RawClient, startServer } from "../../drivers/tftp/_testing/tftp.ts";
import { ROOT_CHECKS, withRootCheck } from "../../lib/fs/_testing/roots.ts";
import { tempDir, withTimeout } from "../_helpers.ts";

const SECRET = "SECRET outside the root";
const INSIDE = "inside the root";
const FETCHES = 3000;
/** The racer of another user: neither the server's user nor root. */
const OTHER_UID = 65534;

/** Who races the server: another user, or the server's own user. */
type Racer = "other" | "self";

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

for (const check of ROOT_CHECKS) {
  Deno.test(`security item 4 (${check} check): no file operation follows a symlinked directory out of the root`, async () => {
    await withTimeout(
      withRootCheck(check, async () => {
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
      }),
      30_000,
      "HTTP and TFTP file operations through a symlinked directory",
    );
  });
}

/** The racer's uid. */
function racerUid(racer: Racer): number {
  return racer === "other" ? OTHER_UID : Deno.uid()!;
}

/**
 * The raced layout below `base`: the secret in `outside` (only its owner reads it), and in the
 * root (the server's) a directory `w` the racer owns, holding `served` and `d/f`.
 */
async function racedLayout(base: string, racer: Racer) {
  await Deno.chmod(base, 0o755);
  const outside = await outsideWithSecret(base);
  await Deno.chmod(outside, 0o700);
  const root = `${base}/root`;
  await Deno.mkdir(`${root}/w/d`, { recursive: true });
  await Deno.chmod(root, 0o755);
  await Deno.writeTextFile(`${root}/w/served`, INSIDE);
  await Deno.writeTextFile(`${root}/w/d/f`, INSIDE);
  if (racer === "other") {
    for (const path of ["w", "w/served", "w/d", "w/d/f"]) {
      await Deno.chown(`${root}/${path}`, OTHER_UID, OTHER_UID);
    }
  }
  return { root, outside };
}

/**
 * A process of the racer that keeps swapping `w/served` (a file, kept as a second link meanwhile,
 * so the same file comes back) and `w/d` (a directory holding `f`) for symlinks to the outside
 * secret and back, until killed.
 */
async function startSwapper(base: string, root: string, outside: string, racer: Racer) {
  // Deno, runnable by the racer: a link beside the test's files (ours may be below /root)
  const deno = `${base}/deno`;
  await Deno.link(Deno.execPath(), deno).catch(() => Deno.copyFile(Deno.execPath(), deno));
  const home = `${base}/racer`;
  await Deno.mkdir(home);
  await Deno.chown(home, racerUid(racer), racerUid(racer));
  const code = `
    const W = ${JSON.stringify(`${root}/w`)}, O = ${JSON.stringify(outside)};
    console.log("swapping as " + Deno.uid());
    for (;;) {
      Deno.symlinkSync(O + "/x", W + "/.l");
      Deno.linkSync(W + "/served", W + "/.f");
      Deno.renameSync(W + "/.l", W + "/served");
      Deno.renameSync(W + "/.f", W + "/served");
      Deno.renameSync(W + "/d", W + "/.d");
      Deno.symlinkSync(O, W + "/d");
      Deno.removeSync(W + "/d");
      Deno.renameSync(W + "/.d", W + "/d");
    }`;
  const user = `${OTHER_UID}`;
  const [command, ...args] = racer === "other"
    ? ["setpriv", "--reuid", user, "--regid", user, "--clear-groups", deno, "eval", code]
    : [deno, "eval", code];
  return new Deno.Command(command!, {
    args,
    env: { DENO_DIR: home, HOME: home, DENO_NO_UPDATE_CHECK: "1" },
    clearEnv: true,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
}

type Counts = { inside: number; refused: number; escaped: number };

/** Runs `fetchOne` FETCHES times, alternating names, while the racer swaps; counts outcomes. */
async function raceFetches(
  base: string,
  racer: Racer,
  fetchOne: (name: string) => Promise<string | undefined>,
): Promise<Record<string, Counts>> {
  const { root, outside } = await racedLayout(base, racer);
  const swapper = await startSwapper(base, root, outside, racer);
  const counts: Record<string, Counts> = {};
  try {
    const reader = swapper.stdout.getReader();
    const started = new TextDecoder().decode((await reader.read()).value);
    assert.equal(started.trim(), `swapping as ${racerUid(racer)}`, "the racer did not start");
    reader.releaseLock();
    for (let i = 0; i < FETCHES; i++) {
      const name = i % 2 ? "w/served" : "w/d/f";
      const count = counts[name] ??= { inside: 0, refused: 0, escaped: 0 };
      const body = await fetchOne(name);
      if (body === undefined) count.refused++;
      else if (body === INSIDE) count.inside++;
      else if (body.includes("SECRET")) count.escaped++;
      else assert.fail(`unexpected body ${JSON.stringify(body.slice(0, 80))}`);
    }
  } finally {
    swapper.kill("SIGKILL");
    await swapper.status;
    await swapper.stdout.cancel().catch(() => {});
  }
  return counts;
}

function assertNoEscape(what: string, check: RootCheck, counts: Record<string, Counts>) {
  console.log(`${what}: ${JSON.stringify(counts)} over ${FETCHES} fetches`);
  const served = counts["w/served"]!;
  const below = counts["w/d/f"]!;
  assert.equal(served.escaped + below.escaped, 0, `${what} served the outside file`);
  // both outcomes seen for the swapped file: the race really ran
  assert.ok(
    served.inside > 0 && served.refused > 0,
    `the swap did not race: ${JSON.stringify(served)}`,
  );
  if (check === "kernel") {
    // the kernel tells where each opened directory is: one the racer swaps is walked while it is
    // a directory
    assert.ok(below.inside > 0, `${what} never served a file below the racer's directory`);
  } else {
    // a directory the racer can swap is never walked through
    assert.equal(below.inside, 0, `${what} served a file below the racer's directory`);
  }
}

/** Who races each check here: the ownership check is not race-free against this user's swaps. */
const RACES: readonly { check: RootCheck; racer: Racer }[] = [
  { check: "kernel", racer: "other" },
  { check: "kernel", racer: "self" },
  { check: "ownership", racer: "other" },
];

/** The racer of another user needs root; one of this user needs the kernel check. */
function raceIgnored(racer: Racer): boolean {
  return racer === "other" && Deno.uid() !== 0;
}

/** A server of the protocol on a root, and one fetch from it: the body, or none when refused. */
type RacedServer = AsyncDisposable & { fetchOne(name: string): Promise<string | undefined> };

const SERVERS: Record<"HTTP" | "TFTP", (root: string) => Promise<RacedServer>> = {
  HTTP: async (root) => {
    const { served, url } = await servedHttp(root);
    return {
      [Symbol.asyncDispose]: () => served[Symbol.asyncDispose](),
      async fetchOne(name) {
        const response = await fetch(`${url}/${name}`);
        const body = await response.text();
        return response.status === 200 ? body : undefined;
      },
    };
  },
  TFTP: async (root) => {
    const server = await startServer(root);
    const peer = { address: "127.0.0.1", port: server.address.port };
    return {
      [Symbol.asyncDispose]: () => server[Symbol.asyncDispose](),
      async fetchOne(name) {
        // a fresh port per fetch, as real clients do (a repeat from one port is a
        // retransmission)
        await using client = await RawClient.open();
        try {
          return new TextDecoder().decode((await client.fetch(peer, name)).data);
        } catch (error) {
          // an ERROR packet (not found / access violation) instead of DATA
          if (/expected DATA/.test(String(error))) return undefined;
          throw error;
        }
      },
    };
  },
};

for (const [protocol, start] of Object.entries(SERVERS)) {
  for (const { check, racer } of RACES) {
    const who = racer === "other" ? "another user" : "the server's own user";
    const what = `${protocol}, ${check} check, ${racer} racer`;
    Deno.test({
      name:
        `security item 5 (${check} check): ${who} swapping a file or directory for a symlink mid-fetch never gets the outside file served (${protocol})`,
      ignore: raceIgnored(racer),
      fn: async () => {
        await withTimeout(
          withRootCheck(check, async () => {
            await using dir = await tempDir();
            await Deno.mkdir(`${dir.path}/root`);
            await using server = await start(`${dir.path}/root`);
            const counts = await raceFetches(dir.path, racer, (name) => server.fetchOne(name));
            assertNoEscape(what, check, counts);
          }),
          90_000,
          `${FETCHES} fetches (${what}) against a racing symlink swapper`,
        );
      },
    });
  }
}
