/**
 * Issue 16 item 1: the TFTP and HTTP file servers served by an exporter running under exactly the
 * grants `jmp-exporter permissions` prints (read and write of the root, the address, `sys` uid; no
 * `-A`), driven by real clients: `j` puts and deletes, tftp-hpa and curl fetch. An escape through
 * a symlink to a file outside the root, or through a symlinked directory, is refused, and the
 * outside file is neither served nor deleted.
 */
import assert from "node:assert/strict";
import { jmp, type RunResult } from "./_process.ts";
import { type BackgroundJmp } from "./_background.ts";
import { granted, printedPermissions, spawnUnderPrinted } from "./_permissions.ts";
import { run, tftpHpaGet } from "../drivers/tftp/_testing/tftp.ts";
import { freePort, freeUdpPort, randomBytes } from "@jumpstarter/lib/testing";

const TIMEOUT_MS = 30_000;
const SECRET = "SECRET outside the root";

/** A root with links out of it (`leak` to a file, `dirlink` to a directory) and the outside. */
async function rootWithLinksOut(dir: string): Promise<{ root: string; outside: string }> {
  const root = `${dir}/root`;
  const outside = `${dir}/outside`;
  await Deno.mkdir(root);
  await Deno.mkdir(outside);
  await Deno.writeTextFile(`${outside}/secret`, SECRET);
  await Deno.symlink(`${outside}/secret`, `${root}/leak`);
  await Deno.symlink(outside, `${root}/dirlink`);
  return { root, outside };
}

/** Serves `entry` under exactly its printed grants; `j` runs against it. */
async function serveConfined(dir: string, entry: string, outside: string) {
  const config = `${dir}/lab.yaml`;
  await Deno.writeTextFile(
    config,
    `apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterConfig\nexport:\n${entry}`,
  );
  const printed = await printedPermissions(config, ["--socket-dir", `${dir}/run`]);
  assert.ok(granted(printed, "sys").includes("uid"), printed.flags.join(" "));
  for (const name of ["read", "write"]) {
    assert.ok(
      granted(printed, name).includes(`${dir}/root`),
      `${name}: ${printed.flags.join(" ")}`,
    );
    const wider = granted(printed, name).filter((path) => outside.startsWith(path));
    assert.deepEqual(wider, [], `${name} covers the outside: ${printed.flags.join(" ")}`);
  }
  const exporter = spawnUnderPrinted(config, printed);
  const env = { JUMPSTARTER_HOST: await exporter.firstLine, JMP_DRIVERS_ALLOW: "UNSAFE" };
  const j = async (...args: string[]): Promise<RunResult> =>
    await jmp(["j", ...args], { timeoutMs: TIMEOUT_MS, env });
  return { exporter, j };
}

/** What `withServer` hands its body. */
interface ServerLab {
  dir: string;
  outside: string;
  exporter: BackgroundJmp;
  j: (...args: string[]) => Promise<RunResult>;
}

/**
 * Runs `body` with the file server `name` (driver `type`, on `port`) started by `j NAME start`
 * on a root with links out, served under exactly its printed grants in a temporary directory;
 * then stops the exporter, which must not have been refused anything.
 */
