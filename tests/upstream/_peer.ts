/**
 * The real upstream Jumpstarter (Python), installed offline from `../shared/peers/upstream` by
 * `.ci/run` (or by hand: `bash ../shared/peers/upstream/install.sh head /opt/upstream-head`).
 *
 * Two versions: `head` (b1f2bb41) and `0.7.0`. Their location comes from `JMP_UPSTREAM_HEAD` /
 * `JMP_UPSTREAM_070`, defaulting to `/opt/upstream-head` and `/opt/upstream-070`. A test that needs
 * a peer fails (never skips) when it is missing, naming the command that installs it.
 */
import assert from "node:assert/strict";

export type UpstreamVersion = "head" | "0.7.0";

/** An installed upstream: its programs, and the environment that puts them on PATH. */
export interface UpstreamPeer {
  version: UpstreamVersion;
  root: string;
  /** upstream's `jmp` (the offline launcher without `admin`) */
  jmp: string;
  /** upstream's own `j` script */
  j: string;
  /** the venv's python, with the upstream client library importable */
  python: string;
  /** `serve.py`: upstream's Session on a fixed Unix socket and/or h2c TCP port */
  serveScript: string;
  /** the environment `env.sh` sets (PATH, VIRTUAL_ENV), merged over `Deno.env` */
  env: Record<string, string>;
}

const PEER_SOURCE = decodeURIComponent(
  new URL("../../../shared/peers/upstream/", import.meta.url).pathname,
);

function rootOf(version: UpstreamVersion): string {
  return version === "head"
    ? Deno.env.get("JMP_UPSTREAM_HEAD") ?? "/opt/upstream-head"
    : Deno.env.get("JMP_UPSTREAM_070") ?? "/opt/upstream-070";
}

/** The installed upstream `version`; fails the test with the install command when it is absent. */
export function upstreamPeer(version: UpstreamVersion): UpstreamPeer {
  const root = rootOf(version);
  let installed = "";
  try {
    installed = Deno.readTextFileSync(`${root}/VERSION`).trim();
  } catch {
    assert.fail(
      `upstream Jumpstarter ${version} is not installed at ${root}: ` +
        `bash ${PEER_SOURCE}install.sh ${version} ${root}`,
    );
  }
  const env = {
    ...Deno.env.toObject(),
    VIRTUAL_ENV: `${root}/venv`,
    PATH: `${root}/bin:${root}/venv/bin:${Deno.env.get("PATH") ?? ""}`,
  };
  assert.ok(installed.length > 0, `${root}/VERSION is empty`);
  return {
    version,
    root,
    jmp: `${root}/bin/jmp`,
    j: `${root}/venv/bin/j`,
    python: `${root}/venv/bin/python`,
    serveScript: `${PEER_SOURCE}serve.py`,
    env,
  };
}

/** Both installed versions, head first. */
export function upstreamPeers(): UpstreamPeer[] {
  return [upstreamPeer("head"), upstreamPeer("0.7.0")];
}

/** Where the peer folder (install.sh, serve.py, client_demo.py, exporter-local.yaml) lives. */
export const UPSTREAM_PEER_SOURCE = PEER_SOURCE;
