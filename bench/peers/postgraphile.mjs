// PostGraphile 5 as a benchmark peer of assetgraph: the `public` schema of the bench database,
// served at http://127.0.0.1:PORT/graphql by grafserv on Node's http server.
//
// Usage: node postgraphile.mjs PORT CONNECTION_STRING
// The amber preset with its defaults (pg pool of 10, no JWT, no RLS roles). Note: W3 spells a
// 20-level upstream chain out as nested relations, which passes Grafast's default maximum
// planning depth of 100; raising it ran Node out of heap while planning, so W3 is refused.

import { createServer } from "node:http";

import { makePgService } from "postgraphile/adaptors/pg";
import { grafserv } from "postgraphile/grafserv/node";
import { postgraphile } from "postgraphile";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";

const [port, connectionString] = process.argv.slice(2);
if (!port || !connectionString) {
  console.error("usage: node postgraphile.mjs PORT CONNECTION_STRING");
  process.exit(2);
}

const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [makePgService({ connectionString, schemas: ["public"] })],
  grafserv: { port: Number(port), host: "127.0.0.1" },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on("error", (error) => {
  console.error(error);
  process.exit(1);
});
await serv.addTo(server);
server.listen(Number(port), "127.0.0.1", () => {
  console.log(`postgraphile listening on http://127.0.0.1:${port}/graphql`);
});

async function stop() {
  server.close();
  server.closeAllConnections();
  await pgl.release();
  process.exit(0);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
