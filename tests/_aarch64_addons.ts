/**
 * Loads every native addon the exporter ships and prints, as one JSON line, the architecture and
 * what each load gave: run under the emulated aarch64 deno by `aarch64_exporter_test.ts`.
 * OpenDAL is left out: npm has no arm64 build of the pinned binding (its driver says so on use).
 */
const loads: Record<string, () => Promise<unknown>> = {
  "@napi-rs/lzma": () => import("@napi-rs/lzma"),
  "usb": () => import("usb"),
  "serialport": () => import("serialport"),
};
const results: Record<string, string> = {};
for (const [name, load] of Object.entries(loads)) {
  try {
    await load();
    results[name] = "loaded";
  } catch (error) {
    results[name] = String(error).split("\n")[0]!;
  }
}
console.log(JSON.stringify({ arch: Deno.build.arch, addons: results }));
