/**
 * Serves a directory over TFTP on 127.0.0.1 and a free port until stdin closes; prints
 * `{"port": N, "backend": "deno"|"node"}` once listening. Used by udp_test.ts to run the server
 * under `--unstable-net`, and handy for trying clients by hand:
 * `deno run -A --unstable-net drivers/tftp/_testing/serve_root.ts DIR`.
 */
import { TftpServer } from "../server.ts";
import { defaultBackend } from "../udp.ts";

const root = Deno.args[0];
if (!root) throw new TypeError("usage: serve_root.ts DIR");
const server = await TftpServer.start({ root, hostname: "127.0.0.1", port: 0 });
console.log(JSON.stringify({ port: server.address.port, backend: defaultBackend() }));
for await (const _ of Deno.stdin.readable) {
  // runs until the parent closes stdin
}
await server.close();
