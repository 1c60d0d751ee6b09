/**
 * What some system tests need from the machine, brought by the tests themselves: libfaketime (to
 * run a server whose clock is wrong), a small tmpfs (a disk that really fills up), a read-only
 * mount, and a process without root's permission override. CI runs as
 * root on a fresh Debian machine, so a missing package is installed with apt-get; anything that
 * cannot be had fails the test loudly with what to do, never skips it silently.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";

const FAKETIME_LIBS = [
  "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
  "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
  "/usr/lib/faketime/libfaketime.so.1",
  "/usr/local/lib/faketime/libfaketime.so.1",
];

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

function findFaketime(): string | undefined {
  return FAKETIME_LIBS.find((p) => existsSync(p));
}

/** Installs a Debian package as root (apt-get update first: a fresh machine has no package lists). */
export function aptInstall(pkg: string): void {
  if (!isRoot()) {
    throw new Error(`this test needs the Debian package '${pkg}': run 'sudo apt-get install ${pkg}'`);
  }
  const opts = { stdio: "pipe" as const, timeout: 600_000 };
  // Parallel test files may install at once: wait for dpkg's lock instead of failing on it.
  const lock = ["-o", "DPkg::Lock::Timeout=300"];
  try {
    execFileSync("apt-get", ["install", "-y", "--no-install-recommends", ...lock, pkg], opts);
  } catch {
    execFileSync("apt-get", ["update", ...lock], opts);
    execFileSync("apt-get", ["install", "-y", "--no-install-recommends", ...lock, pkg], opts);
  }
}

/**
 * Environment that makes a child process's clock run `offset` from the real one ("+1h", "-40d"),
 * through libfaketime. The kernel's own file times are not affected, as on a machine whose
 * clock jumped for one process only.
 */
export function faketimeEnv(offset: string): Record<string, string> {
  let lib = findFaketime();
  if (!lib) {
    aptInstall("faketime");
    lib = findFaketime();
  }
  if (!lib) throw new Error("libfaketime.so.1 not found after installing the 'faketime' package");
  const env = { LD_PRELOAD: lib, FAKETIME: offset, FAKETIME_DONT_RESET: "1" };
  // A library that loads but does not shift the clock would let every clock test pass on code
  // that still trusts the process's clock.
  const seen = Number(
    spawnSync(process.execPath, ["-e", "process.stdout.write(String(Date.now()))"], {
      env: { PATH: process.env.PATH ?? "", ...env },
      encoding: "utf8",
    }).stdout,
  );
  if (!Number.isFinite(seen) || Math.abs(seen - Date.now()) < 60_000) {
    throw new Error(`libfaketime at ${lib} did not shift the clock of a child process by ${offset}`);
  }
  return env;
}

/**
 * Mounts a tmpfs of `size` at `dir` (created if needed): a real disk that fills up. Needs root
 * (CI runs as root); elsewhere the error says so. Returns the unmount function.
 */
export function mountTmpfs(dir: string, size: string): () => void {
  mkdirSync(dir, { recursive: true });
  if (!isRoot()) {
    throw new Error(`mounting a ${size} tmpfs at ${dir} needs root: run this test as root (CI does)`);
  }
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0700`, "tmpfs", dir], { stdio: "pipe" });
  } catch (error) {
    throw new Error(
      `could not mount a tmpfs at ${dir} (${(error as Error).message.trim()}): the full-disk tests need a machine where root may mount tmpfs`,
    );
  }
  return () => {
    execFileSync("umount", ["-l", dir], { stdio: "pipe" });
  };
}

function run(command: string, args: string[]): void {
  try {
    execFileSync(command, args, { stdio: "pipe" });
  } catch (error) {
    throw new Error(`${command} ${args.join(" ")} failed: ${(error as Error).message.trim()}`);
  }
}

/**
 * Makes `dir` read-only (EROFS for every write) by bind-mounting it onto itself read-only; returns
 * the function that undoes it. Needs root (CI runs as root); elsewhere the error says so.
 */
export function mountReadOnly(dir: string): () => void {
  if (!isRoot()) {
    throw new Error(`mounting ${dir} read-only needs root: run this test as root (CI does)`);
  }
  run("mount", ["--bind", dir, dir]);
  try {
    run("mount", ["-o", "remount,ro,bind", dir]);
  } catch (error) {
    run("umount", [dir]);
    throw error;
  }
  return () => run("umount", [dir]);
}

/**
 * The command prefix under which a process gets EACCES from file permissions: root keeps its
 * uid but loses the capabilities that override permissions (setpriv, util-linux); any other
 * user has none to lose.
 */
export function withoutPermissionOverride(): string[] {
  if (!isRoot()) return [];
  run("setpriv", ["--version"]);
  return ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--"];
}

const CHROMIUM_PATHS = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium"];

/**
 * The Chromium the browser tests drive (playwright-core brings no browser of its own): the one in
 * MEMORY_BANK_CHROMIUM, else Debian's, installed with apt-get when missing. No browser is a
 * failure that says why, never a skipped test.
 */
export function chromiumPath(): string {
  const wanted = process.env.MEMORY_BANK_CHROMIUM;
  if (wanted) {
    if (!existsSync(wanted)) throw new Error(`MEMORY_BANK_CHROMIUM is ${wanted}, which does not exist`);
    return wanted;
  }
  let found = CHROMIUM_PATHS.find((p) => existsSync(p));
  if (!found) {
    try {
      aptInstall("chromium");
    } catch (error) {
      throw new Error(
        `the browser tests need Chromium and none was found at ${CHROMIUM_PATHS.join(", ")}; installing the Debian package 'chromium' failed: ${(error as Error).message.trim()}. Install it (apt-get install chromium) or set MEMORY_BANK_CHROMIUM to a Chromium binary`,
      );
    }
    found = CHROMIUM_PATHS.find((p) => existsSync(p));
  }
  if (!found)
    throw new Error(
      `the Debian package 'chromium' is installed but no binary is at ${CHROMIUM_PATHS.join(", ")}`,
    );
  return found;
}

/** Chromium's flags for a test run: root has no user namespace sandbox to give it. */
export function chromiumArgs(): string[] {
  return isRoot() ? ["--no-sandbox"] : [];
}
