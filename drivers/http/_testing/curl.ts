/** Test helpers: run the real `curl` and hash bytes. */

/** What one curl run returned. */
export interface CurlResult {
  /** HTTP status (0 when no response). */
  status: number;
  /** Response headers, lower-case names (last response only). */
  headers: Map<string, string>;
  body: Uint8Array;
  /** curl's own exit code. */
  code: number;
}

/** Runs `curl` with `args` plus a URL and returns status, headers and body. */
export async function curl(url: string, ...args: string[]): Promise<CurlResult> {
  const dir = await Deno.makeTempDir();
  try {
    const output = await new Deno.Command("curl", {
      args: [
        "--silent",
        "--noproxy",
        "*",
        "--max-time",
        "30",
        "--dump-header",
        `${dir}/headers`,
        "--output",
        `${dir}/body`,
        "--write-out",
        "%{http_code}",
        ...args,
        url,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const headerText = await Deno.readTextFile(`${dir}/headers`).catch(() => "");
    const headers = new Map<string, string>();
    for (const line of headerText.split("\r\n").slice(1)) {
      const colon = line.indexOf(":");
      if (colon > 0) headers.set(line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim());
    }
    const body = await Deno.readFile(`${dir}/body`).catch(() => new Uint8Array());
    return {
      status: Number(new TextDecoder().decode(output.stdout)),
      headers,
      body,
      code: output.code,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
