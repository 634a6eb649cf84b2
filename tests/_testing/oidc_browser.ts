/**
 * A scripted browser for the test provider (tests/_testing/oidc_provider.ts): it opens an
 * authorization URL, signs in as a user on the provider's development login page, grants
 * consent, and returns the redirect to the client's callback (which carries `code` and `state`).
 * Everything goes over real HTTP, as a user's browser would.
 *
 * @module
 */

/** How many redirects and forms one sign-in may take before it is called a loop. */
const MAX_STEPS = 20;

/** Cookies of one browser session (names only: the provider's paths never collide). */
class CookieJar {
  readonly #cookies = new Map<string, string>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(";", 1)[0]!;
      const index = pair.indexOf("=");
      if (index > 0) this.#cookies.set(pair.slice(0, index).trim(), pair.slice(index + 1));
    }
  }

  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}

/** The page's first form: where it posts and the name/value of each of its inputs. */
function firstForm(html: string): { action: string; fields: URLSearchParams } | undefined {
  const form = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/.exec(html);
  if (!form) return undefined;
  const fields = new URLSearchParams();
  for (const [input] of form[2]!.matchAll(/<input\b[^>]*>/g)) {
    const name = /\bname="([^"]*)"/.exec(input)?.[1];
    if (name) fields.set(name, /\bvalue="([^"]*)"/.exec(input)?.[1] ?? "");
  }
  return { action: form[1]!, fields };
}

/**
 * Signs in as `username` at `authorizeUrl` and follows the provider until it redirects to
 * `callbackPrefix`; returns that redirect URL without requesting it, or requests it when
 * `deliver` is set (a real callback server is listening there) and returns it. Opened at a device
 * flow's verification URL, it confirms the code and returns the final success page's URL.
 */
export async function signIn(
  authorizeUrl: string,
  username: string,
  callbackPrefix: string,
  options: { deliver?: boolean } = {},
): Promise<URL> {
  const jar = new CookieJar();
  let url = authorizeUrl;
  let body: URLSearchParams | undefined;
  const seen: string[] = [];
  for (let step = 0; step < MAX_STEPS; step++) {
    seen.push(`${body ? "POST" : "GET"} ${new URL(url).pathname}`);
    if (url.startsWith(callbackPrefix)) {
      if (options.deliver) {
        const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
        const text = await response.text();
        if (!response.ok) throw new Error(`the callback answered ${response.status}: ${text}`);
      }
      return new URL(url);
    }
    const response = await fetch(url, {
      method: body ? "POST" : "GET",
      redirect: "manual",
      headers: {
        cookie: jar.header(),
        ...(body ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      },
      ...(body ? { body } : {}),
      signal: AbortSignal.timeout(10_000),
    });
    jar.store(response);
    body = undefined;
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      url = new URL(location, url).href;
      continue;
    }
    const html = await response.text();
    const form = firstForm(html);
    // the end of a device flow sign-in: nothing to return to
    if (response.status === 200 && !form && html.includes("Sign-in Success")) return new URL(url);
    if (response.status !== 200 || !form) {
      throw new Error(
        `the provider answered ${response.status} at ${url} without a form or redirect ` +
          `(steps: ${seen.join(", ")}): ${html.slice(0, 300)}`,
      );
    }
    // the development login page takes any password; the other forms are submitted as given
    body = form.fields;
    if (body.has("login")) {
      body.set("login", username);
      body.set("password", "x");
    }
    url = new URL(form.action, url).href;
  }
  throw new Error(`no redirect to ${callbackPrefix} after ${MAX_STEPS} steps: ${seen.join(", ")}`);
}
