/**
 * Hook failure policies on our exporter, as upstream HEAD's `jmp shell` sees them through
 * GetStatus: warn (a warning, the lease goes on), endLease (the failure is reported, the exporter
 * releases the lease and is AVAILABLE again), exit (the exporter goes OFFLINE and exits 1).
 */
import assert from "node:assert/strict";
import { fileDeadline } from "@jumpstarter/lib/testing";
import { getLeases, until } from "../_distributed.ts";
import { describe, run, type RunResult, spawnProgram } from "../_helpers.ts";
import { linesOf, peerEnv, startUpstreamLab, type UpstreamLab } from "./_lab.ts";
import { upstreamPeer } from "./_peer.ts";

// each test starts a controller, exporters and Python clients: seconds apiece on two cores
fileDeadline(import.meta.url, 180_000);

const SHELL_MS = 90_000;

function printed(result: RunResult): string {
  return result.stdout + result.stderr;
}

/** `jmp shell -l board=BOARD -- sh -c 'echo ran >> LOG'` with a client config. */
function shellArgs(clientConfig: string, board: string, log: string): string[] {
  return [
    "shell",
    "--client-config",
    clientConfig,
    "-l",
    `board=${board}`,
    "--",
    "sh",
    "-c",
    `echo ran >> ${log}`,
  ];
}

/** Upstream HEAD's `jmp shell` (see {@linkcode shellArgs}) against the lab, to its end. */
async function headShell(
  lab: UpstreamLab,
  board: string,
  log: string,
): Promise<RunResult> {
  const head = upstreamPeer("head");
  const client = await lab.client(`client-${board}`);
  const result = await run(head.jmp, shellArgs(client, board, log), {
    ...peerEnv(head),
    timeoutMs: SHELL_MS,
  });
  assert.ok(!result.timedOut, `jmp shell hung: ${describe(result)}`);
  assert.doesNotMatch(printed(result), /unreachable/, describe(result));
  return result;
}

const failing = (code: number, onFailure: string) => ({
  script: `exit ${code}`,
  timeout: 30,
  onFailure,
});

Deno.test("beforeLease hook failing with onFailure: endLease stops the shell before CMD", async () => {
  await using lab = await startUpstreamLab();
  const log = `${lab.dir}/ran.log`;
  // The hook fails only once HEAD's client has dialled: as upstream's, our exporter holds that
  // connection until the hook ends, then releases the lease 1 s later; a hook failing before the
  // Dial leaves the client refused (*_FAILED is not dialable) and racing that release.
  const gate = `${lab.dir}/fail-now`;
  const exporter = await lab.ourExporter("bench", ["board=endlease"], {
    hooks: {
      beforeLease: {
        script: `while [ ! -e ${gate} ]; do sleep 0.05; done; exit 3`,
        timeout: 60,
        onFailure: "endLease",
      },
    },
  });
  const head = upstreamPeer("head");
  await using shell = spawnProgram(head.jmp, [
    ...shellArgs(await lab.client("client-endlease"), "endlease", log),
  ], peerEnv(head));
  await until("our exporter to hold HEAD's connection during the hook", () => {
    const { stdout, stderr } = exporter.process.printed();
    return Promise.resolve((stdout + stderr).includes("Connection held until beforeLease ends"));
  }, SHELL_MS).catch((error) => {
    throw new Error(`${error.message}; the client printed: ${JSON.stringify(shell.printed())}`);
  });
  await Deno.writeTextFile(gate, "");
  const result = await shell.wait(SHELL_MS);
  assert.notEqual(result.code, 0, describe(result));
  assert.match(
    printed(result),
    /beforeLease hook failed \(on_failure=endLease\): Hook failed with exit code 3/,
    describe(result),
  );
  assert.doesNotMatch(printed(result), /unreachable/, describe(result));
  assert.deepEqual(await linesOf(log), [], "CMD must not run");
  await until("the exporter to be AVAILABLE again", async () => {
    return await lab.status("bench") === "AVAILABLE";
  });
});

Deno.test("afterLease hook failing with onFailure: endLease is reported after CMD ran once", async () => {
  await using lab = await startUpstreamLab();
  const log = `${lab.dir}/ran.log`;
  await lab.ourExporter("bench", ["board=afterfail"], {
    hooks: { afterLease: failing(4, "endLease") },
  });
  const result = await headShell(lab, "afterfail", log);
  assert.deepEqual(await linesOf(log), ["ran"], describe(result));
  assert.match(
    printed(result),
    /afterLease hook failed \(on_failure=endLease\): Hook failed with exit code 4/,
    describe(result),
  );
  await until("the exporter to be AVAILABLE again", async () => {
    return await lab.status("bench") === "AVAILABLE";
  });
  assert.deepEqual(await getLeases(await lab.client("observer2")), []);
});

Deno.test("hooks failing with onFailure: warn show upstream's warnings and the lease goes on", async () => {
  await using lab = await startUpstreamLab();
  const log = `${lab.dir}/ran.log`;
  await lab.ourExporter("bench", ["board=warned"], {
    hooks: { beforeLease: failing(5, "warn"), afterLease: failing(6, "warn") },
  });
  const result = await headShell(lab, "warned", log);
  assert.equal(result.code, 0, describe(result));
  assert.deepEqual(await linesOf(log), ["ran"]);
  const text = printed(result);
  assert.match(text, /Warning: beforeLease hook warning: Hook failed with exit code 5/, text);
  assert.match(text, /Warning: afterLease hook warning: Hook failed with exit code 6/, text);
  assert.equal(await lab.status("bench"), "AVAILABLE");
});

Deno.test("afterLease hook failing with onFailure: exit takes our exporter offline, exit code 1", async () => {
  // through a lease the shell did not create: upstream's client never calls EndSession for it, so
  // the hook runs when the lease is deleted (after EndSession, HEAD's client would wait 300 s for
  // an AVAILABLE that an exporter going OFFLINE never reports, with upstream's exporter too)
  const head = upstreamPeer("head");
  await using lab = await startUpstreamLab();
  const log = `${lab.dir}/ran.log`;
  const exporter = await lab.ourExporter("bench", ["board=exiting"], {
    hooks: { afterLease: failing(7, "exit") },
  });
  const client = await lab.client("alice");
  const jmp = (command: string, args: string[]) =>
    run(head.jmp, [...command.split(" "), "--client-config", client, ...args], {
      ...peerEnv(head),
      timeoutMs: SHELL_MS,
    });
  const created = await jmp("create lease", [
    "-l",
    "board=exiting",
    "--duration",
    "5m",
    "-o",
    "name",
  ]);
  assert.equal(created.code, 0, describe(created));
  const name = created.stdout.trim();
  const shell = await jmp("shell", ["--lease", name, "--", "sh", "-c", `echo ran >> ${log}`]);
  assert.equal(shell.code, 0, describe(shell));
  assert.deepEqual(await linesOf(log), ["ran"]);
  const deleted = await jmp("delete leases", [name]);
  assert.equal(deleted.code, 0, describe(deleted));
  const exited = await exporter.process.wait(30_000);
  assert.equal(exited.code, 1, `jmp run: ${describe(exited)}`);
  assert.match(exited.stderr, /afterLease hook failed: Hook failed with exit code 7/);
  assert.equal(await lab.status("bench"), "OFFLINE");
});
