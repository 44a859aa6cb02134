// slipway's skew protection for Next.js (specs/runtime.md, "Skew protection"): a request
// that belongs to another installed release reaches that release. Loaded by the Node preload
// (runtime/preload.js) in a supervised Next.js server; `slipway run` embeds this file and
// writes it next to the preload.
//
// The releases: this process runs ROOT/releases/<SLIPWAY_VERSION>, its Next.js directory is
// the main script's (server.js); another release's is the same path below its own version.
// What a release owns is read from its read-only tree, once: its deployment id
// (.next/required-server-files.json, config.deploymentId: `slipway pack` sets it to the
// version), its Server Action ids (.next/server/server-reference-manifest.json) and its
// static files (.next/static). The peers are the other live instances on the same public
// socket, warm or draining, each with its private gate port: `slipway run` sends the list
// over the IPC channel whenever it changes.
//
// A request that came in on the public socket goes:
//   /_next/static/...   from this release's files when it has the file, else from the
//                       installed release that has it (the one ?dpl= names first): names are
//                       content hashes, so assets of any release answer in any direction;
//   Next-Action: ID     to the release whose manifest has ID: here, or a peer (a proxy hop to
//                       its gate port); a release that is installed but not live gets the
//                       answer that makes Next's client reload the page (x-action-redirect);
//   a form post         the same, with the action id read from the first bytes of the body
//                       ($ACTION_ID_<id> without JavaScript); a release not live: 303 to the
//                       page, which the browser loads again;
//   RSC: 1 with x-deployment-id of another release: to that peer, else a non-RSC answer,
//                       which Next's client turns into a full page load;
//   anything else       here.
// Requests on the gate (health checks, and the hops of another instance, which name the
// release they are meant for in x-slipway-route) are never routed again: no loop.
'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');

const ROUTE_HEADER = 'x-slipway-route';
const MISROUTED_HEADER = 'x-slipway-misrouted';
const PEEK_MAX = 64 * 1024; // the form's $ACTION_ID_ field comes first (React renders it so)
const RESCAN_MS = 2000; // how often the list of installed releases may be read again
const ACTION_ID = /[0-9a-f]{40,64}/g; // Next 14: 40 hex digits, Next 15 and 16: 42
const VERSION = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;
const CONTENT_TYPES = {
	'.js': 'application/javascript; charset=utf-8', '.mjs': 'application/javascript; charset=utf-8',
	'.css': 'text/css; charset=utf-8', '.json': 'application/json', '.map': 'application/json',
	'.txt': 'text/plain; charset=utf-8', '.html': 'text/html; charset=utf-8',
	'.woff': 'font/woff', '.woff2': 'font/woff2', '.ttf': 'font/ttf', '.otf': 'font/otf',
	'.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif',
	'.webp': 'image/webp', '.avif': 'image/avif', '.svg': 'image/svg+xml', '.ico': 'image/x-icon',
	'.wasm': 'application/wasm',
};

function readJson(file) {
	try {
		return JSON.parse(fs.readFileSync(file, 'utf8'));
	} catch (e) {
		return null;
	}
}

// What a release owns, or null when its tree is not a Next.js server's.
function loadRelease(dir, version) {
	const rsf = readJson(path.join(dir, '.next', 'required-server-files.json'));
	if (!rsf || typeof rsf !== 'object') return null;
	const manifest = readJson(path.join(dir, '.next', 'server', 'server-reference-manifest.json'));
	const actions = new Set();
	for (const side of ['node', 'edge'])
		if (manifest && manifest[side] && typeof manifest[side] === 'object')
			for (const id of Object.keys(manifest[side])) actions.add(id);
	const config = rsf.config && typeof rsf.config === 'object' ? rsf.config : {};
	const id = typeof config.deploymentId === 'string' ? config.deploymentId : '';
	let buildId = '';
	try {
		buildId = fs.readFileSync(path.join(dir, '.next', 'BUILD_ID'), 'utf8').trim();
	} catch (e) {
		// no pages-router data routes to tell apart
	}
	const basePath = typeof config.basePath === 'string' ? config.basePath.replace(/\/+$/, '') : '';
	return {version, dir, id, buildId, basePath, actions, staticDir: path.join(dir, '.next', 'static')};
}

// The Next.js directory of this process: server.js's (standalone), else the working
// directory (`next start`).
function ownAppDir() {
	const dirs = [path.dirname(path.resolve(process.argv[1])), process.cwd()];
	return dirs.find((d) => fs.existsSync(path.join(d, '.next', 'required-server-files.json')));
}

