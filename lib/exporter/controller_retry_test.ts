import assert from "node:assert/strict";
import { ConnectionError, JumpstarterError } from "@jumpstarter/lib/wire";
import { followStream, retryWhileDisconnected } from "./controller_retry.ts";

Deno.test("retryWhileDisconnected() calls again while the connection is lost, not otherwise", async () => {
  const log: string[] = [];
  const options = {
    signal: new AbortController().signal,
    retryMs: 1,
    log: (m: string) => log.push(m),
  };
  let calls = 0;
  const result = await retryWhileDisconnected(() => {
    calls++;
    return calls < 3
      ? Promise.reject(new ConnectionError("Connection dropped"))
      : Promise.resolve("ok");
  }, options);
  assert.equal(result, "ok");
  assert.equal(calls, 3);
  assert.equal(log.length, 2);
  assert.match(log[0]!, /retrying in 1 ms: Connection dropped/);

  calls = 0;
  await assert.rejects(
    retryWhileDisconnected(() => {
      calls++;
      return Promise.reject(new JumpstarterError("permission denied"));
    }, options),
    /permission denied/,
  );
  assert.equal(calls, 1, "a refusal is not retried");

  const stopped = new AbortController();
  stopped.abort();
  calls = 0;
  await assert.rejects(
    retryWhileDisconnected(() => {
      calls++;
      return Promise.reject(new ConnectionError("gone"));
    }, { ...options, signal: stopped.signal }),
    ConnectionError,
  );
  assert.equal(calls, 1, "a stopping exporter makes one attempt");
  await assert.rejects(
    retryWhileDisconnected(() => Promise.reject(new ConnectionError("gone")), {
      ...options,
      budgetMs: 0,
    }),
    ConnectionError,
  );
});

Deno.test("followStream() reopens a broken stream and stops on a fatal error", async () => {
  const log: string[] = [];
  const seen: number[] = [];
  let opened = 0;
  const stop = new AbortController();
  await assert.rejects(
    followStream(
      "Status",
      async function* () {
        opened++;
        yield opened;
        if (opened < 3) throw Object.assign(new Error("14 UNAVAILABLE"), { details: "dropped" });
        throw Object.assign(new Error("9 FAILED_PRECONDITION"), { details: "taken over" });
      },
      (message) => void seen.push(message),
      {
        signal: stop.signal,
        retryMs: 1,
        log: (m) => log.push(m),
        fatal: (details) => details === "taken over" ? new Error("taken over") : undefined,
      },
    ),
    /taken over/,
  );
  assert.deepEqual(seen, [1, 2, 3]);
  assert.deepEqual(log, [
    "Status stream interrupted, retrying in 1 ms: 14 UNAVAILABLE",
    "Status stream interrupted, retrying in 1 ms: 14 UNAVAILABLE",
  ]);
  stop.abort();
  await followStream(
    "Listen",
    () => {
      throw new Error("never opened once stopped");
    },
    () => {},
    { signal: stop.signal, retryMs: 1, log: () => {} },
  );
});
