/**
 * Kubernetes label key and value validation (apimachinery `IsQualifiedName`,
 * `IsValidLabelValue`). Each function returns undefined when valid, else the reason.
 */

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS-1123 subdomain: lowercase labels joined by dots, at most 253 characters. */
export function dnsSubdomainProblem(text: string): string | undefined {
  if (text.length === 0) return "must not be empty";
  if (text.length > 253) return "must be no more than 253 characters";
  if (!text.split(".").every((label) => DNS_LABEL.test(label))) {
    return "must consist of lower case alphanumeric characters, '-' or '.', " +
      "and must start and end with an alphanumeric character";
  }
  return undefined;
}

/** A label key: `[prefix/]name`, prefix a DNS subdomain, name at most 63 characters. */
export function labelKeyProblem(key: string): string | undefined {
  const parts = key.split("/");
  let name = key;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    name = parts[1]!;
    if (prefix.length === 0) return "prefix part must not be empty";
    const problem = dnsSubdomainProblem(prefix);
    if (problem !== undefined) return `prefix part ${problem}`;
  } else if (parts.length > 2) {
    return "may contain at most one '/'";
  }
  if (name.length === 0) return "name part must not be empty";
  if (name.length > 63) return "name part must be no more than 63 characters";
  if (!NAME.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', " +
      "and must start and end with an alphanumeric character";
  }
  return undefined;
}

/** A label value: empty, or at most 63 characters like a key's name part. */
export function labelValueProblem(value: string): string | undefined {
  if (value.length === 0) return undefined;
  if (value.length > 63) return "must be no more than 63 characters";
  if (!NAME.test(value)) {
    return "must be empty or consist of alphanumeric characters, '-', '_' or '.', " +
      "and must start and end with an alphanumeric character";
  }
  return undefined;
}
