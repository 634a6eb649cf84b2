/**
 * Form POSTs to the EnerGenie web interface, with network failures and timeouts turned into
 * Jumpstarter errors.
 */
import { ConnectionError, DriverTimeoutError } from "@jumpstarter/lib/wire";

/** A finished exchange: status line and the whole body. */
export interface Answer {
  status: number;
  statusText: string;
  body: string;
}

/** Deno's network error text without its leading `error sending request for url (...)`. */
function networkReason(error: TypeError): string {
  const cause = error.cause instanceof Error ? error.cause.message : error.message;
  return cause.replace(/^error sending request for url \(.*?\): /, "");
}

/**
 * POSTs `fields` as `application/x-www-form-urlencoded` (no charset, as Python requests sends
 * it) and reads the whole answer within `timeout` seconds. `action` starts every error message.
 *
 * @throws {ConnectionError} when the device cannot be reached or drops the connection.
 * @throws {DriverTimeoutError} when the exchange does not finish in time.
 */
export async function postForm(
  url: string,
  fields: Record<string, string>,
  options: { action: string; timeout: number },
): Promise<Answer> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
      signal: AbortSignal.timeout(options.timeout * 1000),
    });
    const body = await response.text();
    return { status: response.status, statusText: response.statusText, body };
  } catch (error) {
    if (error instanceof DOMException && error.name === "TimeoutError") {
      throw new DriverTimeoutError(
        `${options.action}: POST ${url} did not answer within ${options.timeout} s`,
      );
    }
    if (error instanceof TypeError) {
      throw new ConnectionError(`${options.action}: POST ${url} failed: ${networkReason(error)}`);
    }
    throw error;
  }
}
