import assert from "node:assert/strict";
import { FileStore, JOURNAL_FILE, SNAPSHOT_FILE } from "./file_store.ts";
import { encodeHeader, encodeOp } from "./journal.ts";
import { client, exporter, lease } from "./testing.ts";
import { StoreCorruptError, StoreFailedError } from "./types.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "jmp-filestore-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function lines(path: string): Promise<string[]> {
  return (await Deno.readTextFile(path)).split("\n").filter((l) => l !== "");
}

Deno.test("FileStore: a reopened store has everything, including the sequence", async () => {
  await withDir(async (dir) => {
    const a = await FileStore.open(dir);
    await a.clients.put(client("alice"));
    await a.exporters.put(exporter("e1", { board: "rpi4" }));
    await a.leases.put(lease("l1", await a.nextSequence()));
    await a.leases.put(lease("l2", await a.nextSequence()));
    await a.leases.put({ ...lease("l1", 1), ended: true });
    await a.leases.delete("default", "l2");
    await a.close();

    const b = await FileStore.open(dir);
    try {
      assert.deepEqual(b.clients.list(), [client("alice")]);
      assert.deepEqual(b.exporters.get("default", "e1"), exporter("e1", { board: "rpi4" }));
      assert.deepEqual(b.leases.list(), [{ ...lease("l1", 1), ended: true }]);
      assert.equal(await b.nextSequence(), 3);
    } finally {
      await b.close();
    }
  });
});

Deno.test("FileStore: a write is in the journal (fsynced) when its promise resolves", async () => {
  await withDir(async (dir) => {
    const store = await FileStore.open(dir);
    try {
      await store.leases.put(lease("l1", 1));
      const journal = await lines(`${dir}/${JOURNAL_FILE}`);
      assert.deepEqual(JSON.parse(journal[0]!), { op: "journal", version: 1, generation: 0 });
      assert.deepEqual(JSON.parse(journal[1]!), {
        op: "put",
        collection: "leases",
        record: lease("l1", 1),
      });
      assert.equal(store.stats().syncs, 1);
    } finally {
      await store.close();
    }
  });
});

Deno.test("FileStore: concurrent writes share fsyncs and all land", async () => {
  await withDir(async (dir) => {
    const store = await FileStore.open(dir);
    await Promise.all(Array.from({ length: 200 }, (_, i) => store.leases.put(lease(`l${i}`, i))));
    assert.ok(store.stats().syncs < 10, `syncs: ${store.stats().syncs}`);
    assert.equal(store.leases.list().length, 200);
    // concurrent writes to one key: the last call wins
    await Promise.all([1, 2, 3].map((n) => store.leases.put(lease("same", n))));
    assert.equal(store.leases.get("default", "same")?.sequence, 3);
    await store.close();
    const again = await FileStore.open(dir);
    assert.equal(again.leases.list().length, 201);
    assert.equal(again.leases.get("default", "same")?.sequence, 3);
    await again.close();
  });
});

Deno.test("FileStore: a torn last line is dropped and cut off", async () => {
  await withDir(async (dir) => {
    const a = await FileStore.open(dir);
    await a.leases.put(lease("l1", 1));
    await a.leases.put(lease("l2", 2));
    await a.close();
    const path = `${dir}/${JOURNAL_FILE}`;
    const full = encodeOp({ op: "put", collection: "leases", record: lease("l3", 3) });
    await Deno.writeTextFile(path, full.slice(0, 25), { append: true }); // crash mid-append

    const b = await FileStore.open(dir);
    assert.deepEqual(b.leases.list().map((l) => l.name), ["l1", "l2"]);
    await b.leases.put(lease("l4", 4)); // appends after the cut, not onto the garbage
    await b.close();
    const c = await FileStore.open(dir);
    assert.deepEqual(c.leases.list().map((l) => l.name), ["l1", "l2", "l4"]);
    await c.close();
    for (const line of await lines(path)) JSON.parse(line);
  });
});

