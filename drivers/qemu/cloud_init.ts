/**
 * The cloud-init NoCloud seed given to a guest with a root disk: its hostname and one sudo user
 * with a password (upstream's `meta-data` and `user-data`).
 */
import { join } from "node:path";

/** Quotes a YAML scalar (JSON strings are valid YAML). */
const yamlString = (value: string) => JSON.stringify(value);

/** Writes `meta-data` and `user-data` into `dir` (created if needed). */
export async function writeCloudInitSeed(
  dir: string,
  seed: { instanceId: string; hostname: string; username: string; password: string },
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const metaData = [
    `instance-id: ${yamlString(seed.instanceId)}`,
    `local-hostname: ${yamlString(seed.hostname)}`,
    "",
  ].join("\n");
  const userData = [
    "#cloud-config",
    "ssh_pwauth: true",
    "users:",
    `  - name: ${yamlString(seed.username)}`,
    `    plain_text_passwd: ${yamlString(seed.password)}`,
    "    lock_passwd: false",
    "    shell: /bin/bash",
    '    sudo: "ALL=(ALL) NOPASSWD:ALL"',
    "",
  ].join("\n");
  await Deno.writeTextFile(join(dir, "meta-data"), metaData);
  await Deno.writeTextFile(join(dir, "user-data"), userData);
}
