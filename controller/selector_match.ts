/**
 * Label-selector filters for list calls (`-l`, `ListExporters.filter`): an empty filter
 * matches everything; a malformed one is the caller's error.
 */
import { Code, JumpstarterError } from "@jumpstarter/lib/wire";
import { matches, parseSelector, type Selector } from "./scheduler/selector.ts";

export function matchesSelectorText(
  filter: string,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (filter.trim() === "") return true;
  let selector: Selector;
  try {
    selector = parseSelector(filter);
  } catch (error) {
    throw new JumpstarterError(`invalid label selector "${filter}": ${(error as Error).message}`, {
      code: Code.INVALID_ARGUMENT,
    });
  }
  return matches(selector, labels);
}
