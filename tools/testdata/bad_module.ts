/** Two ways to break in a compiled binary, and what is let through. */
const TABLE = new URL("./table.txt", import.meta.url);

export async function load(name: string): Promise<unknown[]> {
  const plugin = await import(`./plugins/${name}.ts`);
  const data = await Deno.readTextFile(new URL("./data.json", import.meta.url));
  const table = await Deno.readFile(TABLE);
  // a literal specifier is embedded; a path only passed on is not read here
  const literal = await import("./good_module.ts");
  // compile-safe: the fixture's own allowed read
  const allowed = await Deno.readTextFile(TABLE);
  return [plugin, data, table, literal, allowed, TABLE.pathname];
}
