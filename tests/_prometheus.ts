/**
 * A real `prometheus` (Debian's) scraping `/metrics` targets every second, started by a test:
 * wait for the targets to be up, then read series through its query API.
 */
import { eventually, freePort } from "@jumpstarter/lib/testing";
import { type BackgroundJmp, spawnProgram } from "./_background.ts";

export interface Prometheus extends AsyncDisposable {
  /** Waits until prometheus has scraped every target successfully. */
  targetsUp(): Promise<void>;
  /** The first sample's value of an instant query, or undefined when it has none. */
  query(expr: string): Promise<string | undefined>;
  /** Waits until `expr` reads `value`, naming `what` (and prometheus's last lines) if it never does. */
  until(what: string, expr: string, value: string): Promise<void>;
}

interface Target {
  scrapeUrl: string;
  health: string;
  lastError: string;
}

/** Starts prometheus scraping `targets` (`host:port`, path `/metrics`) every second. */
export async function startPrometheus(targets: readonly string[]): Promise<Prometheus> {
  const dir = await Deno.makeTempDir({ prefix: "prometheus-" });
  await Deno.writeTextFile(
    `${dir}/prometheus.yml`,
    [
      "global: { scrape_interval: 1s, scrape_timeout: 1s }",
      "scrape_configs:",
      "  - job_name: jumpstarter",
      `    static_configs: [{ targets: ${JSON.stringify(targets)} }]`,
      "",
    ].join("\n"),
  );
  const webPort = freePort();
  const api = `http://127.0.0.1:${webPort}/api/v1`;
  const process: BackgroundJmp = spawnProgram("prometheus", [
    `--config.file=${dir}/prometheus.yml`,
    `--storage.tsdb.path=${dir}/data`,
    `--web.listen-address=127.0.0.1:${webPort}`,
  ], { timeoutMs: 120_000 });
  const describe = () => process.printed().stderr.split("\n").slice(-10).join("\n");
  const query = async (expr: string) => {
    const reply = await fetch(`${api}/query?query=${encodeURIComponent(expr)}`);
    const body = await reply.json();
    return body.data?.result?.[0]?.value?.[1] as string | undefined;
  };
  let lastTargets: Target[] = [];
  return {
    async targetsUp() {
      await eventually(`prometheus to report ${targets.join(", ")} up`, async () => {
        const reply = await fetch(`${api}/targets`).catch(() => undefined);
        if (!reply?.ok) return await reply?.body?.cancel(), false;
        lastTargets = (await reply.json()).data.activeTargets;
        return targets.every((target) =>
          lastTargets.some((t) => t.scrapeUrl === `http://${target}/metrics` && t.health === "up")
        );
      }, {
        timeoutMs: 30_000,
        intervalMs: 200,
        describe: () => `${JSON.stringify(lastTargets)}\n${describe()}`,
      });
    },
    query,
    async until(what, expr, value) {
      let last: string | undefined;
      await eventually(`prometheus to read ${what} = ${value}`, async () => {
        last = await query(expr);
        return last === value;
      }, {
        timeoutMs: 30_000,
        intervalMs: 200,
        describe: () => `last read ${last}\n${describe()}`,
      });
    },
    async [Symbol.asyncDispose]() {
      await process.stop("SIGTERM", 10_000);
      await Deno.remove(dir, { recursive: true });
    },
  };
}