Deno.test("FileStore: a complete last line without its newline is kept", async () => {
  await withDir(async (dir) => {
    const a = await FileStore.open(dir);
    await a.close();
    const path = `${dir}/${JOURNAL_FILE}`;
    const line = encodeOp({ op: "put", collection: "leases", record: lease("l1", 1) });
    await Deno.writeTextFile(path, line.slice(0, -1), { append: true });
    const b = await FileStore.open(dir);
    await b.leases.put(lease("l2", 2));
    await b.close();
    const c = await FileStore.open(dir);
    assert.deepEqual(c.leases.list().map((l) => l.name), ["l1", "l2"]);
    await c.close();
  });
});

Deno.test("FileStore: damage before the last line is an error naming file and line", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/${JOURNAL_FILE}`;
    await Deno.writeTextFile(
      path,
      encodeHeader(0) +
        encodeOp({ op: "put", collection: "leases", record: lease("l1", 1) }) +
        '{"op":"put","collection":"leases","rec\n' +
        encodeOp({ op: "put", collection: "leases", record: lease("l2", 2) }),
    );
    const error = await FileStore.open(dir).then(
      () => assert.fail("opened a corrupt store"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof StoreCorruptError);
    assert.equal(error.file, path);
    assert.equal(error.line, 3);
    assert.match(error.message, new RegExp(`${JOURNAL_FILE}:3: unparseable journal line`));
    // the failed open released the lock and left the journal untouched
    await Deno.writeTextFile(path, encodeHeader(0));
    const ok = await FileStore.open(dir);
    await ok.close();
  });
});

Deno.test("FileStore: a well-formed line with a bad shape is corruption, even last", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/${JOURNAL_FILE}`,
      encodeHeader(0) + '{"op":"put","collection":"pods","record":{"namespace":"a","name":"b"}}\n',
    );
    await assert.rejects(() => FileStore.open(dir), /journal.jsonl:2: unknown collection "pods"/);
  });
});

Deno.test("FileStore: compaction folds the journal into a snapshot", async () => {
  await withDir(async (dir) => {
    const store = await FileStore.open(dir, { compactAfter: 10 });
    for (let i = 0; i < 25; i++) await store.leases.put(lease(`l${i}`, i));
    await store.leases.delete("default", "l0");
    const stats = store.stats();
    assert.equal(stats.compactions, 2);
    assert.equal(stats.generation, 2);
    assert.equal(stats.journalEntries, 6);
    const snapshot = JSON.parse(await Deno.readTextFile(`${dir}/${SNAPSHOT_FILE}`));
    assert.equal(snapshot.generation, 2);
    assert.equal(snapshot.leases.length, 20);
    const journal = await lines(`${dir}/${JOURNAL_FILE}`);
    assert.equal(journal.length, 7); // header + 6
    assert.deepEqual(JSON.parse(journal[0]!).generation, 2);
    const entries = [];
    for await (const e of Deno.readDir(dir)) entries.push(e.name);
    assert.deepEqual(entries.sort(), [JOURNAL_FILE, "lock", SNAPSHOT_FILE]);
    await store.close();

    const again = await FileStore.open(dir, { compactAfter: 10 });
    assert.equal(again.leases.list().length, 24);
    assert.equal(again.leases.get("default", "l0"), undefined);
    await again.compact();
    assert.equal(again.stats().journalEntries, 0);
    await again.close();
    const third = await FileStore.open(dir);
    assert.equal(third.leases.list().length, 24);
    await third.close();
  });
});

Deno.test("FileStore: a crash between snapshot and journal replacement loses nothing", async () => {
  await withDir(async (dir) => {
    const store = await FileStore.open(dir);
    await store.leases.put(lease("l1", 1));
    await store.leases.put(lease("l2", 2));
    const oldJournal = await Deno.readFile(`${dir}/${JOURNAL_FILE}`);
    await store.compact();
    await store.close();
    // Simulate the crash: the new snapshot is in place, the old journal still is too,
    // plus a leftover temp file.
    await Deno.writeFile(`${dir}/${JOURNAL_FILE}`, oldJournal);
    await Deno.writeTextFile(`${dir}/${JOURNAL_FILE}.tmp`, "partial");
    const again = await FileStore.open(dir);
    assert.deepEqual(again.leases.list().map((l) => l.name), ["l1", "l2"]);
    assert.equal(again.stats().journalEntries, 0);
    await again.leases.delete("default", "l1");
    await again.close();
    const third = await FileStore.open(dir);
    assert.deepEqual(third.leases.list().map((l) => l.name), ["l2"]);
    await third.close();
  });
});

