// slipway's Node preload: makes a server that calls listen(PORT, HOST), such as a stock
// Next.js standalone server.js, adopt the listening socket `slipway run` owns
// (specs/runtime.md, "Socket ownership"). `slipway run` embeds this file, writes it to
// ROOT/run/ and loads it with NODE_OPTIONS=--require.
//
// Inherited (the systemd way): fd 3 is the public listening socket (LISTEN_FDS=1,
// LISTEN_PID=our pid). Under `slipway run` also: SLIPWAY_GATE_FD, a private loopback
// listener for the health gate, and a Node IPC channel (NODE_CHANNEL_FD) that carries:
//   {"slipway":"promote"}  accept public traffic: on fd 3 the first time, later on the
//                          listening socket handed over with the message
//   {"slipway":"demote"}   stop accepting public traffic and drain: answers get
//                          `Connection: close`, idle keep-alive connections end by timeout
//   {"slipway":"peers","peers":[{"release":V,"port":P}]}
//                          the other live instances on the same socket and their gate
//                          ports, for skew protection (runtime/preload_skew.js, loaded from
//                          next to this file: requests of another release go to it)
// and, from here, {"slipway":"listening"} once the app's server listens.
// Without the IPC channel (plain systemd socket activation) the server accepts on fd 3 at once.
//
// The descriptor numbers and backlogs come from slipway's environment (runtime/handover.h
// is their one home): SLIPWAY_GATE_FD, NODE_CHANNEL_FD, SLIPWAY_BACKLOG for the public socket
// and SLIPWAY_GATE_BACKLOG for the gate. Fd 3 is the systemd convention (LISTEN_FDS=1).
// Facts this relies on: listen() on a listening socket resets its backlog to 511 unless one
// is passed (hence the backlogs from slipway); SIGUSR1 starts Node's inspector, so control goes
// through the IPC channel, never a signal; server.close() drops idle keep-alive connections
// at once, where a client's next request would be reset, so a draining server never does.
//
// Node internals this relies on (undocumented; checked at start by supportGap(), which
// refuses to run rather than fall back silently, and by `make check-node-matrix` on each
// Node line from 18 to 26):
//   net.Server#_connections  the count of a server's open connections that close() waits
//                            for: a connection accepted on the public socket is moved to
//                            the app's server by moving one count;
//   net.Socket#_server       the server a connection counts against (its close decrements
//                            that server's _connections): set to the app's server;
//   http.Server#close()      calls this.closeIdleConnections() (Node 19 and later), which
//                            the preload replaces on the app's server while it drains.
// Documented, but load-bearing: listen({fd}), listen(handle) with a handle received over
// the IPC channel, and emitting 'connection' on an http.Server to hand it a socket.
'use strict';

