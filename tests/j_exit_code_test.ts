import { fileURLToPath } from "node:url";
import { assertExit, assertOutput, jmp } from "./_helpers.ts";

const SHELL_LAB = fileURLToPath(new URL("./testdata/shell-lab.yaml", import.meta.url));

Deno.test("j exits with a shell method's return code, through jmp shell", async () => {
  const result = await jmp(["shell", "--exporter-config", SHELL_LAB, "--", "j", "sh", "fail3"]);
  assertExit(result, 3);
  assertOutput(result, "stdout", "failing");
  const ok = await jmp(["shell", "--exporter-config", SHELL_LAB, "--", "j", "sh", "hello"]);
  assertExit(ok, 0);
  assertOutput(ok, "stdout", "hello from the exporter");
});
