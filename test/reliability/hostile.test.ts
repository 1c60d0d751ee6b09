/**
 * Hostile input over real stdio against the JSON store: hostile-suite.ts says what is thrown at
 * every tool and what must hold afterwards.
 */
import { hostileSuite } from "./hostile-suite.js";

hostileSuite({ name: "json", memory: {}, env: () => ({}) });
