/**
 * The package.json a tarball carries. `prepare` builds dist/ for a clone (`npm install` in a
 * checkout); an installed package already holds dist/, and the mere presence of `prepare` in
 * its manifest makes npm warn every user who installs it about install scripts. So `npm pack`
 * strips it for the tarball (prepack: `strip`) and puts the manifest back afterwards (postpack:
 * `restore`), byte for byte.
 *
 *   node scripts/pack-manifest.mjs strip|restore
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";

const MANIFEST = "package.json";
const SAVED = "package.json.unpacked";

const step = process.argv[2];
if (step === "strip") {
  const text = readFileSync(MANIFEST, "utf8");
  // Saved first: whatever happens next, `restore` (or a person) can put it back.
  writeFileSync(SAVED, text);
  const manifest = JSON.parse(text);
  delete manifest.scripts.prepare;
  writeFileSync(MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
} else if (step === "restore") {
  if (existsSync(SAVED)) renameSync(SAVED, MANIFEST);
} else {
  process.stderr.write("usage: node scripts/pack-manifest.mjs strip|restore\n");
  process.exit(2);
}
