/**
 * Plain tables as upstream prints them: UPPERCASE headers, columns padded with spaces, no box.
 */

/** Options of {@linkcode formatTable} and {@linkcode printTable}. */
export interface TableOptions {
  /** Printed in place of the table when there are no rows. */
  emptyMessage?: string;
  /** Spaces between columns. */
  gap?: number;
}

export const NO_RESOURCES = "No resources found.";

/** Display width of `text`, counting East Asian wide characters as two cells. */
function width(text: string): number {
  let cells = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    const wide = (code >= 0x1100 && code <= 0x115f) || (code >= 0x2e80 && code <= 0xa4cf) ||
      (code >= 0xac00 && code <= 0xd7a3) || (code >= 0xf900 && code <= 0xfaff) ||
      (code >= 0xfe30 && code <= 0xfe4f) || (code >= 0xff00 && code <= 0xff60) ||
      (code >= 0xffe0 && code <= 0xffe6) || (code >= 0x1f300 && code <= 0x1faff) ||
      (code >= 0x20000 && code <= 0x3fffd);
    cells += wide ? 2 : 1;
  }
  return cells;
}

/**
 * The table as text (lines joined with "\n", no trailing newline), or the empty message when
 * there are no rows. Headers are upper-cased; line ends carry no padding.
 */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  options: TableOptions = {},
): string {
  if (rows.length === 0) return options.emptyMessage ?? NO_RESOURCES;
  const gap = " ".repeat(options.gap ?? 3);
  const lines = [headers.map((header) => header.toUpperCase()), ...rows];
  const widths = headers.map((_, column) =>
    Math.max(...lines.map((line) => width(line[column] ?? "")))
  );
  return lines
    .map((line) =>
      widths
        .map((columnWidth, column) => {
          const cell = line[column] ?? "";
          return cell + " ".repeat(columnWidth - width(cell));
        })
        .join(gap)
        .trimEnd()
    )
    .join("\n");
}

/** Prints {@linkcode formatTable} on stdout. */
export function printTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  options: TableOptions = {},
): void {
  console.log(formatTable(headers, rows, options));
}
