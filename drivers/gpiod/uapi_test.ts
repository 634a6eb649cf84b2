/**
 * The layouts in uapi.ts against the real kernel header: a C program built with gcc from
 * `<linux/gpio.h>` (Debian's linux-libc-dev) prints the sizes, offsets, flags and ioctl numbers.
 */
import assert from "node:assert/strict";
import {
  AttrId,
  CHIP_INFO_SIZE,
  CONFIG_ATTRIBUTE_SIZE,
  EventId,
  Field,
  Ioctl,
  LINE_CONFIG_SIZE,
  LINE_EVENT_SIZE,
  LINE_INFO_SIZE,
  LINE_REQUEST_SIZE,
  LINE_VALUES_SIZE,
  LineFlag,
} from "./uapi.ts";

const STRUCTS: Record<keyof typeof Field, string> = {
  chipInfo: "gpiochip_info",
  lineInfo: "gpio_v2_line_info",
  lineConfig: "gpio_v2_line_config",
  configAttribute: "gpio_v2_line_config_attribute",
  lineRequest: "gpio_v2_line_request",
  lineValues: "gpio_v2_line_values",
  lineEvent: "gpio_v2_line_event",
};

/** A field as the header spells it: snake_case, the attribute's inside its `attr`. */
function cMember(group: string, field: string): string {
  const snake = field.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
  if (group !== "configAttribute" || field === "mask") return snake;
  return field === "value" ? "attr.values" : `attr.${snake}`;
}

const SIZES = {
  "gpiochip_info": CHIP_INFO_SIZE,
  "gpio_v2_line_info": LINE_INFO_SIZE,
  "gpio_v2_line_config": LINE_CONFIG_SIZE,
  "gpio_v2_line_config_attribute": CONFIG_ATTRIBUTE_SIZE,
  "gpio_v2_line_request": LINE_REQUEST_SIZE,
  "gpio_v2_line_values": LINE_VALUES_SIZE,
  "gpio_v2_line_event": LINE_EVENT_SIZE,
};

const IOCTLS: Record<keyof typeof Ioctl, string> = {
  GET_CHIPINFO: "GPIO_GET_CHIPINFO_IOCTL",
  GET_LINEINFO: "GPIO_V2_GET_LINEINFO_IOCTL",
  GET_LINE: "GPIO_V2_GET_LINE_IOCTL",
  LINE_SET_CONFIG: "GPIO_V2_LINE_SET_CONFIG_IOCTL",
  LINE_GET_VALUES: "GPIO_V2_LINE_GET_VALUES_IOCTL",
  LINE_SET_VALUES: "GPIO_V2_LINE_SET_VALUES_IOCTL",
};

/** Each of our values with the C expression that must equal it. */
function expectations(): [string, string, number | bigint][] {
  const rows: [string, string, number | bigint][] = [];
  for (const [struct, size] of Object.entries(SIZES)) {
    rows.push([`sizeof ${struct}`, `sizeof(struct ${struct})`, size]);
  }
  for (const [group, fields] of Object.entries(Field)) {
    const struct = STRUCTS[group as keyof typeof Field];
    for (const [field, offset] of Object.entries(fields)) {
      const member = cMember(group, field);
      rows.push([`${struct}.${member}`, `offsetof(struct ${struct}, ${member})`, offset]);
    }
  }
  for (const [name, value] of Object.entries(Ioctl)) {
    const macro = IOCTLS[name as keyof typeof Ioctl];
    rows.push([macro, `(unsigned long)${macro}`, value]);
  }
  for (const [name, value] of Object.entries(LineFlag)) {
    rows.push([`FLAG_${name}`, `GPIO_V2_LINE_FLAG_${name}`, value]);
  }
  for (const [name, value] of Object.entries(AttrId)) {
    rows.push([`ATTR_ID_${name}`, `GPIO_V2_LINE_ATTR_ID_${name}`, value]);
  }
  for (const [name, value] of Object.entries(EventId)) {
    rows.push([`EVENT_${name}`, `GPIO_V2_LINE_EVENT_${name}`, value]);
  }
  return rows;
}

Deno.test("uapi.ts matches <linux/gpio.h>: sizes, field offsets, flags and ioctl numbers", async () => {
  const rows = expectations();
  const dir = await Deno.makeTempDir({ prefix: "gpio-uapi-" });
  try {
    const prints = rows.map(([, expression]) =>
      `  printf("%llu\\n", (unsigned long long)(${expression}));`
    );
    const source = [
      "#include <stddef.h>",
      "#include <stdio.h>",
      "#include <linux/gpio.h>",
      "int main(void) {",
      ...prints,
      "  return 0;",
      "}",
    ].join("\n");
    await Deno.writeTextFile(`${dir}/layout.c`, source);
    const built = await new Deno.Command("gcc", {
      args: ["-o", `${dir}/layout`, `${dir}/layout.c`],
      signal: AbortSignal.timeout(60_000),
    }).output();
    assert.equal(built.code, 0, `gcc failed: ${new TextDecoder().decode(built.stderr)}`);
    const ran = await new Deno.Command(`${dir}/layout`, { signal: AbortSignal.timeout(10_000) })
      .output();
    const printed = new TextDecoder().decode(ran.stdout).trim().split("\n");
    assert.equal(printed.length, rows.length);
    rows.forEach(([what, , ours], index) => {
      assert.equal(BigInt(printed[index]!), BigInt(ours), `${what}: header says ${printed[index]}`);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
