/**
 * A driver call that Deno refused because it reached outside the exporter's grants becomes one
 * error naming the driver and the permission (status PERMISSION_DENIED); the session goes on.
 *
 * @module
 */
import type { Driver } from "@jumpstarter/lib/driver";
import { Code, JumpstarterError } from "@jumpstarter/lib/wire";

/** The dotted name of each driver below `root` (the first name a driver is reached by). */
export function driverNames(root: Driver): Map<Driver, string> {
  const names = new Map<Driver, string>([[root, "(root)"]]);
  const visit = (parent: Driver, prefix: string) => {
    for (const [name, child] of parent.children) {
      if (names.has(child)) continue;
      const path = prefix ? `${prefix}.${name}` : name;
      names.set(child, path);
      visit(child, path);
    }
  };
  visit(root, "");
  return names;
}

/** Deno's refusal without its advice to run again with a flag: `read access to "/etc/x"`. */
function refusedPermission(message: string): string {
  const found = /Requires (\w+ access(?: to "[^"]*")?)/.exec(message);
  return found ? found[1]! : message;
}

/**
 * `error` as the caller should see it: a Deno permission refusal names `driver` (its name in
 * `names` and its type) and what was refused; anything else is returned as is.
 */
export function refusalOf(
  error: unknown,
  driver: Driver | undefined,
  names: ReadonlyMap<Driver, string>,
): unknown {
  if (!(error instanceof Deno.errors.NotCapable) || !driver) return error;
  const name = names.get(driver) ?? driver.uuid;
  return new JumpstarterError(
    `Driver "${name}" (${driver.constructor.name}) was refused ${
      refusedPermission(error.message)
    }: outside the exporter's grants (see \`jmp-exporter permissions CONFIG\`)`,
    { cause: error, code: Code.PERMISSION_DENIED },
  );
}

/**
 * Keeps a confined exporter serving when Deno refuses something outside any driver call (a
 * socket a library binds in a callback, a background task): the refusal is logged instead of
 * ending the process. Other uncaught errors are left alone. Returns what removes the handlers.
 */
export function surviveRefusals(log: (message: string) => void): () => void {
  const refused = (error: unknown) => {
    if (!(error instanceof Deno.errors.NotCapable)) return false;
    log(
      `Refused ${refusedPermission(error.message)} outside a driver call: outside the ` +
        "exporter's grants (see `jmp-exporter permissions CONFIG`)",
    );
    return true;
  };
  const onError = (event: ErrorEvent) => {
    if (refused(event.error)) event.preventDefault();
  };
  const onRejection = (event: PromiseRejectionEvent) => {
    if (refused(event.reason)) event.preventDefault();
  };
  globalThis.addEventListener("error", onError);
  globalThis.addEventListener("unhandledrejection", onRejection);
  return () => {
    globalThis.removeEventListener("error", onError);
    globalThis.removeEventListener("unhandledrejection", onRejection);
  };
}
