/**
 * The driver report (`GetReport` / `Register`): the tree as a pre-order list, labelled so that an
 * upstream client can rebuild it.
 */
import type { Driver } from "./driver.ts";

/** Report label naming the upstream client class a driver's client is built from. */
export const CLIENT_LABEL = "jumpstarter.dev/client";
/** Report label holding a child's export name under its parent (absent on the root). */
export const NAME_LABEL = "jumpstarter.dev/name";

/** One report entry, in the shape of `jumpstarter.v1.DriverInstanceReport`. */
export interface DriverReport {
  /** The driver's {@linkcode Driver.uuid}; clients address calls to it. */
  uuid: string;
  /** The parent's uuid; absent on the root. */
  parentUuid?: string;
  /** The driver's labels plus {@linkcode CLIENT_LABEL} and (below the root) {@linkcode NAME_LABEL}. */
  labels: Record<string, string>;
  /** The configured description, else the interface's. */
  description?: string;
  /** Per-method help by wire name: the descriptors', overridden by the config's. */
  methodsDescription: Record<string, string>;
}

function describe(driver: Driver): Pick<DriverReport, "description" | "methodsDescription"> {
  const methodsDescription: Record<string, string> = {};
  for (const [name, method] of Object.entries(driver.interface.methods)) {
    if (method.description) methodsDescription[name] = method.description;
  }
  Object.assign(methodsDescription, driver.methodsDescription);
  const description = driver.description ?? driver.interface.description;
  return description === undefined ? { methodsDescription } : { description, methodsDescription };
}

/**
 * Lists the tree parent-before-child. A driver reached under two names (a proxy) is reported
 * under each, with the same uuid.
 */
export function buildReport(root: Driver): DriverReport[] {
  const reports: DriverReport[] = [];
  const visit = (driver: Driver, parent: Driver | undefined, name: string | undefined) => {
    const labels = {
      ...driver.labels,
      ...driver.extraLabels(),
      [CLIENT_LABEL]: driver.interface.client,
      ...(name === undefined ? {} : { [NAME_LABEL]: name }),
    };
    reports.push({
      uuid: driver.uuid,
      ...(parent ? { parentUuid: parent.uuid } : {}),
      labels,
      ...describe(driver),
    });
    for (const [childName, child] of driver.children) visit(child, driver, childName);
  };
  visit(root, undefined, undefined);
  return reports;
}
