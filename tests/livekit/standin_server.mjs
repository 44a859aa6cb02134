// A loopback stand-in for a LiveKit server's agent endpoint, for `make check-livekit`: enough
// of the real protocol (websocket /agent, protobuf WorkerMessage/ServerMessage from
// @livekit/protocol) for @livekit/agents workers to register, take a job, drain and leave.
// It keeps its own record, so the handover is judged by what the LiveKit side saw.
//
//   LK_MODULES=<node_modules dir> PORT_FILE=<file> node standin_server.mjs
//   POST /dispatch  a consultation (a job) for the newest available worker: {"job","worker_pid"}
//   POST /end       ends every live call: {"ended": n}
//   GET  /stats     {"workers": [...], "calls": [...]}
//   GET  /call?job=ID&pid=P   held by the job process for the length of the call
//
// Workers are told apart by the `deployment` they register with ("pid:<pid>", set by the
// check's agent). Times are Date.now() milliseconds. A call whose connection drops before
// /end is recorded as cut.
import { createRequire } from 'node:module';
import http from 'node:http';
import fs from 'node:fs';

const require = createRequire(process.env.LK_MODULES.replace(/\/?$/, '/'));
const { WebSocketServer } = require('ws');
const P = require('@livekit/protocol');

const workers = []; // {n, pid, registered_at, draining_at, closed_at, ws, pending}
const calls = [];   // {id, job_pid, started_at, ended_at, cut, res}
let jobs = 0;

const log = (s) => process.stdout.write(`livekit-standin: ${s}\n`);
const send = (ws, message) => ws.send(new P.ServerMessage({ message }).toBinary());
const json = (res, code, obj) => {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(obj) + '\n');
};

const server = http.createServer((req, res) => {
  const u = new URL(req.url, 'http://x');
  if (u.pathname === '/stats') {
    json(res, 200, {
      workers: workers.map(({ ws, pending, ...w }) => w),
      calls: calls.map(({ res, ...c }) => c),
    });
  } else if (u.pathname === '/dispatch' && req.method === 'POST') {
    const w = workers.filter((w) => w.registered_at && !w.draining_at && !w.closed_at).pop();
    if (!w) return json(res, 409, { error: 'no available worker' });
    const id = 'AJ_' + ++jobs;
    const job = new P.Job({ id, type: P.JobType.JT_ROOM, agentName: '',
      room: new P.Room({ sid: 'RM_' + jobs, name: 'consultation-' + jobs }) });
    w.pending[id] = job;
    send(w.ws, { case: 'availability', value: new P.AvailabilityRequest({ job }) });
    json(res, 200, { job: id, worker_pid: w.pid });
  } else if (u.pathname === '/call') {
    const c = { id: u.searchParams.get('job'), job_pid: +u.searchParams.get('pid'),
      started_at: Date.now(), ended_at: 0, cut: false, res };
    calls.push(c);
    log(`call ${c.id} live in job process ${c.job_pid}`);
    req.socket.on('close', () => {
      if (!c.ended_at) {
        c.cut = true;
        c.ended_at = Date.now();
        log(`call ${c.id} CUT`);
      }
    });
  } else if (u.pathname === '/end' && req.method === 'POST') {
    let n = 0;
    for (const c of calls)
      if (!c.ended_at) {
        c.ended_at = Date.now();
        c.res.end('ended\n');
        log(`call ${c.id} finished`);
        n++;
      }
    json(res, 200, { ended: n });
  } else {
    json(res, 404, { error: 'not found' });
  }
});

const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, sock, head) => {
  if (!req.url.startsWith('/agent') || !/^Bearer /.test(req.headers.authorization || '')) {
    sock.destroy();
    return;
  }
  wss.handleUpgrade(req, sock, head, onWorker);
});

function onWorker(ws) {
  const w = { n: workers.length + 1, pid: 0, registered_at: 0, draining_at: 0, closed_at: 0,
    ws, pending: {} };
  workers.push(w);
  ws.on('message', (data) => {
    const m = P.WorkerMessage.fromBinary(new Uint8Array(data)).message;
    if (m.case === 'register') {
      w.pid = +(m.value.deployment || '').replace(/^pid:/, '') || 0;
      w.registered_at = Date.now();
      send(ws, { case: 'register', value: new P.RegisterWorkerResponse({
        workerId: 'AW_' + w.n, serverInfo: new P.ServerInfo({ version: 'standin' }) }) });
      log(`worker ${w.n} (pid ${w.pid}) registered`);
    } else if (m.case === 'updateWorker') {
      // WS_FULL is what a worker sends when its drain begins (the check's agent reports a
      // load of 0, so it never means "busy").
      if (m.value.status === P.WorkerStatus.WS_FULL && !w.draining_at) {
        w.draining_at = Date.now();
        log(`worker ${w.n} (pid ${w.pid}) is draining`);
      }
    } else if (m.case === 'availability') {
      const job = w.pending[m.value.jobId];
      if (job && m.value.available)
        send(ws, { case: 'assignment', value: new P.JobAssignment({ job, token: 'standin' }) });
    } else if (m.case === 'ping') {
      send(ws, { case: 'pong', value: new P.WorkerPong({ lastTimestamp: m.value.timestamp,
        timestamp: BigInt(Date.now()) }) });
    }
  });
  ws.on('close', () => {
    w.closed_at = Date.now();
    log(`worker ${w.n} (pid ${w.pid}) disconnected`);
  });
}

server.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  fs.writeFileSync(process.env.PORT_FILE + '.tmp', `${port}\n`);
  fs.renameSync(process.env.PORT_FILE + '.tmp', process.env.PORT_FILE);
  log(`listening on ws://127.0.0.1:${port}`);
});
process.on('SIGTERM', () => process.exit(0));
