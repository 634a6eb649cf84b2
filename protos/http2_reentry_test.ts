/**
 * The guard against Deno's use-after-free on a GOAWAY (`http2_reentry.ts`, denoland/deno#36788),
 * each case in a child process, since without the guard the process dies of it: sessions that
 * receive a GOAWAY while idle (before the guard: a crash in 5 runs of 5, on either side), and the
 * reproduction from the controller, hundreds of calls to a server made by `createServer()`, then
 * a hang-up, round after round (before the guard: the server died of SIGABRT in 8 runs of 8, in
 * a second at most; with it, 10 runs of 10 passed).
 */
import assert from "node:assert/strict";
import http2 from "node:http2";
import { Buffer } from "node:buffer";
import { guardHttp2Sessions } from "./http2_reentry.ts";

const IDLE_GOAWAY = new URL("./_testing/idle_goaway.ts", import.meta.url).pathname;
const HANGUP_SERVER = new URL("./_testing/hangup_server.ts", import.meta.url).pathname;
const ROUNDS = 20;
const CALLS = 300;

Deno.test("guardHttp2Sessions() finds Deno's native session handle to guard", () => {
  assert.equal(guardHttp2Sessions(), true);
});

for (const side of ["client", "server"]) {
  Deno.test(`guardHttp2Sessions() keeps a ${side} alive through a GOAWAY on an idle session`, async () => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", IDLE_GOAWAY, side, "guarded"],
      stdin: "null",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.signal, null, `the process died of ${output.signal}: ${stderr}`);
    assert.equal(output.code, 0, stderr);
    assert.equal(new TextDecoder().decode(output.stdout).trim(), "survived");
  });
}

Deno.test("a createServer() server outlives rounds of clients that call it and hang up", async () => {
  guardHttp2Sessions(); // this process's clients get GOAWAYs back
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", HANGUP_SERVER],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const died = child.status.then(async (status) => {
    throw new Error(
      `the server died of ${status.signal ?? `exit ${status.code}`}: ${await stderr}`,
    );
  });
  died.catch(() => {});
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    const port = await Promise.race([died, firstLine(lines)]);
    for (let round = 0; round < ROUNDS; round++) {
      await Promise.race([died, callAndHangUp(port, CALLS)]);
    }
  } finally {
    await lines.cancel();
    try {
      child.kill("SIGTERM");
    } catch { /* it died already */ }
    await child.status;
  }
});

async function firstLine(lines: ReadableStreamDefaultReader<string>): Promise<string> {
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await lines.read();
    if (done) throw new Error("the server printed no port");
    text += value;
  }
  return text.trim();
}

/**
 * One connection, `calls` unary calls at once, then a GOAWAY to the server's session with no
 * stream open (what grpc-js does when its last client closes); resolves when the server has
 * answered it by closing the connection.
 */
async function callAndHangUp(port: string, calls: number): Promise<void> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  const closed = new Promise<void>((resolve, reject) => {
    session.on("error", reject);
    session.on("close", resolve);
  });
  closed.catch(() => {}); // awaited below, after the calls
  await Promise.all(Array.from({ length: calls }, () => unaryCall(session)));
  session.goaway();
  await closed;
}

function unaryCall(session: http2.ClientHttp2Session): Promise<void> {
  return new Promise((resolve, reject) => {
    const call = session.request({
      ":method": "POST",
      ":path": "/test.Hangup/Call",
      "content-type": "application/grpc",
      te: "trailers",
    });
    call.on("error", reject);
    call.resume();
    call.on("trailers", (trailers) => {
      if (trailers["grpc-status"] !== "0") reject(new Error(`the call failed: ${trailers}`));
    });
    call.on("close", () => resolve());
    call.end(Buffer.from([0, 0, 0, 0, 5, 1, 2, 3, 4, 5]));
  });
}