Deno.test("FileStore: a journal newer than the snapshot is refused", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/${JOURNAL_FILE}`, encodeHeader(3));
    await assert.rejects(() => FileStore.open(dir), /generation 3 is newer/);
  });
});

Deno.test("FileStore: deleting a missing record writes nothing", async () => {
  await withDir(async (dir) => {
    const store = await FileStore.open(dir);
    assert.equal(await store.leases.delete("default", "nope"), false);
    assert.deepEqual(store.stats(), { journalEntries: 0, syncs: 0, compactions: 0, generation: 0 });
    await store.close();
  });
});

Deno.test("FileStore: a failed write stops the store; reopening recovers the durable state", async () => {
  await withDir(async (dir) => {
    const store = await FileStore.open(dir, { compactAfter: 3 });
    await store.leases.put(lease("l1", 1));
    await store.leases.put(lease("l2", 2));
    // make the compaction's temp file impossible to create
    await Deno.mkdir(`${dir}/${SNAPSHOT_FILE}.tmp/blocker`, { recursive: true });
    await store.leases.put(lease("l3", 3)); // durable, then the compaction fails
    await assert.rejects(() => store.leases.put(lease("l4", 4)), StoreFailedError);
    await assert.rejects(() => store.nextSequence(), /refuses more; reopen it/);
    await store.close();
    await Deno.remove(`${dir}/${SNAPSHOT_FILE}.tmp`, { recursive: true });
    const again = await FileStore.open(dir);
    assert.deepEqual(again.leases.list().map((l) => l.name), ["l1", "l2", "l3"]);
    await again.close();
  });
});

Deno.test("FileStore: an emptied journal is refused, not taken for a new store", async () => {
  await withDir(async (dir) => {
    const store = await FileStore.open(dir);
    await store.clients.put(client("alice"));
    await store.close();
    await Deno.writeTextFile(`${dir}/${JOURNAL_FILE}`, "");
    await assert.rejects(() => FileStore.open(dir), StoreCorruptError);
    await assert.rejects(
      () => FileStore.open(dir),
      new RegExp(`${JOURNAL_FILE}: empty \\(no journal header\\); refusing to start`),
    );
    // nothing was rewritten: the operator can still restore the file
    assert.equal(await Deno.readTextFile(`${dir}/${JOURNAL_FILE}`), "");
  });
});

Deno.test("FileStore: a journal missing next to its snapshot is refused", async () => {
  await withDir(async (dir) => {
    const store = await FileStore.open(dir, { compactAfter: 2 });
    for (let i = 0; i < 3; i++) await store.leases.put(lease(`l${i}`, i));
    await store.close();
    await Deno.remove(`${dir}/${JOURNAL_FILE}`);
    await assert.rejects(
      () => FileStore.open(dir),
      new RegExp(`${JOURNAL_FILE}: missing next to ${SNAPSHOT_FILE}; refusing to start`),
    );
  });
});

Deno.test("FileStore: lease waiters survive a reopen and compaction; a snapshot from before them loads", async () => {
  await withDir(async (dir) => {
    const store = await FileStore.open(dir);
    await store.waiters.put({ namespace: "default", name: "l1", patienceMs: 13_000 });
    await store.leases.put(lease("l1", 1));
    await store.compact();
    await store.close();
    const snapshot = JSON.parse(await Deno.readTextFile(`${dir}/${SNAPSHOT_FILE}`));
    assert.deepEqual(snapshot.waiters, [{ namespace: "default", name: "l1", patienceMs: 13_000 }]);

    const reopened = await FileStore.open(dir);
    assert.deepEqual(reopened.waiters.list(), snapshot.waiters);
    await reopened.close();

    // a state directory written before waiters were kept: no "waiters" key at all
    delete snapshot.waiters;
    await Deno.writeTextFile(`${dir}/${SNAPSHOT_FILE}`, JSON.stringify(snapshot));
    const older = await FileStore.open(dir);
    try {
      assert.deepEqual(older.waiters.list(), []);
      assert.equal(older.leases.list().length, 1);
    } finally {
      await older.close();
    }
  });
});
