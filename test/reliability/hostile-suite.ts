/**
 * Hostile input over real stdio, for any backend (hostile.test.ts runs it on the JSON store,
 * test/store/postgres/hostile.system.test.ts on PostgreSQL). fast-check throws random and adversarial
 * arguments at every tool the server lists (wrong types, huge strings, deep nesting, __proto__/constructor keys, unicode
 * and control characters, path traversal), raw lines carry what JSON.stringify cannot (NaN,
 * Infinity, invalid UTF-8, 100k-deep nesting), and fixed cases cover 8-10 MB values, 100k-entry
 * batches and export/import through symlinks. Every call must get a result or isError, the
 * process must stay up, nothing may appear outside the project, and the store must stay valid.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Connected, call, connect, RawServer, textOf } from "../helpers.js";
import { exportAll, SEED, STRESS } from "./harness.js";

export interface HostileTarget {
  name: string;
  /** Fields of the project's `memory` config that choose and set up the backend. */
  memory: Record<string, unknown>;
  /** The environment the project's server processes need (a database URL, say). */
  env(): Promise<Record<string, string>> | Record<string, string>;
  cleanup?(): Promise<void>;
}

export function hostileSuite(target: HostileTarget): void {
  /** The project sits alone in a container directory: anything else appearing there escaped it. */
  let container: string;
  let dir: string;
  let s: Connected;
  let toolNames: string[] = [];
  let toolProps = new Map<string, string[]>();
  let env: Record<string, string> = {};
  const OUTSIDE_ABS = path.join(tmpdir(), `memory-bank-hostile-outside-${process.pid}.json`);

  beforeAll(async () => {
    env = await target.env();
    container = realpathSync(mkdtempSync(path.join(tmpdir(), "memory-bank-hostile-")));
    dir = path.join(container, "project");
    mkdirSync(dir);
    writeFileSync(
      path.join(dir, "claude-flow.config.json"),
      JSON.stringify({
        memory: {
          limits: { maxValueBytes: 8 * 1024 * 1024 },
          store: { compactAfterBytes: 1 << 20 },
          ...target.memory,
        },
      }),
    );
    // A directory outside the project, and symlinks inside it pointing out.
    mkdirSync(path.join(container, "elsewhere"));
    writeFileSync(path.join(container, "elsewhere", "secret.json"), '{"entries":[]}');
    symlinkSync(path.join(container, "elsewhere"), path.join(dir, "link-out"));
    symlinkSync(path.join(container, "elsewhere", "secret.json"), path.join(dir, "secret-link.json"));
    symlinkSync(path.join(container, "elsewhere", "not-yet.json"), path.join(dir, "dangling.json"));
    s = await connect(dir, [], env);
    const { tools } = await s.client.listTools();
    toolNames = tools.map((t) => t.name);
    toolProps = new Map(tools.map((t) => [t.name, Object.keys(t.inputSchema.properties ?? {})]));
  });

  afterAll(async () => {
    await s?.close();
    await target.cleanup?.();
    rmSync(container, { recursive: true, force: true });
    rmSync(OUTSIDE_ABS, { force: true });
  });

  function assertContained(): void {
    expect(readdirSync(container).sort()).toEqual(["elsewhere", "project"]);
    expect(readdirSync(path.join(container, "elsewhere"))).toEqual(["secret.json"]);
    expect(existsSync(OUTSIDE_ABS)).toBe(false);
  }

  /** A result or an isError with a message: nothing else is acceptable. */
  function expectAnswered(
    r: { isError?: boolean; content: unknown; structuredContent?: unknown },
    what: string,
  ) {
    if (r.isError) {
      expect(textOf(r as Parameters<typeof textOf>[0]).length, what).toBeGreaterThan(0);
      expect(textOf(r as Parameters<typeof textOf>[0]), what).not.toMatch(/internal error/);
    } else {
      expect(r.structuredContent, what).toBeDefined();
    }
  }

  const nasty = [
    "__proto__",
    "constructor",
    "prototype",
    "toString",
    "hasOwnProperty",
    "../../../../etc/passwd",
    "/etc/passwd",
    "..",
    ".",
    "",
    " ",
    "\u0000",
    "a\u0000b",
    "\u001b[31mred",
    "\r\n",
    "\u2028\u2029",
    "\ud800",
    "\udfff\ud800",
    "🧠💾",
    "ﷺ",
    "e\u0301",
    "%2e%2e%2f",
    "C:\\Windows\\system32",
    "memory/claude-flow-data.journal",
    "memory/claude-flow-data.json",
    "memory/backups",
    "link-out/x.json",
    "secret-link.json",
    "dangling.json",
    OUTSIDE_ABS,
    "x".repeat(5000),
  ];

  const hostileValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      fc.constantFrom(...nasty),
      fc.string({ unit: "binary", maxLength: 64 }),
      fc.string({ unit: "grapheme", maxLength: 32 }),
      fc.integer(),
      fc.double(),
      fc.constantFrom(0, -0, -1, 1e308, -1e308, 2 ** 53 + 1, 0.5, 1024, 1025, 100_000, 100_001),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie("value"), { maxLength: 5 }),
      fc.dictionary(
        fc.oneof(fc.constantFrom(...nasty.slice(0, 6)), fc.string({ maxLength: 8 })),
        tie("value"),
        {
          maxKeys: 5,
        },
      ),
    ),
  })).value;

  /** Arguments for a tool: its own field names with hostile values, plus stray fields. */
  function argsFor(tool: string): fc.Arbitrary<Record<string, unknown>> {
    const props = toolProps.get(tool) ?? [];
    return fc
      .tuple(
        fc.subarray(props),
        fc.array(hostileValue, { minLength: props.length, maxLength: props.length }),
        fc.dictionary(fc.constantFrom("__proto__", "constructor", "extra", "", "id"), hostileValue, {
          maxKeys: 2,
        }),
      )
      .map(([chosen, values, extra]) => {
        const args: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(extra))
          Object.defineProperty(args, k, { value: v, enumerable: true, writable: true, configurable: true });
        chosen.forEach((k, i) => {
          args[k] = values[i];
        });
        return args;
      });
  }

  /** Builds `depth` levels of nested arrays around a string, without recursion. */
  function nested(depth: number): unknown {
    let v: unknown = "bottom";
    for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { [`k${i % 7}`]: v, constructor: i };
    return v;
  }

  let tried = 0;

  describe(`${target.name}: random and adversarial arguments to every tool`, () => {
    it(`every listed tool answers with a result or isError, never a crash (seed ${SEED})`, async () => {
      expect(toolNames.length).toBeGreaterThanOrEqual(5);
      const runs = STRESS ? 600 : 50;
      for (const [i, tool] of toolNames.entries()) {
        await fc.assert(
          fc.asyncProperty(argsFor(tool), async (args) => {
            tried++;
            const r = await call(s.client, tool, args);
            expectAnswered(r, `${tool} ${JSON.stringify(args).slice(0, 300)}`);
          }),
          { numRuns: runs, seed: SEED + i, endOnFailure: true },
        );
      }
      await s.client.ping();
      assertContained();
    }, 120_000);

    it("deep nesting, __proto__ payloads and unicode keys are stored as data, not as behaviour", async () => {
      const proto = JSON.parse(
        '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}',
      );
      for (const [key, value] of [
        ["deep", nested(2000)],
        ["proto", proto],
        ["🧠/ключ/鍵", "unicode key"],
        ["constructor", "a key named constructor"],
        ["__proto__", "a key named __proto__"],
      ] as const) {
        tried++;
        const r = await call(s.client, "memory_store", {
          key,
          value,
          namespace: "hostile",
          tags: ["__proto__", "constructor"],
        });
        expectAnswered(r, key);
        expect(r.isError, `${key}: ${textOf(r)}`).toBeFalsy();
      }
      const back = await call(s.client, "memory_query", { key: "proto", namespace: "hostile" });
      const v = (back.structuredContent as { results: Array<{ value: Record<string, unknown> }> }).results[0]
        ?.value;
      expect(Object.keys(v ?? {}).sort()).toEqual(["__proto__", "constructor"]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      const byTag = await call(s.client, "memory_query", {
        query: "constructor",
        tags: ["__proto__"],
        namespace: "hostile",
      });
      expectAnswered(byTag, "search for constructor");
      for (const mode of ["hybrid", "fulltext", "fuzzy", "exact"]) {
        for (const q of ["__proto__", "constructor", "toString", "hasOwnProperty", "🧠"]) {
          tried++;
          expectAnswered(await call(s.client, "memory_query", { query: q, mode }), `${mode} ${q}`);
        }
      }
    });
  });

  describe(`${target.name}: limits`, () => {
    it("a value at the 8 MiB ceiling is stored and read back intact, a 10 MB one is refused", async () => {
      const big = "v".repeat(8 * 1024 * 1024 - 2); // JSON adds the two quotes
      tried += 2;
      const r = await call(s.client, "memory_store", { key: "eight-mb", value: big, namespace: "hostile" });
      expect(r.isError, textOf(r)).toBeFalsy();
      const all = await exportAll(s.client, dir, "eight-mb");
      expect((all.get("hostile/eight-mb")?.value as string | undefined)?.length).toBe(big.length);
      const got = await call(s.client, "memory_get", { key: "eight-mb", namespace: "hostile" });
      expect(got.isError, textOf(got)).toBeFalsy();
      const tooBig = await call(s.client, "memory_store", {
        key: "too-big",
        value: "v".repeat(10 * 1024 * 1024),
      });
      expect(tooBig.isError).toBe(true);
      expect(textOf(tooBig)).toMatch(/LIMIT_EXCEEDED/);
    });

    it("a 100,000-entry batch is stored whole; 100,001 entries are refused with a message", async () => {
      const n = 100_000;
      const entries = Array.from({ length: n }, (_, i) => ({ key: `bulk/${i}`, value: i }));
      tried += 2;
      const r = await call(s.client, "batch_store", { entries, namespace: "bulk" }, 120_000);
      expect(r.isError, textOf(r)).toBeFalsy();
      expect(r.structuredContent).toMatchObject({ stored: n, failed: 0 });
      const over = await call(s.client, "batch_store", {
        entries: [...entries, { key: "one-more", value: 1 }],
      });
      expect(over.isError).toBe(true);
      expect(textOf(over)).toMatch(/100000/);
    }, 120_000);
  });

  describe(`${target.name}: paths for export and import`, () => {
    const refusedPaths = [
      "../escape.json",
      "../../escape.json",
      "memory/../../escape.json",
      OUTSIDE_ABS,
      "link-out/escape.json",
      "secret-link.json",
      "dangling.json",
      "a\u0000b.json",
      ".",
      "",
    ];
    it("export refuses every path that leads outside the project, and the store's own files", async () => {
      for (const p of [
        ...refusedPaths,
        "memory/claude-flow-data.journal",
        "memory/claude-flow-data.json",
        "memory/claude-flow-data.json.lock",
        "memory/backups/claude-flow-data.1.json",
      ]) {
        tried++;
        const r = await call(s.client, "export", { path: p });
        expect(r.isError, `export to ${JSON.stringify(p)}: ${textOf(r)}`).toBe(true);
        expect(textOf(r)).not.toMatch(/internal error/);
      }
      assertContained();
      // The store is untouched and still serves.
      const q = await call(s.client, "memory_query", { key: "proto", namespace: "hostile" });
      expect((q.structuredContent as { results: unknown[] }).results).toHaveLength(1);
    });

    it("import refuses every path that leads outside the project", async () => {
      if (!toolNames.includes("import")) return;
      for (const p of refusedPaths) {
        tried++;
        const r = await call(s.client, "import", { path: p });
        expect(r.isError, `import from ${JSON.stringify(p)}: ${textOf(r)}`).toBe(true);
        expect(textOf(r)).not.toMatch(/internal error/);
      }
      const q = await call(s.client, "memory_query", { keyPrefix: "", namespace: "elsewhere" });
      expectAnswered(q, "nothing imported");
      assertContained();
    });
  });

  describe(`${target.name}: raw protocol lines`, () => {
    it("NaN, Infinity, invalid UTF-8, 100k-deep nesting and broken JSON get answers; the server stays up", async () => {
      const raw = new RawServer(dir, env);
      try {
        await raw.init();
        const call = (id: number, args: string) =>
          `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"memory_store","arguments":${args}}}`;
        const cases: Array<[string | Buffer, number]> = [
          [call(1, '{"key":"nan","value":NaN}'), 1],
          [call(2, '{"key":"inf","value":Infinity}'), 2],
          [call(3, '{"key":"neg","value":-Infinity}'), 3],
          [
            Buffer.concat([
              Buffer.from(call(4, '{"key":"bad-utf8","value":"')),
              Buffer.from([0xff, 0xfe, 0xc0]),
              Buffer.from('"}'),
            ]),
            4,
          ],
          [call(5, `{"key":"deep","value":${"[".repeat(100_000)}${"]".repeat(100_000)}}`), 5],
          [call(6, '{"key":"dup","key":"dup2","value":1}'), 6],
          [call(7, '{"key":"trunc","value":'), 7],
          [call(8, '{"__proto__":{"key":"polluted"},"value":1}'), 8],
          [call(9, '{"key":"big-int","value":123456789012345678901234567890}'), 9],
          [
            `{"jsonrpc":"2.0","id":10,"method":"tools/call","params":{"name":"no_such_tool","arguments":{}}}`,
            10,
          ],
          [
            `{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":"memory_store","arguments":"not an object"}}`,
            11,
          ],
          [`{"jsonrpc":"2.0","id":12,"method":"no/such/method"}`, 12],
        ];
        for (const [line, id] of cases) {
          tried++;
          const m = await raw.send(line, id);
          expect(m.id, String(line).slice(0, 100)).toBe(id);
          const failed =
            m.error !== undefined || (m.result as { isError?: boolean } | undefined)?.isError === true;
          const ok =
            (m.result as { structuredContent?: unknown } | undefined)?.structuredContent !== undefined;
          expect(failed || ok, String(line).slice(0, 100)).toBe(true);
        }
        const ping = await raw.send('{"jsonrpc":"2.0","id":99,"method":"ping"}', 99);
        expect(ping.result).toEqual({});
        expect(raw.exited).toBe(false);
      } finally {
        raw.kill();
      }
    });
  });

  describe(`${target.name}: the store after all of it`, () => {
    it("is valid: a fresh process opens it and exports every entry", async () => {
      const fresh = await connect(dir, [], env);
      try {
        const all = await exportAll(fresh.client, dir, "after-hostile");
        expect(all.get("bulk/bulk/99999")?.value).toBe(99_999);
        expect(all.has("hostile/eight-mb")).toBe(true);
        expect(fresh.stderr()).not.toMatch(/corrupt|damaged|torn/i);
      } finally {
        await fresh.close();
      }
      assertContained();
      process.stderr.write(
        `hostile (${target.name}) seed ${SEED}: ${tried} hostile inputs over ${toolNames.length} tools, 0 crashes\n`,
      );
    });
  });
}
