import type { CanFilter } from "./interface.ts";
import type { CanFrame } from "./message.ts";

/** Whether `frame` passes python-can's filters (none: everything passes). */
export function matchesFilters(frame: CanFrame, filters: readonly CanFilter[] | null): boolean {
  if (filters === null || filters.length === 0) return true;
  return filters.some((filter) =>
    (filter.extended === undefined || filter.extended === frame.isExtendedId) &&
    ((frame.arbitrationId ^ filter.can_id) & filter.can_mask) === 0
  );
}
