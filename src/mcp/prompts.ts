/**
 * Prompts a person runs as slash commands (Claude Code: /mcp__memory-bank__recall ...). Each one
 * does its work with the store when it is run and hands the model what it found or did:
 * - recall: what the memory holds about a topic (ranked search, within a token budget);
 * - save-decision: stores a decision with its context under decisions/<slug> and shows related
 *   decisions already there;
 * - handover: stores a handover record for a task (what is known, what is next) that another
 *   agent picks up with recall or by reading its resource;
 * - review-changes: every entry changed since a time (e.g. 2h, 1d or an ISO date).
 * Every argument completes: topics and keys from the stored keys, namespaces from those in use.
 */
import { completable } from "@modelcontextprotocol/sdk/server/completable.js";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ErrorCode, type GetPromptResult, McpError } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { parseDuration } from "../domain/duration.js";
import { errorMessage, MemoryError } from "../domain/errors.js";
import type { MemoryBank } from "../service/bank.js";
import { brief } from "../service/operations/operation.js";
import type { QueryOutput } from "../service/operations/query.js";
import { completeKey, completeNamespace, entryUri } from "../service/resources.js";

/** Budget of what a prompt puts in front of the model (the same approximation as memory_query's). */
const PROMPT_TOKENS = 4000;
const SINCE_SUGGESTIONS = ["1h", "6h", "24h", "3d", "7d", "30d"];

export function registerPrompts(server: McpServer, bank: MemoryBank): void {
  const namespaceArg = () =>
    completable(
      z.string().optional().describe("Namespace (default: all for searches, as noted otherwise)."),
      (v) => completeNamespace(bank.read(), v ?? ""),
    );
  const keyLike = (description: string, namespace?: string) =>
    completable(z.string().describe(description), (v, context) =>
      completeKey(bank.read(), v ?? "", context?.arguments?.namespace || namespace),
    );

  server.registerPrompt(
    "recall",
    {
      title: "Recall a topic",
      description: "What the shared memory holds about a topic: the best matches, ranked, ready to use.",
      argsSchema: { topic: keyLike("What to recall, e.g. 'auth flow' or a key"), namespace: namespaceArg() },
    },
    async ({ topic, namespace }) =>
      run(async () => {
        const found = await bank.query({
          query: topic,
          limit: 20,
          maxTokens: PROMPT_TOKENS,
          ...(namespace ? { namespace } : {}),
        });
        return message(
          found.results.length === 0
            ? `The shared memory holds nothing about "${topic}"${namespace ? ` in namespace ${namespace}` : ""}. Say so, and save what you learn with memory_store.`
            : [
                `The shared memory holds this about "${topic}"${namespace ? ` (namespace ${namespace})` : ""}. Use it, cite keys, and say what is missing or stale:`,
                "",
                ...lines(found),
              ].join("\n"),
        );
      }),
  );

  server.registerPrompt(
    "save-decision",
    {
      title: "Save a decision",
      description:
        "Stores a decision with its context in namespace 'decisions' (key decisions/<slug>, tagged 'decision'), and shows related decisions already stored.",
      argsSchema: {
        decision: z.string().describe("The decision, e.g. 'use postgres for sessions'"),
        context: z.string().optional().describe("Why, what was considered, who decided"),
        key: completable(
          z.string().optional().describe("Key to store it under (default: decisions/<slug of the decision>)"),
          (v) => completeKey(bank.read(), v ?? "", "decisions"),
        ),
      },
    },
    async ({ decision, context, key }) =>
      run(async () => {
        const related = await bank.query({
          query: decision,
          namespace: "decisions",
          limit: 5,
          maxTokens: 1500,
        });
        const stored = await bank.storeEntry({
          key: key?.trim() || `decisions/${slug(decision)}`,
          namespace: "decisions",
          value: { decision, ...(context ? { context } : {}), decidedAt: new Date(bank.now()).toISOString() },
          tags: ["decision"],
          type: "semantic",
        });
        const others = related.results.filter((r) => r.key !== stored.entry.key);
        return message(
          [
            `Stored the decision as ${entryUri("decisions", stored.entry.key)} (version ${stored.entry.version}${stored.created ? ", new" : ", updated"}):`,
            `"${decision}"${context ? `\nContext: ${context}` : ""}`,
            ...(others.length
              ? [
                  "",
                  "Related decisions already stored: check that none contradicts it, and say so if one does:",
                  ...lines({ ...related, results: others }),
                ]
              : []),
            "",
            "Confirm it to the user in one sentence.",
          ].join("\n"),
        );
      }),
  );

  server.registerPrompt(
    "handover",
    {
      title: "Hand a task over",
      description:
        "Stores a handover record for a task in namespace 'tasks' (key handover/<slug>) with what the memory holds about it, for another agent to pick up.",
      argsSchema: {
        task: keyLike("The task, e.g. 'migrate the session store'"),
        to: z.string().optional().describe("Who picks it up (an agent or a person)"),
        notes: z.string().optional().describe("State, next steps, open questions"),
      },
    },
    async ({ task, to, notes }) =>
      run(async () => {
        const found = await bank.query({ query: task, limit: 10, maxTokens: 2000 });
        const key = `handover/${slug(task)}`;
        const stored = await bank.storeEntry({
          key,
          namespace: "tasks",
          value: {
            task,
            ...(to ? { to } : {}),
            ...(notes ? { notes } : {}),
            related: found.results.map((r) => entryUri(r.namespace, r.key)),
            handedOverAt: new Date(bank.now()).toISOString(),
          },
          tags: ["handover", ...(to ? [to.slice(0, 64)] : [])],
          type: "episodic",
        });
        return message(
          [
            `Handed over "${task}"${to ? ` to ${to}` : ""}: stored as ${entryUri("tasks", key)} (version ${stored.entry.version}).`,
            notes
              ? `Notes: ${notes}`
              : "No notes were given: add the current state and next steps with memory_store on that key.",
            "",
            found.results.length
              ? "What the memory holds about the task (linked in the record):"
              : "The memory holds nothing else about the task yet.",
            ...lines(found),
            "",
            `The next agent runs the recall prompt with topic "${task}", or reads the record's resource.`,
          ].join("\n"),
        );
      }),
  );

  server.registerPrompt(
    "review-changes",
    {
      title: "Review changes since a time",
      description:
        "Every entry changed since a time (a duration back from now such as 2h or 7d, or an ISO date), newest first.",
      argsSchema: {
        since: completable(z.string().describe("2h, 1d, 7d ... or an ISO 8601 date"), (v) =>
          SINCE_SUGGESTIONS.filter((s) => s.startsWith(v ?? "")),
        ),
        namespace: namespaceArg(),
      },
    },
    async ({ since, namespace }) =>
      run(async () => {
        const from = sinceOf(since, bank.now());
        const found = await bank.query({
          since: new Date(from).toISOString(),
          limit: 100,
          maxTokens: PROMPT_TOKENS,
          ...(namespace ? { namespace } : {}),
        });
        return message(
          found.results.length === 0
            ? `Nothing changed in the shared memory since ${new Date(from).toISOString()}${namespace ? ` in namespace ${namespace}` : ""}.`
            : [
                `Entries changed since ${new Date(from).toISOString()}${namespace ? ` in namespace ${namespace}` : ""}, newest first. Summarize what changed and flag anything that conflicts:`,
                "",
                ...lines(found),
              ].join("\n"),
        );
      }),
  );
}

