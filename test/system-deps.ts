/**
 * What some system tests need from the machine, brought by the tests themselves: libfaketime (to
 * run a server whose clock is wrong) and a small tmpfs (a disk that really fills up). CI runs as
 * root on a fresh Debian machine, so a missing package is installed with apt-get; anything that
 * cannot be had fails the test loudly with what to do, never skips it silently.
 */
import { execFileSync } from "node:child_process";
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
  return { LD_PRELOAD: lib, FAKETIME: offset, FAKETIME_DONT_RESET: "1" };
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
