/**
 * One timed rescore after a scoring-map edit, in a process of its own so its peak RSS is its own
 * (bench/rescore.ts builds the store and runs this). Prints one JSON line.
 *
 *   node --import tsx bench/rescore-once.ts DB CONNECTOR_ID
 */
import { validateScoringMap } from '../src/normalize/scoring/scoring-map.js';
import { ScoringMapRepository } from '../src/store/connectors/scoring-map-repository.js';
import { openStore } from '../src/store/db/open-store.js';
import { rescoreConnector } from '../src/store/derive/rescore-connector.js';

const [db, id] = process.argv.slice(2);
if (!db || !id) throw new Error('usage: rescore-once.ts DB CONNECTOR_ID');
const connectorId = Number(id);
const store = await openStore(db);
// The edit: High findings become the top severity, Medium ones drop a level, as a team might decide.
const edited = validateScoringMap({
  rows: [
    { match: 'Critical', severity: 5, score: 100 },
    { match: 'High', severity: 5, score: 90 },
    { match: 'Medium', severity: 2, score: 40 },
    { match: 'Low', severity: 1, score: 15 },
    { match: 'Informational', severity: 1, score: 0 },
  ],
  defaultSeverity: 3,
});
await new ScoringMapRepository(store).set(connectorId, edited, new Date().toISOString());
// Peak RSS is sampled, not read from getrusage: Linux carries ru_maxrss across execve, so a child
// spawned by the (large) build process would report the parent's size.
let peakRss = process.memoryUsage().rss;
const sample = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);
let lastSay = 0;
const started = performance.now();
const result = await rescoreConnector(store, connectorId, {
  at: new Date().toISOString(),
  onProgress: (done, of) => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const now = performance.now();
    if (now - lastSay > 5000) {
      lastSay = now;
      process.stderr.write(`rescored ${done} of ${of}\n`);
    }
  },
});
const rescoreSeconds = (performance.now() - started) / 1000;
await store.close();
clearInterval(sample);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
process.stdout.write(`${JSON.stringify({ ...result, rescoreSeconds, peakRssMb: peakRss / 1048576 })}\n`);
