import { describe, expect, it } from "vitest";
import { stem, tokens } from "../../src/search/index.js";

describe("tokenize", () => {
  it.each([
    ["authService", "authservice"],
    ["auth_service", "authservice"],
    ["auth-service", "authservice"],
    ["AuthService", "authservice"],
  ])("splits %s into the whole word and its parts", (input, whole) => {
    expect(tokens(input)).toEqual([whole, "auth", "service"]);
  });

  it("splits an acronym from the word after it", () => {
    expect(tokens("HTTPServer")).toEqual(["httpserver", "http", "server"]);
  });

  it("splits dotted paths", () => {
    expect(tokens("db.pool.maxSize")).toEqual(["dbpoolmaxsize", "db", "pool", "max", "size"]);
  });

  it("lower-cases plain words and ignores punctuation at word ends", () => {
    expect(tokens("Hello, World. (again)")).toEqual(["hello", "world", "again"]);
  });

  it("keeps letters of any script and digits", () => {
    expect(tokens("Größe 数据库 Ελλάδα 5432")).toEqual(["größe", "数据库", "ελλάδα", "5432"]);
  });

  it("separates letters from digits inside identifiers", () => {
    expect(tokens("sha256sum")).toEqual(["sha256sum", "sha", "256", "sum"]);
  });

  it("folds full-width forms", () => {
    expect(tokens("ｃｏｄｅ")).toEqual(["code"]);
  });

  it("drops single ASCII characters and over-long blobs", () => {
    expect(tokens("it's e.g. x")).toEqual(["it", "eg"]);
    expect(tokens("a".repeat(65))).toEqual([]);
  });
});

describe("stem", () => {
  it.each([
    [["replication", "replicate", "replicated", "replicating"]],
    [["authenticate", "authentication", "authenticated"]],
    [["connection", "connections", "connected", "connecting"]],
    [["policy", "policies"]],
    [["deploy", "deploys", "deployed", "deploying"]],
  ])("makes a word family meet: %j", (family) => {
    expect(new Set(family.map(stem)).size).toBe(1);
  });

  it("keeps unrelated words apart", () => {
    expect(stem("cache")).not.toBe(stem("catch"));
    expect(stem("server")).not.toBe(stem("serve"));
  });

  it("leaves identifiers with digits, short words and other scripts alone", () => {
    expect(stem("v2ed")).toBe("v2ed");
    expect(stem("is")).toBe("is");
    expect(stem("größe")).toBe("größe");
  });
});