module.exports = function skewRouter(log) {
	const env = process.env;
	const own = env.SLIPWAY_VERSION;
	const releaseDir = env.SLIPWAY_RELEASE;
	if (!own || !releaseDir || !process.argv[1]) return null;
	const appDir = ownAppDir();
	if (!appDir) return null;
	const rel = path.relative(releaseDir, appDir);
	if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
	const releasesDir = path.dirname(releaseDir);
	const self = loadRelease(appDir, own);
	if (!self) return null;

	const releases = new Map([[own, self]]); // version -> release, or null: not Next.js
	let installed = [];
	let scannedAt = 0;
	let peers = []; // [{version, port}]
	const said = new Set();

	function once(key, msg) {
		if (said.has(key)) return;
		said.add(key);
		log(msg);
	}

	function release(version) {
		if (!VERSION.test(version)) return null;
		if (!releases.has(version)) {
			const r = loadRelease(path.join(releasesDir, version, rel), version);
			if (!r) return null; // not (yet) complete: read again next time
			releases.set(version, r);
		}
		return releases.get(version);
	}

	function others() {
		const now = Date.now();
		if (now - scannedAt >= RESCAN_MS) {
			scannedAt = now;
			try {
				installed = fs.readdirSync(releasesDir).filter((v) => v !== own && VERSION.test(v));
			} catch (e) {
				installed = [];
			}
		}
		return installed;
	}

	function livePeer(test) {
		for (const p of peers) {
			const r = release(p.version);
			if (r && test(r)) return p;
		}
		return null;
	}

	function installedRelease(test) {
		for (const v of others()) {
			const r = release(v);
			if (r && test(r)) return r;
		}
		return null;
	}

	// --- static assets ------------------------------------------------------------------

	// The static files Next serves itself: in production it lists .next/static once, when its
	// server starts (next/dist/server/lib/router-utils/filesystem.js), and answers 404 for any
	// file added later, such as an asset the store carries in at a rollback. Listed here at
	// the same moment (the app's listen()); those are Next's, anything else is answered here.
	const nextServes = new Set();
	(function list(dir, prefix) {
		let ents;
		try {
			ents = fs.readdirSync(dir, {withFileTypes: true});
		} catch (e) {
			return;
		}
		for (const e of ents) {
			if (nextServes.size >= 200000) return;
			if (e.isDirectory()) list(path.join(dir, e.name), prefix + e.name + '/');
			else if (e.isFile()) nextServes.add(prefix + e.name);
		}
	})(self.staticDir, '');

	function staticFile(r, rest) {
		const file = path.join(r.staticDir, rest);
		if (!file.startsWith(r.staticDir + path.sep)) return null;
		try {
			const real = fs.realpathSync(file);
			if (r.realStaticDir === undefined) r.realStaticDir = fs.realpathSync(r.staticDir); // read-only tree
			if (!real.startsWith(r.realStaticDir + path.sep)) return null;
			const st = fs.statSync(real);
			return st.isFile() ? {file: real, size: st.size} : null;
		} catch (e) {
			return null;
		}
	}

	function serveStatic(req, res, f, r) {
		const type = CONTENT_TYPES[path.extname(f.file).toLowerCase()] || 'application/octet-stream';
		res.writeHead(200, {'Content-Type': type, 'Content-Length': f.size,
		                    'Cache-Control': 'public, max-age=31536000, immutable',
		                    'x-slipway-release': r.version});
		if (req.method === 'HEAD') return res.end();
		const s = fs.createReadStream(f.file);
		s.on('error', () => res.destroy());
		s.pipe(res);
	}

	function routeStatic(req, res, url) {
		if (req.method !== 'GET' && req.method !== 'HEAD') return false;
		let rest;
		try {
			rest = decodeURIComponent(url.pathname.slice((self.basePath + '/_next/static/').length));
		} catch (e) {
			return false;
		}
		if (!rest || rest.includes('\0') || rest.split('/').includes('..')) return false;
		if (nextServes.has(rest)) return false;
		const dpl = url.searchParams.get('dpl');
		const named = dpl && dpl !== self.id ? installedRelease((r) => r.id === dpl) : null;
		const order = [self, ...(named ? [named] : []), ...others().map(release)];
		for (const r of order) {
			const f = r && staticFile(r, rest);
			if (f) {
				serveStatic(req, res, f, r);
				return true;
			}
		}
		return false;
	}

	// The pages router's data requests name their build: /_next/data/<BUILD_ID>/<page>.json.
	function routeData(req, res, url) {
		const build = url.pathname.slice((self.basePath + '/_next/data/').length).split('/')[0];
		if (!build || build === self.buildId) return false;
		const peer = livePeer((r) => r.buildId === build);
		if (!peer) return false; // Next's 404 makes its client load the page in full
		hop(req, res, peer, null, () => {
			res.writeHead(404, {'Content-Length': 0, 'Cache-Control': 'no-store'});
			res.end();
		});
		return true;
	}

	// --- the hop to a peer --------------------------------------------------------------

	const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade',
	                            'proxy-connection', 'te', 'trailer']);

	// Sends req (its body from `head` and then the stream) to the peer; `lost` answers when the
	// peer is gone before it answered.
	function hop(req, res, peer, head, lost) {
		const headers = [];
		for (let i = 0; i < req.rawHeaders.length; i += 2) {
			const k = req.rawHeaders[i].toLowerCase();
			if (k !== ROUTE_HEADER && k !== 'connection' && k !== 'keep-alive' && k !== 'expect')
				headers.push(req.rawHeaders[i], req.rawHeaders[i + 1]);
		}
		headers.push(ROUTE_HEADER, peer.version);
		if (!req.headers['x-forwarded-for'] && req.socket.remoteAddress)
			headers.push('x-forwarded-for', req.socket.remoteAddress);
		const up = http.request({host: '127.0.0.1', port: peer.port, method: req.method,
		                         path: req.url, headers, agent: false, setHost: false});
		let answered = false;
		// Before any answer: the rest of the request is read and dropped (Node would leave it
		// unread on a connection it keeps), and the fallback answers.
		const fallBack = () => {
			req.unpipe(up);
			req.resume();
			lost();
		};
		up.on('response', (pres) => {
			if (pres.headers[MISROUTED_HEADER]) {
				pres.resume();
				answered = true;
				return fallBack();
			}
			answered = true;
			const out = [];
			for (let i = 0; i < pres.rawHeaders.length; i += 2)
				if (!HOP_BY_HOP.has(pres.rawHeaders[i].toLowerCase()))
					out.push(pres.rawHeaders[i], pres.rawHeaders[i + 1]);
			res.writeHead(pres.statusCode, pres.statusMessage, out);
			if (typeof res.flushHeaders === 'function') res.flushHeaders(); // streams start now
			pres.pipe(res);
			pres.on('error', () => res.destroy());
		});
		up.on('error', () => {
			if (!answered) fallBack();
			else res.destroy();
		});
		res.on('close', () => {
			if (!res.writableFinished) up.destroy();
		});
		if (head && head.length) up.write(head);
		if (req.readableEnded) up.end();
		else req.pipe(up);
	}

	// --- answers that make Next's client load the page again ----------------------------

	function reloadAction(req, res, why) {
		once(`action ${why}`, `a Server Action of release ${why}, which is no longer warm: ` +
		                      'the page is told to reload (its tab keeps working on this release)');
		res.writeHead(200, {'Content-Type': 'text/plain', 'Content-Length': 0,
		                    'x-action-redirect': `${req.url};replace`, 'Cache-Control': 'no-store'});
		res.end();
	}

	function reloadForm(req, res, why) {
		once(`form ${why}`, `a form of release ${why}, which is no longer warm, was posted: ` +
		                    'the browser is sent back to the page (303)');
		res.writeHead(303, {'Location': req.url, 'Content-Length': 0, 'Cache-Control': 'no-store'});
		res.end();
	}

	function reloadNavigation(req, res, why) {
		once(`rsc ${why}`, `a navigation of release ${why}, which is no longer warm: ` +
		                   'answered so that Next loads the page in full');
		res.writeHead(200, {'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 0,
		                    'Cache-Control': 'no-store', 'Vary': 'RSC'});
		res.end();
	}

	// --- Server Actions -----------------------------------------------------------------

	function routeAction(req, res, id, deploy) {
		if (self.actions.has(id)) return false;
		const peer = livePeer((r) => r.actions.has(id)) ||
		             (deploy && deploy !== self.id ? livePeer((r) => r.id === deploy) : null);
		// No live release runs it: the page reloads when its release, or at least its
		// deployment, is known to be another one's.
		const reload = () => {
			const r = installedRelease((x) => x.actions.has(id));
			if (r) reloadAction(req, res, r.version);
			else if (deploy && deploy !== self.id) reloadAction(req, res, `of deployment ${deploy}`);
			else return false;
			return true;
		};
		if (peer) {
			hop(req, res, peer, null, () => {
				if (reload()) return;
				res.writeHead(503, {'Content-Type': 'text/plain', 'Retry-After': '1'});
				res.end('the release this action belongs to has just stopped\n');
			});
			return true;
		}
		return reload(); // false: nobody's, Next answers it as it would
	}

	function isForm(req) {
		const t = String(req.headers['content-type'] || '').toLowerCase();
		return req.method === 'POST' &&
		       (t.startsWith('multipart/form-data') || t.startsWith('application/x-www-form-urlencoded'));
	}

	// Reads up to PEEK_MAX bytes of a form's body, then decides. The bytes read are put back
	// (unshift) before the app gets the request, in the same tick: nothing is lost or reordered.
	function routeForm(req, res, toApp) {
		const chunks = [];
		let got = 0, done = false;
		const decide = () => {
			if (done) return;
			done = true;
			req.removeListener('readable', onReadable);
			req.removeListener('end', decide);
			const head = Buffer.concat(chunks);
			const ids = (head.toString('latin1').match(ACTION_ID) || []);
			let peer = null, gone = null;
			if (!ids.some((id) => self.actions.has(id))) {
				peer = livePeer((r) => ids.some((id) => r.actions.has(id)));
				if (!peer) gone = installedRelease((r) => ids.some((id) => r.actions.has(id)));
			}
			if (peer)
				return hop(req, res, peer, head, () => {
					const r = installedRelease((x) => x.version === peer.version);
					reloadForm(req, res, r ? r.version : peer.version);
				});
			if (gone) {
				req.resume();
				return reloadForm(req, res, gone.version);
			}
			if (head.length) req.unshift(head);
			toApp();
		};
		const onReadable = () => {
			let c;
			while (!done && (c = req.read()) !== null) {
				chunks.push(c);
				got += c.length;
				if (got >= PEEK_MAX) return decide();
			}
			if (req.readableEnded || req.complete) decide();
		};
		req.on('readable', onReadable);
		req.on('end', decide);
		return true;
	}

	// --- the router ---------------------------------------------------------------------

	// A request from the public socket: true when it was answered (or is being) here, false
	// when the app takes it. toApp hands it to the app later (a form post, once peeked).
	function routePublic(req, res, toApp) {
		delete req.headers[ROUTE_HEADER];
		if (req.headers.upgrade) return false;
		if (req.url.includes('/_next/')) { // parsed only for Next's own paths
			let url;
			try {
				url = new URL(req.url, 'http://x');
			} catch (e) {
				return false;
			}
			const next = self.basePath + '/_next/';
			if (url.pathname.startsWith(next + 'static/')) return routeStatic(req, res, url);
			if (url.pathname.startsWith(next + 'data/')) return routeData(req, res, url);
		}
		const deploy = req.headers['x-deployment-id'];
		const action = req.headers['next-action'];
		if (typeof action === 'string' && req.method === 'POST')
			return routeAction(req, res, action, deploy);
		if (isForm(req) && req.headers['content-length'] !== '0' && (peers.length || others().length))
			return routeForm(req, res, toApp);
		if (req.headers.rsc === '1' && typeof deploy === 'string' && deploy && deploy !== self.id) {
			const peer = livePeer((r) => r.id === deploy);
			if (peer) hop(req, res, peer, null, () => reloadNavigation(req, res, peer.version));
			else reloadNavigation(req, res, deploy);
			return true;
		}
		return false;
	}

	// A request from the gate: a hop meant for another release is refused (the port was
	// reused, or the list was stale), so the sender falls back.
	function checkGate(req, res) {
		const want = req.headers[ROUTE_HEADER];
		if (want === undefined) return false;
		delete req.headers[ROUTE_HEADER];
		if (want === own) return false;
		res.writeHead(421, {[MISROUTED_HEADER]: '1', 'Content-Length': 0});
		res.end();
		return true;
	}

	function setPeers(list) {
		if (!Array.isArray(list)) return;
		peers = list.filter((p) => p && typeof p.release === 'string' && VERSION.test(p.release) &&
		                           p.release !== own && Number.isInteger(p.port) &&
		                           p.port > 0 && p.port < 65536)
		            .map((p) => ({version: p.release, port: p.port}));
	}

	return {routePublic, checkGate, setPeers};
};
