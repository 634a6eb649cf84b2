/**
 * Issue 9 item 11, lease commands: every upstream HEAD flag of `jmp create|update|get|delete
 * lease(s)` and `jmp get exporters --with`, run as a command against our controller and checked
 * by its effect.
 */
import assert from "node:assert/strict";
import { fileDeadline } from "@jumpstarter/lib/testing";
import { assertExit, assertOutput, describe, jmp, spawnJmp, tempDir } from "./_helpers.ts";
import { makeClient, makeExporter, startController, untilExporter } from "./_distributed.ts";

interface LeaseJson {
  name: string;
  client: string | null;
  exporter: string | null;
  beginTime: string | null;
  tags: Record<string, string>;
  context: Record<string, string>;
  allowDisabled: boolean;
  conditions: { type: string; status: string }[];
}

const SLOW = { timeoutMs: 60_000 };

async function leasesOf(client: string, ...flags: string[]): Promise<LeaseJson[]> {
  const result = await jmp(
    ["get", "leases", "--client-config", client, "-o", "json", ...flags],
    SLOW,
  );
  assertExit(result, 0);
  return JSON.parse(result.stdout) as LeaseJson[];
}

function names(leases: LeaseJson[]): string[] {
  return leases.map((lease) => lease.name).sort();
}

/** An hour from now (whole seconds), in the local time without an offset, as users type it. */
function localIn(hours: number): { text: string; iso: string } {
  const date = new Date(Math.floor(Date.now() / 1000) * 1000 + hours * 3600_000);
  const pad = (n: number) => String(n).padStart(2, "0");
  const text = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  return { text, iso: date.toISOString().replace(/\.\d+Z$/, "Z") };
}

// many subprocesses in a row: 115 s on a busy two-core machine
fileDeadline(import.meta.url, 300_000);

