import { serve } from "@jumpstarter/lib/testing";
import { MockStorageMuxFlasher } from "/work/main/drivers/opendal/driver.ts";
import { StorageMuxFlasherClient } from "/work/main/drivers/opendal/client.ts";
Deno.test("x", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(dir + "/sd.img", new TextEncoder().encode("jumpstarter ".repeat(50000)));
  await using served = await serve(
    new MockStorageMuxFlasher({ path: dir + "/sd.img" }),
    StorageMuxFlasherClient,
  );
  for (let i = 0; i < 3; i++) {
    await served.client.dump(dir + "/d.gz", { encoding: "gzip" });
    const out = await new Deno.Command("gzip", { args: ["-t", dir + "/d.gz"] }).output();
    console.log(
      (await Deno.stat(dir + "/d.gz")).size,
      out.code,
      new TextDecoder().decode(out.stderr),
    );
    const d = await Deno.readFile(dir + "/d.gz");
    console.log(Array.from(d.slice(0, 12)), Array.from(d.slice(-12)));
  }
});