function lines(found: QueryOutput): string[] {
  return [
    ...found.results.map(
      (r) =>
        `- ${entryUri(r.namespace, r.key)} (updated ${r.updatedAt}${r.tags.length ? `; tags ${r.tags.join(", ")}` : ""}): ${brief(r.value, 600)}${r.preview ? " [preview: read the resource for all of it]" : ""}`,
    ),
    ...(found.nextCursor || found.omitted?.results
      ? ["- (more matched: use memory_query for the rest)"]
      : []),
  ];
}

function message(text: string): GetPromptResult {
  return { messages: [{ role: "user", content: { type: "text", text } }] };
}

/** A key-safe short form of a phrase: 'Use Postgres for sessions!' -> 'use-postgres-for-sessions'. */
export function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .normalize("NFKD")
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 80) || "untitled"
  );
}

function sinceOf(since: string, now: number): number {
  const ms = parseDuration(since.trim());
  if (ms !== undefined) return now - ms;
  const at = Date.parse(since);
  if (!Number.isNaN(at)) return at;
  throw new MemoryError(
    "INVALID_INPUT",
    `since '${since.slice(0, 100)}' is neither a duration (2h, 7d) nor an ISO 8601 date`,
  );
}

/** Errors as the client sees a prompt's: invalid params naming the fix. */
async function run(work: () => Promise<GetPromptResult>): Promise<GetPromptResult> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof MemoryError)
      throw new McpError(ErrorCode.InvalidParams, `${error.message} [${error.code}]`);
    throw new McpError(ErrorCode.InternalError, `internal error: ${errorMessage(error)}`);
  }
}
