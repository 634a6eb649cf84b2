import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import {
  clientRegistryOf,
  type DriverClient,
  openExporter,
  UNSAFE_POLICY,
} from "@jumpstarter/lib/client";
import { spawnProgram } from "../../tests/_background.ts";
import { DENO_CONFIG } from "../../tests/_process.ts";
import { eventually } from "@jumpstarter/lib/testing";

const REACHING_EXPORTER = fileURLToPath(
  new URL("./testdata/reaching_exporter.ts", import.meta.url),
);
const TIMEOUT_MS = 30_000;

/** `lab.yaml` in `dir`: a MockPower and a Reacher. */
async function writeConfig(dir: string): Promise<string> {
  const config = `${dir}/lab.yaml`;
  await Deno.writeTextFile(
    config,
    "apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterConfig\nexport:\n" +
      "  power:\n    type: MockPower\n  reach:\n    type: Reacher\n",
  );
  return config;
}

/** The reaching exporter started with -A and `args`; the client tree of its session. */
async function startReaching(config: string, args: string[] = []) {
  const exporter = spawnProgram(
    Deno.execPath(),
    [
      "run",
      "-A",
      "--quiet",
      "--config",
      DENO_CONFIG,
      REACHING_EXPORTER,
      "--exporter-config",
      config,
      ...args,
    ],
    { timeoutMs: TIMEOUT_MS, env: { SECRET_TOKEN: "s3cret" } },
  );
  const session = await openExporter(await exporter.firstLine, {
    registry: clientRegistryOf([]),
    policy: UNSAFE_POLICY,
  });
  const child = (name: string) => session.root.children.get(name) as DriverClient;
  return {
    exporter,
    reach: child("reach"),
    power: child("power"),
    async [Symbol.asyncDispose]() {
      session.close();
      await exporter[Symbol.asyncDispose]();
    },
  };
}

/** The refusal `call` ends with (its message), failing when it succeeds. */
async function refusal(call: Promise<unknown>): Promise<string> {
  const outcome = await call.then((value) => ({ value }), (error: Error) => ({ error }));
  if ("value" in outcome) assert.fail(`expected a refusal, got ${JSON.stringify(outcome.value)}`);
  return outcome.error.message;
}

Deno.test("a confined exporter refuses a driver reaching outside its grants, naming both, and serves on", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-confined-" });
  const outside = await Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const secret = `${dir}/secret.txt`;
    await Deno.writeTextFile(secret, "not yours");
    // started with -A: it must start itself again under the config's grants
    await using lab = await startReaching(await writeConfig(dir));
    const { reach } = lab;
    const port = (outside.addr as Deno.NetAddr).port;
    const refused: [string, string][] = [
      [await refusal(reach.call("readFile", secret)), `read access to "${secret}"`],
      [
        await refusal(reach.call("connect", "127.0.0.1", port)),
        `net access to "127.0.0.1:${port}"`,
      ],
      [await refusal(reach.call("runCommand", "true")), `run access to "true"`],
    ];
    for (const [message, permission] of refused) {
      assert.ok(
        message.includes(`Driver "reach" (Reacher) was refused ${permission}: outside`),
        `expected the refusal to name the driver and ${permission}, got: ${message}`,
      );
      assert.ok(!message.includes("\n"), `expected one line, got: ${message}`);
    }
    // the shell's other variables did not come along
    assert.equal(await reach.call("variable", "SECRET_TOKEN"), null);
    // a refusal after the call returned is logged, not the end of the exporter
    assert.equal(await reach.call("sendLater", port), "queued");
    await eventually(
      "the exporter to log the refusal outside a call",
      () =>
        /Refused net access to "0\.0\.0\.0:0" outside a driver call/.test(
          lab.exporter.printed().stderr,
        ) || undefined,
      { timeoutMs: TIMEOUT_MS, describe: () => lab.exporter.printed().stderr },
    );
    // still serving, its other drivers too
    await lab.power.call("on");
    assert.equal(await reach.call("readFile", secret).catch(() => "refused"), "refused");
    await lab.exporter.stop("SIGTERM");
  } finally {
    outside.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--unconfined serves with the permissions it was started with", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-unconfined-" });
  try {
    const secret = `${dir}/secret.txt`;
    await Deno.writeTextFile(secret, "yours after all");
    await using lab = await startReaching(await writeConfig(dir), ["--unconfined"]);
    assert.equal(await lab.reach.call("readFile", secret), "yours after all");
    assert.equal(await lab.reach.call("variable", "SECRET_TOKEN"), "s3cret");
    await lab.exporter.stop("SIGTERM");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a confined exporter ends soon after the process that started it is killed with SIGKILL", async () => {
  const dir = await Deno.makeTempDir({ prefix: "jmp-orphan-" });
  // not in a process group of its own: the test harness kills a whole group, this is one process
  const parent = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--quiet",
      "--config",
      DENO_CONFIG,
      REACHING_EXPORTER,
      "--exporter-config",
      await writeConfig(dir),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
    signal: AbortSignal.timeout(TIMEOUT_MS),
  }).spawn();
  let child: number | undefined;
  try {
    const lines = parent.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const { value: first } = await lines.read();
    lines.releaseLock();
    const socket = first!.split("\n")[0]!;
    {
      using session = await openExporter(socket, {
        registry: clientRegistryOf([]),
        policy: UNSAFE_POLICY,
      });
      child = Number(await (session.root.children.get("reach") as DriverClient).call("pid"));
    }
    assert.notEqual(child, parent.pid, "expected a confined child process");
    parent.kill("SIGKILL");
    await parent.status;
    await eventually(
      "the confined exporter to exit and remove its socket directory",
      async () => {
        const gone = await Deno.stat(socket).then(() => false, () => true);
        return (gone && !(await isAlive(child!))) || undefined;
      },
      {
        timeoutMs: TIMEOUT_MS,
        describe: async () => `child ${child} alive: ${await isAlive(child!)}`,
      },
    );
  } finally {
    if (child !== undefined && await isAlive(child)) Deno.kill(child, "SIGKILL");
    await parent.stdout.cancel().catch(() => {});
    await parent.status;
    await Deno.remove(dir, { recursive: true });
  }
});

/** Whether process `pid` still runs (not a zombie). */
async function isAlive(pid: number): Promise<boolean> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`).catch(() => "");
  return status !== "" && !/^State:\s+Z/m.test(status);
}
