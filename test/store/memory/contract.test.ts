/** The in-memory store held to the Backend contract: instances over one MemorySpace share it. */
import { MemorySpace, MemoryStore } from "../../../src/store/memory/memory-store.js";
import { backendContract } from "../contract.js";

backendContract("memory", {
  place: () => new MemorySpace(),
  create: (space, options) => new MemoryStore({ space: space as MemorySpace, ...options }),
});
