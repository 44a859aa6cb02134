// A stock Node LiveKit worker's stand-in for tests/e2e/livekit_standin.py: like
// `cli.runApp(new ServerOptions({agent}))` of @livekit/agents with no port line, it binds its
// health server to a fixed port through http.createServer().listen (AGENT_FIXED_PORT, default
// 8081, the framework's) and never reads SLIPWAY_HEALTH_PORT. Registers with the server
// (then logs `registered worker`), holds the calls it is given, and on its first SIGTERM
// drains them and exits 0. A taken port kills it, as it kills the framework (EADDRINUSE).
//
//   node node_agent.cjs start       (LIVEKIT_URL: ws://127.0.0.1:PORT of the stand-in)
'use strict';
const http = require('node:http');
const net = require('node:net');

const name = 'node-agent';
const log = (msg) => process.stdout.write(`${name}: ${msg}\n`);
const url = new URL(process.env.LIVEKIT_URL.replace(/^ws/, 'http'));
let registered = false;
let draining = false;
let active = 0;
let conn = null;

const tell = (obj) => conn && conn.write(JSON.stringify(obj) + '\n');
const lines = (sock, fn) => {
  let buf = '';
  sock.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        fn(JSON.parse(line));
      } catch (e) {
        if (!(e instanceof SyntaxError)) throw e;
      }
    }
  });
};

function maybeExit() {
  if (draining && active === 0) {
    log('drained, exiting');
    process.exit(0);
  }
}

function call(job) {
  active++;
  const s = net.connect(Number(url.port), url.hostname, () =>
    s.write(JSON.stringify({type: 'call', job, pid: process.pid, worker_pid: process.pid}) + '\n'));
  lines(s, (m) => {
    if (m.type !== 'end') return;
    s.end(JSON.stringify({type: 'finished'}) + '\n');
    log(`job ${job} finished`);
    active--;
    maybeExit();
  });
}

const health = http.createServer((req, res) => {
  res.statusCode = registered ? 200 : 503;
  res.end(registered ? 'OK' : 'not connected to livekit');
});
const fixed = Number(process.env.AGENT_FIXED_PORT || 8081);
health.listen(fixed, () =>
  log(`health server asked for port ${fixed}, listening on port ${health.address().port}`));

conn = net.connect(Number(url.port), url.hostname, () =>
  conn.write(JSON.stringify({type: 'register', pid: process.pid}) + '\n'));
lines(conn, (m) => {
  if (m.type === 'registered') {
    registered = true;
    log(`registered worker (id ${m.id}, agent ${name})`);
  } else if (m.type === 'job' && !draining) {
    log(`received job request ${m.id}`);
    call(m.id);
  }
});
conn.on('error', (e) => {
  log(`connection to livekit failed: ${e.message}`);
  process.exit(1);
});

process.on('SIGTERM', () => {
  tell({type: 'signal', name: 'SIGTERM'});
  if (draining) return;
  draining = true;
  log(`draining: no new consultations; waiting for ${active} running one(s)`);
  tell({type: 'draining'});
  maybeExit();
});