async function withServer(
  name: "tftp" | "http",
  type: string,
  port: number,
  body: (lab: ServerLab) => Promise<void>,
): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: `jmp-confined-${name}-` }));
  try {
    const { root, outside } = await rootWithLinksOut(dir);
    const { exporter, j } = await serveConfined(
      dir,
      `  ${name}:\n    type: ${type}\n    config: { root_dir: ${root}, host: 127.0.0.1, port: ${port} }\n`,
      outside,
    );
    await using _ = exporter;
    const started = await j(name, "start");
    assert.equal(started.code, 0, shown(`j ${name} start`, started, exporter));

    await body({ dir, outside, exporter, j });

    const stopped = await exporter.stop("SIGTERM");
    assert.doesNotMatch(stopped.stderr, /NotCapable|PERMISSION_DENIED|was refused/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function shown(
  what: string,
  result: RunResult | { code: number; stderr: string },
  exporter: BackgroundJmp,
): string {
  return `${what}: exit ${result.code}, ${result.stderr}\nexporter: ${exporter.printed().stderr}`;
}

Deno.test("TFTP under exactly its printed grants: j puts and deletes, tftp-hpa gets, links out are refused", async () => {
  const port = freeUdpPort();
  await withServer("tftp", "Tftp", port, async ({ dir, outside, exporter, j }) => {
    const image = randomBytes(200_000);
    await Deno.writeFile(`${dir}/Image`, image);
    const put = await j("tftp", "put", `${dir}/Image`, "-n", "boot/Image");
    assert.equal(put.code, 0, shown("j tftp put", put, exporter));
    const got = await tftpHpaGet(port, "boot/Image", `${dir}/got`);
    assert.equal(got.code, 0, shown("tftp get boot/Image", got, exporter));
    assert.deepEqual(await Deno.readFile(`${dir}/got`), image);

    for (const escape of ["leak", "dirlink/secret"]) {
      const refused = await tftpHpaGet(port, escape, `${dir}/escaped`);
      const fetched = await Deno.readTextFile(`${dir}/escaped`).catch(() => "");
      assert.ok(!fetched.includes("SECRET"), `tftp get ${escape} served the outside file`);
      const said = refused.stdout + refused.stderr;
      assert.match(said, /Error code 2: Access violation/, `tftp get ${escape}: ${said}`);
    }

    const deleted = await j("tftp", "delete", "boot/Image");
    assert.equal(deleted.code, 0, shown("j tftp delete", deleted, exporter));
    const gone = await tftpHpaGet(port, "boot/Image", `${dir}/gone`);
    const said = gone.stdout + gone.stderr;
    assert.match(said, /Error code 1: File not found/, `tftp get boot/Image once deleted: ${said}`);
    const out = await j("tftp", "delete", "dirlink/secret");
    assert.notEqual(out.code, 0, `j tftp delete dirlink/secret succeeded: ${out.stdout}`);
    assert.match(out.stderr, /outside the TFTP root/);
    assert.equal(await Deno.readTextFile(`${outside}/secret`), SECRET);
  });
});

Deno.test("HttpServer under exactly its printed grants: j puts and deletes, curl gets, links out are refused", async () => {
  const port = freePort();
  await withServer("http", "HttpServer", port, async ({ dir, outside, exporter, j }) => {
    const kernel = randomBytes(300_000);
    await Deno.writeFile(`${dir}/kernel`, kernel);
    const put = await j("http", "put", `${dir}/kernel`, "-n", "boot/kernel");
    assert.equal(put.code, 0, shown("j http put", put, exporter));
    const url = `http://127.0.0.1:${port}`;
    assert.match(put.stdout, new RegExp(`${url}/boot/kernel`));
    const curl = (path: string, out: string) =>
      run("curl", ["--silent", "--path-as-is", "-o", out, "-w", "%{http_code}", `${url}/${path}`]);
    const got = await curl("boot/kernel", `${dir}/got`);
    assert.equal(got.stdout, "200", shown("curl boot/kernel", got, exporter));
    assert.deepEqual(await Deno.readFile(`${dir}/got`), kernel);

    for (const escape of ["leak", "dirlink/secret"]) {
      const refused = await curl(escape, `${dir}/escaped`);
      const body = await Deno.readTextFile(`${dir}/escaped`);
      assert.equal(refused.stdout, "403", `curl ${escape}: ${refused.stdout} ${body}`);
      assert.ok(!body.includes("SECRET"), `curl ${escape} got the outside file`);
    }

    const deleted = await j("http", "delete", "boot/kernel");
    assert.equal(deleted.code, 0, shown("j http delete", deleted, exporter));
    const gone = await curl("boot/kernel", `${dir}/gone`);
    assert.equal(gone.stdout, "404", `curl boot/kernel once deleted: ${gone.stdout}`);
    const out = await j("http", "delete", "dirlink/secret");
    assert.notEqual(out.code, 0, `j http delete dirlink/secret succeeded: ${out.stdout}`);
    assert.match(out.stderr, /leads out of the root/);
    assert.equal(await Deno.readTextFile(`${outside}/secret`), SECRET);
  });
});
