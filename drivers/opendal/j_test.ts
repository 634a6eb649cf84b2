/**
 * The real `j`, inside `jmp shell` on an exporter config with an Opendal `fs` storage, a
 * MockFlasher, and Tftp/HttpServer with their `storage` children: upstream's command words, with
 * the results checked on disk.
 */
import assert from "node:assert/strict";
import { randomBytes, withDeadline } from "@jumpstarter/lib/testing";
import { jmp } from "../../tests/_process.ts";
import { tempDir } from "./_testing/fs.ts";

/** Runs `jmp shell --exporter-config CONFIG -- sh -c SCRIPT` in `dir` (with `$DIR` set to it). */
function jmpShell(config: string, script: string, dir: string, timeoutMs = 225_000) {
  return jmp(["shell", "--exporter-config", config, "--", "sh", "-c", script], {
    cwd: dir,
    env: { DIR: dir },
    timeoutMs,
  });
}

// about 25 `j` processes, each a Deno start: slow on a busy machine
Deno.test(
  "j drives Opendal, MockFlasher and the storage of Tftp/HttpServer",
  withDeadline(240_000, async () => {
    await using dir = await tempDir();
    await Deno.writeFile(dir.join("image.bin"), randomBytes(1024 * 1024 + 1));
    await Deno.writeFile(dir.join("boot.img"), randomBytes(100_000));
    await Deno.writeFile(dir.join("root.img"), randomBytes(200_000));
    const gzip = await new Deno.Command("gzip", { args: ["-k", dir.join("boot.img")] }).output();
    assert.ok(gzip.success, "gzip -k boot.img");
    const config = dir.join("exporter.yaml");
    await Deno.writeTextFile(
      config,
      `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
metadata: { namespace: default, name: opendal-j-test }
endpoint: ""
token: ""
export:
  storage:
    type: jumpstarter_driver_opendal.driver.Opendal
    config: { scheme: fs, kwargs: { root: ${JSON.stringify(dir.join("root"))} } }
  flasher:
    type: jumpstarter_driver_opendal.driver.MockFlasher
  tftp:
    type: jumpstarter_driver_tftp.driver.Tftp
    config: { root_dir: ${JSON.stringify(dir.join("tftp"))}, host: 127.0.0.1, port: 0 }
  http:
    type: jumpstarter_driver_http.driver.HttpServer
    config: { root_dir: ${JSON.stringify(dir.join("www"))}, host: 127.0.0.1, port: 0 }
`,
    );
    const script = `set -e
printf hello | j storage write-bytes a/hello.txt
echo "read=$(j storage read-bytes a/hello.txt)"
j storage write-from-path b/image.bin "$DIR/image.bin"
j storage read-into-path b/image.bin "$DIR/back.bin"
cmp "$DIR/image.bin" "$DIR/back.bin"
j storage stat a/hello.txt
j storage hash a/hello.txt --algo md5
j storage copy a/hello.txt c.txt
j storage rename c.txt d.txt
j storage exists d.txt
if j storage exists c.txt; then exit 9; fi
j storage create-dir x/y/
echo "list:" $(j storage list / | sort)
echo "scan:" $(j storage scan x/ | sort)
j storage delete d.txt
j storage remove-all x/
j storage capability > "$DIR/capability.json"
if j storage read-bytes missing.txt; then exit 10; fi
if j storage read-bytes ../image.bin; then exit 11; fi
j flasher flash -t boot:"$DIR/boot.img" -t root:"$DIR/root.img"
j flasher dump "$DIR/root.out" --target root
cmp "$DIR/root.img" "$DIR/root.out"
j flasher flash "$DIR/boot.img.gz" --compression gzip
j flasher dump "$DIR/default.out"
cmp "$DIR/boot.img" "$DIR/default.out"
j tftp storage write-from-path boot/kernel "$DIR/image.bin"
j http storage write-from-path disk.img "$DIR/image.bin"
echo done
`;
    const ran = await jmpShell(config, script, dir.path);
    assert.equal(ran.code, 0, `jmp shell failed (${ran.code}):\n${ran.stdout}\n${ran.stderr}`);
    const out = ran.stdout;
    assert.match(out, /^read=hello$/m);
    assert.match(out, /"content_length": 5,/);
    assert.match(out, /"is_file": true/);
    assert.match(out, /^5d41402abc4b2a76b9719d911017c592$/m);
    assert.match(out, /^list: \/ a\/ b\/ d\.txt x\/$/m);
    assert.match(out, /^scan: x\/ x\/y\/$/m);
    assert.match(out, /^done$/m);
    const capability = JSON.parse(await Deno.readTextFile(dir.join("capability.json")));
    assert.equal(capability.copy, true);
    assert.equal(capability.presign_read, false);

    // each failure is one line on stderr, no stack trace
    const errors = ran.stderr.split("\n").filter((line) => line.trim() !== "");
    assert.ok(
      errors.some((line) =>
        /Cannot open for reading "missing\.txt" in fs:\S+: entity not found.*\(NotFound\)$/.test(
          line,
        )
      ),
      ran.stderr,
    );
    assert.ok(
      errors.some((line) =>
        /Invalid path "\.\.\/image\.bin": it leads out of the fs root/.test(line)
      ),
      ran.stderr,
    );
    assert.ok(!/\n\s+at /.test(ran.stderr), `a stack trace on stderr:\n${ran.stderr}`);

    assert.deepEqual(
      await Deno.readFile(dir.join("tftp/boot/kernel")),
      await Deno.readFile(dir.join("image.bin")),
    );
    assert.deepEqual(
      await Deno.readFile(dir.join("www/disk.img")),
      await Deno.readFile(dir.join("image.bin")),
    );
    assert.equal(await Deno.readTextFile(dir.join("root/a/hello.txt")), "hello");
  }),
);

Deno.test(
  "jmp shell refuses a bad Opendal config in one line naming the file, line and field",
  withDeadline(120_000, async () => {
    await using dir = await tempDir();
    const cases = [
      { config: "{ scheme: nosuch, kwargs: { root: /tmp } }", says: /scheme "nosuch": scheme/ },
      { config: "{ scheme: fs, kwargs: {} }", says: /scheme "fs": root is not specified/ },
      {
        config: "{ scheme: fs, kwargs: { root: 5 } }",
        says: /kwargs values must be strings at export\.storage\.config\.kwargs\.root/,
      },
    ];
    await Promise.all(cases.map(async ({ config, says }, index) => {
      const file = dir.join(`bad-${index}.yaml`);
      await Deno.writeTextFile(
        file,
        `apiVersion: jumpstarter.dev/v1alpha1
kind: ExporterConfig
export:
  storage:
    type: jumpstarter_driver_opendal.driver.Opendal
    config: ${config}
`,
      );
      const ran = await jmpShell(file, "echo shell started", dir.path, 100_000);
      const what = `config ${config}: exit ${ran.code}\n${ran.stdout}${ran.stderr}`;
      assert.equal(ran.code, 1, what);
      assert.doesNotMatch(ran.stdout, /shell started/, what);
      const lines = ran.stderr.split("\n").filter((line) => line.trim() !== "");
      assert.equal(lines.length, 1, what);
      assert.ok(lines[0]!.startsWith(`Error: ${file}:`), what);
      assert.match(lines[0]!, /\.yaml:\d+:\d+: /, what);
      assert.match(lines[0]!, says, what);
    }));
  }),
);
