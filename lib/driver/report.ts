/**
 * The driver report (`GetReport` / `Register`): the tree as a pre-order list, labelled so that an
 * upstream client can rebuild it.
 */
import type { Driver } from "./driver.ts";

export const CLIENT_LABEL = "jumpstarter.dev/client";
export const NAME_LABEL = "jumpstarter.dev/name";

/** One report entry, in the shape of `jumpstarter.v1.DriverInstanceReport`. */
export interface DriverReport {
  uuid: string;
  parentUuid?: string;
  labels: Record<string, string>;
  description?: string;
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