(function slipwayPreload() {
	const env = process.env;
	if (env.LISTEN_PID !== String(process.pid) || Number(env.LISTEN_FDS) < 1) return;
	const net = require('net');
	const MIN_MAJOR = 18;
	// What this Node lacks of the above, or null: a gap means refusing to start, since the
	// switch would otherwise lose or cut connections without a word.
	function supportGap() {
		const major = Number(process.versions.node.split('.')[0]);
		if (!(major >= MIN_MAJOR)) return `Node ${MIN_MAJOR} or later is needed`;
		if (typeof new net.Server()._connections !== 'number') return 'net.Server#_connections is gone';
		if (!Object.prototype.hasOwnProperty.call(new net.Socket(), '_server'))
			return 'net.Socket#_server is gone';
		return null;
	}
	const gap = supportGap();
	if (gap) {
		process.stderr.write(`slipway-preload: Node v${process.versions.node} is not supported: ${gap}; ` +
		                     'refusing to start (slipway\'s zero-downtime switch relies on it, ' +
		                     'specs/runtime.md "The Node preload")\n');
		process.exit(1);
	}
	const num = (v) => (/^[0-9]+$/.test(v || '') ? Number(v) : undefined);
	const BACKLOG = num(env.SLIPWAY_BACKLOG); // undefined (Node's 511) outside slipway run
	const GATE_BACKLOG = num(env.SLIPWAY_GATE_BACKLOG);
	const port = Number(env.PORT);
	const host = env.HOSTNAME; // slipway always sets it (specs/runtime.md, "Environment")
	const gateFd = num(env.SLIPWAY_GATE_FD) ?? -1;
	// Ours alone: children the app spawns must not take them for their own.
	for (const k of ['LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES', 'SLIPWAY_GATE_FD',
	                 'SLIPWAY_BACKLOG', 'SLIPWAY_GATE_BACKLOG'])
		delete env[k];

	const supervised = gateFd >= 0 && typeof process.send === 'function';
	const send = supervised ? process.send.bind(process) : null;
	if (supervised) delete process.send; // apps read process.send as "forked by a Node parent"

	const origListen = net.Server.prototype.listen;
	let app = null; // the app's server: listens on the gate, public connections are injected
	let pub = null; // accepts on the public socket while promoted
	let fd3Used = false;
	let draining = false;
	const live = new Set(); // responses not finished yet
	let skew = null; // the skew router, once the app's server is adopted (supervised only)

	function log(msg) {
		process.stderr.write(`slipway-preload: ${msg}\n`);
	}

	function isOurPort(args) {
		const a = args[0];
		if (typeof a === 'number' || (typeof a === 'string' && /^[0-9]+$/.test(a)))
			return Number(a) === port;
		if (a && typeof a === 'object' && !Array.isArray(a) && a.fd === undefined &&
		    a.path === undefined && a._handle === undefined)
			return Number(a.port) === port;
		return false;
	}

	function publicAddress() {
		return {address: host, family: net.isIPv6(host) ? 'IPv6' : 'IPv4', port};
	}

	function promote(handle) {
		if (pub || !app || (!handle && fd3Used)) {
			if (handle) handle.close();
			return;
		}
		draining = false;
		const s = new net.Server({
			allowHalfOpen: app.allowHalfOpen,
			pauseOnConnect: app.pauseOnConnect,
			noDelay: app.noDelay,
			keepAlive: app.keepAlive,
			keepAliveInitialDelay: app.keepAliveInitialDelay,
		});
		s.on('connection', (sock) => {
			// Count the connection as the app's, so its close() waits for it.
			s._connections--;
			sock._server = app;
			sock.server = app;
			sock.slipwayPublic = true; // skew routing applies to public requests only
			app._connections++;
			app.emit('connection', sock);
		});
		s.on('error', (err) => {
			log(`cannot accept on the inherited socket: ${err.message}`);
			process.exit(1);
		});
		if (handle) {
			s.listen(handle, BACKLOG);
		} else {
			fd3Used = true;
			s.listen({fd: 3}, BACKLOG);
		}
		pub = s;
	}

	function demote() {
		if (pub) pub.close();
		pub = null;
		draining = true;
		for (const res of live)
			if (!res.headersSent) res.setHeader('Connection', 'close');
	}

	function onMessage(msg, handle) {
		if (!msg || typeof msg !== 'object' || typeof msg.slipway !== 'string') {
			return;
		}
		if (msg.slipway === 'promote') promote(handle);
		else if (msg.slipway === 'demote') demote();
		else if (msg.slipway === 'peers') {
			peers = msg.peers;
			if (skew) skew.setPeers(peers);
		}
		else if (handle) handle.close();
	}

	let peers = [];
	function loadSkew() {
		if (env.SLIPWAY_SKEW === 'off') return null;
		try {
			return require(require('path').join(__dirname, 'node-skew.cjs'))(log);
		} catch (e) {
			log(`skew protection is off: ${e.message}`);
			return null;
		}
	}

	// Every request passes here before the app's listeners: it is counted (draining answers
	// get `Connection: close`), and, under `slipway run`, one that belongs to another release
	// goes there (runtime/preload_skew.js) instead of to the app.
	function interceptRequests(srv) {
		const emit = srv.emit;
		srv.emit = function (ev, req, res) {
			if (ev !== 'request') return emit.apply(this, arguments);
			if (draining) res.setHeader('Connection', 'close');
			live.add(res);
			res.on('close', () => live.delete(res));
			if (skew) {
				const args = arguments;
				const toApp = () => emit.apply(srv, args);
				const routed = req.socket && req.socket.slipwayPublic
				                   ? skew.routePublic(req, res, toApp)
				                   : skew.checkGate(req, res);
				if (routed) return true;
			}
			return emit.apply(this, arguments);
		};
	}

	function adopt(srv, args) {
		app = srv;
		const cb = typeof args[args.length - 1] === 'function' ? args[args.length - 1] : undefined;
		interceptRequests(srv);
		if (supervised) skew = loadSkew();
		if (skew) skew.setPeers(peers);
		if (!supervised) {
			fd3Used = true;
			return origListen.call(srv, {fd: 3}, BACKLOG, cb);
		}
		srv.address = publicAddress; // the app logs and builds URLs from it, not the gate's
		srv.once('listening', () => send({slipway: 'listening'}));
		return origListen.call(srv, {fd: gateFd}, GATE_BACKLOG, cb);
	}

	net.Server.prototype.listen = function listen(...args) {
		if (app || !isOurPort(args)) return origListen.apply(this, args);
		adopt(this, args);
		return this;
	};

	function onTerm() {
		demote();
		if (app) app.closeIdleConnections = () => {};
		if (supervised) process.removeListener('message', onMessage);
		if (process.listenerCount('SIGTERM') > 1) return; // the app's handler closes its server
		process.removeListener('SIGTERM', onTerm);
		const die = () => process.kill(process.pid, 'SIGTERM'); // the default action, now
		if (app && app.listening) app.close(die);
		else die();
	}
	process.on('SIGTERM', onTerm);
	if (supervised) process.on('message', onMessage);
})();

// A worker's health port (specs/runtime.md, "Health ports"): the framework binds its health
// server to a fixed port, the service's declared health_port (SLIPWAY_HEALTH_REDIRECT); each
// instance listens on its own port (SLIPWAY_HEALTH_PORT) instead, so two generations side by
// side never collide. Only a listen() on exactly that port is changed.
function slipwayHealthPort() {
	const env = process.env;
	const num = (v) => (/^[0-9]{1,5}$/.test(v || '') ? Number(v) : 0);
	const fixed = num(env.SLIPWAY_HEALTH_REDIRECT);
	const mine = num(env.SLIPWAY_HEALTH_PORT);
	if (!fixed || !mine || fixed > 65535 || mine > 65535 || fixed === mine) return;
	const net = require('net');
	const origListen = net.Server.prototype.listen;
	net.Server.prototype.listen = function listen(...args) {
		const a = args[0];
		if (typeof a === 'number' || (typeof a === 'string' && /^[0-9]+$/.test(a))) {
			if (Number(a) === fixed) args[0] = mine;
		} else if (a && typeof a === 'object' && !Array.isArray(a) && a.fd === undefined &&
		           a.path === undefined && a._handle === undefined && Number(a.port) === fixed) {
			args[0] = Object.assign({}, a, {port: mine});
		}
		return origListen.apply(this, args);
	};
}
slipwayHealthPort();
