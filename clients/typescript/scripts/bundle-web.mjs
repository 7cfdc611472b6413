// Bundles the web page's code (clients/web/src/app.ts, which imports this package's sources)
// with its dependencies into one browser script, clients/web/dist/opg.js: the page is static
// files, served as they are (scripts/serve-web.sh).
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const web = fileURLToPath(new URL("../../web/", import.meta.url));

await build({
  entryPoints: [`${web}src/app.ts`],
  outfile: `${web}dist/opg.js`,
  bundle: true,
  // A classic script (not a module): it runs however the server labels .js files.
  format: "iife",
  platform: "browser",
  // BigInt (balances, i128 fixed point) needs ES2020.
  target: ["es2020"],
  minify: true,
  sourcemap: true,
  legalComments: "linked",
  logLevel: "warning",
});
