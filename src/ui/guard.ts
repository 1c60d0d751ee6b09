/**
 * Who may talk to the page's server. It listens on loopback only, but every local user and every
 * web page open in a browser can reach loopback, so:
 * - the URL printed at start carries a random token, good for one load; that load exchanges it
 *   for a session cookie (HttpOnly, SameSite=Strict), so the token does not linger in the
 *   address bar or the history, and scripts on the page cannot read the cookie;
 * - the Host header must name this server (a DNS-rebinding page reaches us under its own name);
 * - a request that carries an Origin must come from this server's origin, and a request that
 *   changes anything must carry one (browsers always send it on a POST);
 * - no CORS headers are ever sent, so other origins cannot read any answer.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";

export type Verdict =
  | { ok: true }
  /** `exchange`: a valid token was presented; set the cookie and send the browser on without it. */
  | { ok: true; exchange: string }
  | { ok: false; status: 401 | 403; reason: string };

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class Guard {
  readonly token = randomBytes(24).toString("base64url");
  private session: string | undefined;
  private spent = false;
  /** Cookies are not kept apart by port: each server names its own, so two pages never clash. */
  cookieName = "memory-bank-ui";
  private hosts: Set<string> = new Set();
  private origins: Set<string> = new Set();

  /** Called once the port is known: the names this server answers to. */
  listening(port: number): void {
    this.cookieName = `memory-bank-ui-${port}`;
    this.hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
    this.origins = new Set([...this.hosts].map((h) => `http://${h}`));
  }

  check(req: IncomingMessage, url: URL): Verdict {
    const host = req.headers.host ?? "";
    if (!this.hosts.has(host.toLowerCase())) {
      return { ok: false, status: 403, reason: `Host '${host.slice(0, 100)}' is not this server` };
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !this.origins.has(origin)) {
      return { ok: false, status: 403, reason: `requests from ${origin.slice(0, 100)} are not allowed` };
    }
    const method = req.method ?? "GET";
    if (method !== "GET" && method !== "HEAD" && origin === undefined) {
      return { ok: false, status: 403, reason: `a ${method} must carry this server's Origin` };
    }
    if (req.headers["sec-fetch-site"] === "cross-site") {
      return { ok: false, status: 403, reason: "cross-site requests are not allowed" };
    }
    const token = url.searchParams.get("token");
    if (token !== null && method === "GET" && url.pathname === "/") {
      if (this.spent || !same(token, this.token)) {
        return {
          ok: false,
          status: 403,
          reason: this.spent
            ? "this link has been used already: run `memory-bank ui` again for a new one"
            : "wrong token: open the URL `memory-bank ui` printed",
        };
      }
      this.spent = true;
      this.session = randomBytes(32).toString("base64url");
      return { ok: true, exchange: this.session };
    }
    const cookie = cookieValue(req.headers.cookie, this.cookieName);
    if (this.session === undefined || cookie === undefined || !same(cookie, this.session)) {
      return {
        ok: false,
        status: 401,
        reason: "not signed in: open the URL (with its token) that `memory-bank ui` printed",
      };
    }
    return { ok: true };
  }

  cookie(session: string): string {
    return `${this.cookieName}=${session}; HttpOnly; SameSite=Strict; Path=/`;
  }
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
