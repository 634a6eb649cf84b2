/**
 * Shared by the upstream-compat tests: finds a Python 3 with grpcio and protobuf, and generates the
 * `jumpstarter.v1` message modules from our .proto files with `protoc --python_out`.
 *
 * Needs the Debian packages listed in {@linkcode DEBIAN_PACKAGES}; the helpers fail the test (never
 * skip it) without them. Set PYTHON to choose the interpreter; otherwise `python3` then
 * `/usr/bin/python3` are tried (`python3` may be a pyenv shim without Debian's modules).
 */
import assert from "node:assert/strict";

export const DEBIAN_PACKAGES = ["python3-grpcio", "python3-protobuf", "protobuf-compiler"];
export const INSTALL_HINT = `install the Debian packages: apt-get install -y ${
  DEBIAN_PACKAGES.join(" ")
}`;

const ROOT = new URL("../../", import.meta.url);

/** The absolute path of `relative` inside the workspace. */
export function repoPath(relative: string): string {
  return decodeURIComponent(new URL(relative, ROOT).pathname);
}

const PROTO_DIR = repoPath("protos/proto");
const PROTO_PACKAGE_DIR = repoPath("protos/proto/jumpstarter/v1");

/** What a finished program printed. */
export interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to completion (killed after `timeoutMs`); `null` if it does not exist. */
export async function runProgram(
  program: string,
  args: string[],
  options: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<Output | null> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const output = await new Deno.Command(program, {
      args,
      cwd: repoPath("."),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: abort.signal,
      ...(options.env ? { env: options.env } : {}),
    }).output();
    const decoder = new TextDecoder();
    const stderr = decoder.decode(output.stderr);
    return {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: abort.signal.aborted ? `${stderr}\n[killed after ${timeoutMs} ms]` : stderr,
    };
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** The first interpreter that can import grpc and google.protobuf; fails the test otherwise. */
export async function findPython(): Promise<string> {
  const chosen = Deno.env.get("PYTHON");
  const candidates = chosen ? [chosen] : ["python3", "/usr/bin/python3"];
  const problems: string[] = [];
  for (const python of candidates) {
    const result = await runProgram(python, ["-c", "import grpc, google.protobuf"]);
    if (result === null) problems.push(`${python}: not found`);
    else if (result.code !== 0) {
      const lastLine = result.stderr.trim().split("\n").at(-1) ?? "";
      problems.push(`${python}: ${lastLine}`);
    } else return python;
  }
  assert.fail(
    `no Python 3 interpreter with the grpc and protobuf modules (${problems.join("; ")}); ` +
      INSTALL_HINT,
  );
}

/** Generates jumpstarter/v1/*_pb2.py into `outDir` with protoc (only --python_out is needed). */
export async function generateStubs(outDir: string): Promise<void> {
  const protos: string[] = [];
  for await (const entry of Deno.readDir(PROTO_PACKAGE_DIR)) {
    if (entry.isFile && entry.name.endsWith(".proto")) {
      protos.push(`${PROTO_PACKAGE_DIR}/${entry.name}`);
    }
  }
  assert.ok(protos.length > 0, `no .proto files in ${PROTO_PACKAGE_DIR}`);
  protos.sort();
  const result = await runProgram("protoc", [
    `-I${PROTO_DIR}`,
    `--python_out=${outDir}`,
    ...protos,
  ]);
  assert.ok(result !== null, `protoc not found; ${INSTALL_HINT}`);
  assert.equal(result.code, 0, `protoc failed:\n${result.stderr}`);
}

/**
 * Sends SIGTERM and waits for the process to exit, killing it after `timeoutMs`.
 */
export async function terminate(
  child: Deno.ChildProcess,
  timeoutMs: number,
): Promise<Deno.CommandStatus> {
  const kill = (signal: Deno.Signal) => {
    try {
      child.kill(signal);
    } catch {
      // already exited
    }
  };
  kill("SIGTERM");
  const timer = setTimeout(() => kill("SIGKILL"), timeoutMs);
  try {
    return await child.status;
  } finally {
    clearTimeout(timer);
  }
}