Deno.test("jmp lease commands: every HEAD flag has its effect", async (t) => {
  await using dir = await tempDir();
  const controller = await startController(`${dir.path}/controller`);
  const exporterConfig = await makeExporter(controller.adminConfig, dir.path, "bench1", [
    "board=virt",
  ]);
  const alice = await makeClient(controller.adminConfig, dir.path, "alice");
  const bob = await makeClient(controller.adminConfig, dir.path, "bob");
  await using exporter = spawnJmp(["run", "--exporter-config", exporterConfig]);
  try {
    await untilExporter(alice, "bench1");
    const later = localIn(1);
    let scheduled = "";

    await t.step(
      "create lease --begin-time --tag --context schedules it with both maps",
      async () => {
        const result = await jmp([
          "create",
          "lease",
          "--client-config",
          alice,
          "-n",
          "bench1",
          "--duration",
          "10m",
          "--begin-time",
          later.text,
          "--tag",
          "build=42",
          "--tag",
          "team=qa",
          "--context",
          "ci=job-7",
          "-o",
          "json",
        ], SLOW);
        assertExit(result, 0);
        const [lease] = JSON.parse(result.stdout) as LeaseJson[];
        assert.ok(lease, describe(result));
        scheduled = lease.name;
        assert.equal(lease.beginTime, later.iso, "naive --begin-time is local time");
        assert.deepEqual(lease.tags, { build: "42", team: "qa" });
        assert.deepEqual(lease.context, { ci: "job-7" });
        assert.equal(lease.exporter, null, "a lease that begins in an hour holds nothing yet");
        assert.equal(lease.allowDisabled, false);
      },
    );

    await t.step(
      "bad --tag, --context and --begin-time are usage errors naming the flag",
      async () => {
        for (
          const [flag, value] of [["--tag", "novalue"], ["--context", "=x"], [
            "--begin-time",
            "tomorrow",
          ]]
        ) {
          const result = await jmp([
            "create",
            "lease",
            "--client-config",
            alice,
            "-l",
            "board=virt",
            flag!,
            value!,
          ]);
          assertExit(result, 2);
          assertOutput(result, "stderr", `Invalid value for '${flag}'`);
        }
      },
    );

    await t.step(
      "create lease --allow-disabled reaches the controller (with -n only)",
      async () => {
        const args = [
          "create",
          "lease",
          "--client-config",
          alice,
          "--allow-disabled",
          "-o",
          "json",
        ];
        const withoutName = await jmp([...args, "-l", "board=virt"]);
        assertExit(withoutName, 2);
        assertOutput(withoutName, "stderr", "--allow-disabled needs --name/-n");
        const result = await jmp([...args, "-n", "bench1", "--begin-time", later.text], SLOW);
        assertExit(result, 0);
        const [lease] = JSON.parse(result.stdout) as LeaseJson[];
        assert.equal(lease!.allowDisabled, true, describe(result));
        assertExit(await jmp(["delete", "leases", "--client-config", alice, lease!.name], SLOW), 0);
      },
    );

    await t.step("get leases --tag-filter selects by tag", async () => {
      assert.deepEqual(names(await leasesOf(alice, "--tag-filter", "build=42")), [scheduled]);
      assert.deepEqual(names(await leasesOf(alice, "--tag-filter", "build=43")), []);
    });

    await t.step("update lease --begin-time moves the scheduled begin", async () => {
      const evenLater = localIn(2);
      const result = await jmp([
        "update",
        "lease",
        scheduled,
        "--client-config",
        alice,
        "--begin-time",
        evenLater.text,
        "-o",
        "json",
      ], SLOW);
      assertExit(result, 0);
      assert.equal((JSON.parse(result.stdout) as LeaseJson[])[0]!.beginTime, evenLater.iso);
      // the table: upstream HEAD's columns (then our STATUS); it ends 10 minutes after the begin
      const table = await jmp(["get", "leases", "--client-config", alice], SLOW);
      assertExit(table, 0);
      const [header, row] = table.stdout.trimEnd().split("\n");
      assert.deepEqual(header!.split(/\s{2,}/), [
        "NAME",
        "SELECTOR",
        "EXPIRES AT",
        "REMAINING",
        "CLIENT",
        "EXPORTER",
        "TAGS",
        "STATUS",
      ]);
      const end = new Date(Date.parse(evenLater.iso) + 600_000).toISOString();
      assert.ok(row!.includes(`${end.slice(0, 10)} ${end.slice(11, 19)}`), describe(table));
      assert.match(row!, / 2h (9|10)m /, describe(table));
    });

    await t.step("update lease without a change is a usage error", async () => {
      const result = await jmp(["update", "lease", scheduled, "--client-config", alice]);
      assertExit(result, 2);
      assertOutput(result, "stderr", "At least one of --duration, --begin-time, or --to-client");
    });

    await t.step("update lease --to-client hands it to bob; -A shows it to alice", async () => {
      const result = await jmp([
        "update",
        "lease",
        scheduled,
        "--client-config",
        alice,
        "--to-client",
        "bob",
        "-o",
        "json",
      ], SLOW);
      assertExit(result, 0);
      assert.equal((JSON.parse(result.stdout) as LeaseJson[])[0]!.client, "bob");
      assert.deepEqual(names(await leasesOf(bob)), [scheduled]);
      assert.deepEqual(names(await leasesOf(alice)), []);
      assert.deepEqual(names(await leasesOf(alice, "-A")), [scheduled]);
      const stranger = await jmp([
        "update",
        "lease",
        scheduled,
        "--client-config",
        alice,
        "--to-client",
        "nobody",
      ]);
      assertExit(stranger, 1);
      assertOutput(stranger, "stderr", "permission denied");
    });

    await t.step("delete leases -A tries every client's lease (refused for others')", async () => {
      const result = await jmp(["delete", "leases", "--client-config", alice, "-A"], SLOW);
      assertExit(result, 1);
      assertOutput(result, "stderr", "permission denied");
      assert.deepEqual(names(await leasesOf(bob)), [scheduled], "bob's lease stays");
    });

    await t.step(
      "delete leases -l releases the matching ones; get leases -a still shows it",
      async () => {
        const result = await jmp(
          ["delete", "leases", "--client-config", bob, "-l", "team=qa"],
          SLOW,
        );
        assertExit(result, 0);
        assert.equal(result.stdout, `lease "${scheduled}" deleted\n`);
        assert.deepEqual(names(await leasesOf(bob)), []);
        assert.deepEqual(names(await leasesOf(bob, "-a")), [scheduled]);
        const none = await jmp(["delete", "leases", "--client-config", bob, "-a"], SLOW);
        assertExit(none, 1);
        assertOutput(none, "stderr", "no leases found matching the criteria");
      },
    );

    await t.step(
      "get exporters --with leases,online,status shows who holds the board",
      async () => {
        const created = await jmp([
          "create",
          "lease",
          "--client-config",
          alice,
          "-l",
          "board=virt",
          "--duration",
          "5m",
          "-o",
          "name",
        ], SLOW);
        assertExit(created, 0);
        await untilExporter(alice, "bench1", "LEASE_READY");
        const result = await jmp([
          "get",
          "exporters",
          "--client-config",
          alice,
          "--with",
          "leases,ONLINE",
          "--with",
          "status",
        ], SLOW);
        assertExit(result, 0);
        const [header, row] = result.stdout.trimEnd().split("\n");
        assert.deepEqual(header!.split(/\s{2,}/), [
          "NAME",
          "ONLINE",
          "STATUS",
          "LABELS",
          "LEASED BY",
          "LEASE STATUS",
          "RELEASE TIME",
        ], describe(result));
        const cells = row!.split(/\s{2,}/);
        assert.deepEqual(cells.slice(0, 6), [
          "bench1",
          "yes",
          "LeaseReady",
          "board=virt,jumpstarter.dev/name=bench1",
          "alice",
          "In-Use",
        ], describe(result));
        assert.match(cells[6] ?? "", /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
        const bad = await jmp(["get", "exporters", "--client-config", alice, "--with", "bogus"]);
        assertExit(bad, 2);
        assertOutput(
          bad,
          "stderr",
          "Invalid value(s) ['bogus']. Allowed values are: leases, online, status",
        );
        // -a on delete releases all of alice's
        const released = await jmp([
          "delete",
          "leases",
          "--client-config",
          alice,
          "-a",
          "-o",
          "name",
        ], SLOW);
        assertExit(released, 0);
        assert.equal(released.stdout.trim(), created.stdout.trim());
        await untilExporter(alice, "bench1");
      },
    );
  } finally {
    await exporter.stop("SIGTERM", 20_000);
    await controller.stop();
  }
});
