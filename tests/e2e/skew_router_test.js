// The skew router (runtime/preload_skew.js) on its own, against fake release trees and
// plain HTTP servers standing in for the app and its peers: every routing rule of
// specs/runtime.md "Skew protection", including the ones the example app cannot show
// (basePath, the pages router's /_next/data, a peer that is gone or is another release).
// Usage: node skew_router_test.js REPO WORKDIR; exits non-zero with a message on failure.
'use strict';
const assert = require('assert');
const fs = require('fs');
const http = require('http');
const path = require('path');

const [repo, work] = process.argv.slice(2);
const releases = path.join(work, 'releases');
const BASE = '/base';
const ids = {
	v1: '40' + '1'.repeat(40), v2: '40' + '2'.repeat(40), v3: '40' + '3'.repeat(40), v0: '40' + 'a'.repeat(40),
};

// releases/<v>/app/.next: what `next build` leaves that the router reads.
function release(v, statics) {
	const dir = path.join(releases, v, 'app');
	fs.mkdirSync(path.join(dir, '.next', 'server'), {recursive: true});
	fs.writeFileSync(path.join(dir, 'server.js'), '');
	fs.writeFileSync(path.join(dir, '.next', 'required-server-files.json'),
	                 JSON.stringify({config: {deploymentId: `dpl-${v}`, basePath: BASE}}));
	fs.writeFileSync(path.join(dir, '.next', 'BUILD_ID'), `build-${v}\n`);
	fs.writeFileSync(path.join(dir, '.next', 'server', 'server-reference-manifest.json'),
	                 JSON.stringify({node: {[ids[v]]: {}}, edge: {}}));
	for (const [f, text] of Object.entries(statics)) {
		fs.mkdirSync(path.dirname(path.join(dir, '.next', 'static', f)), {recursive: true});
		fs.writeFileSync(path.join(dir, '.next', 'static', f), text);
	}
	return dir;
}
const own = release('v2', {'chunks/own.js': 'own v2'});
release('v1', {'chunks/old.js': 'old v1', 'css/a.css': 'css v1'});
release('v0', {'chunks/older.js': 'older v0'}); // installed, not live
release('v3', {}); // live on a port that another release answers (misrouted)
fs.writeFileSync(path.join(work, 'secret.txt'), 'secret');

process.env.SLIPWAY_VERSION = 'v2';
process.env.SLIPWAY_RELEASE = path.join(releases, 'v2');
process.argv[1] = path.join(own, 'server.js');
const logs = [];
const router = require(path.join(repo, 'runtime', 'preload_skew.js'))((m) => logs.push(m));
assert(router, 'no router for a Next.js release');
// A file the store carries in after Next listed .next/static: Next would answer 404.
fs.writeFileSync(path.join(own, '.next', 'static', 'chunks', 'carried.js'), 'carried');

function body(req) {
	return new Promise((resolve) => {
		const parts = [];
		req.on('data', (c) => parts.push(c));
		req.on('end', () => resolve(Buffer.concat(parts)));
	});
}
// The app: says who it is and echoes what it got.
const app = http.createServer((req, res) => {
	if (router.routePublic(req, res, () => answer('app', req, res))) return;
	answer('app', req, res);
});
async function answer(who, req, res) {
	const b = await body(req);
	res.writeHead(200, {'x-who': who});
	res.end(JSON.stringify({who, url: req.url, len: b.length, body: b.toString('latin1').slice(0, 200),
	                        fwd: req.headers['x-forwarded-for'] || '',
	                        route: req.headers['x-slipway-route'] || ''}));
}
// A peer's gate: another process running the same router code as release `v`.
function peer(v) {
	return http.createServer((req, res) => {
		if (req.headers['x-slipway-route'] !== undefined && req.headers['x-slipway-route'] !== v) {
			res.writeHead(421, {'x-slipway-misrouted': '1', 'Content-Length': 0});
			return res.end();
		}
		answer(`peer-${v}`, req, res);
	});
}

function listen(srv) {
	return new Promise((r) => srv.listen(0, '127.0.0.1', () => r(srv.address().port)));
}
function request(port, method, url, headers = {}, data) {
	return new Promise((resolve, reject) => {
		const r = http.request({host: '127.0.0.1', port, method, path: url, headers}, (res) => {
			const parts = [];
			res.on('data', (c) => parts.push(c));
			res.on('end', () => {
				const text = Buffer.concat(parts).toString('latin1');
				let json = null;
				try {
					json = JSON.parse(text);
				} catch (e) {
					// not one of ours
				}
				resolve({status: res.statusCode, headers: res.headers, text, json});
			});
		});
		r.on('error', reject);
		r.end(data);
	});
}

(async () => {
	const port = await listen(app);
	const p1 = await listen(peer('v1'));
	const p3 = await listen(peer('v1')); // v3's port, answered by v1: a stale list
	const gone = http.createServer();
	const dead = await listen(gone); // a port nobody listens on any more
	await new Promise((r) => gone.close(r));
	router.setPeers([{release: 'v1', port: p1}, {release: 'v3', port: p3},
	                 {release: '../x', port: 1}, {release: 'v9', port: 'x'}]);
	const get = (url, h) => request(port, 'GET', url, h);
	const post = (url, h, d) => request(port, 'POST', url, h, d);
	let r;

	// Static files.
	r = await get(`${BASE}/_next/static/chunks/own.js`);
	assert.strictEqual(r.headers['x-who'], 'app', 'own listed asset: Next serves it');
	r = await get(`${BASE}/_next/static/chunks/carried.js`);
	assert.strictEqual(r.text, 'carried', 'a carried asset Next did not list is served');
	r = await get(`${BASE}/_next/static/chunks/old.js?dpl=dpl-v1`);
	assert.deepStrictEqual([r.status, r.text, r.headers['x-slipway-release']], [200, 'old v1', 'v1']);
	assert.match(r.headers['content-type'], /javascript/);
	assert.match(r.headers['cache-control'], /immutable/);
	r = await get(`${BASE}/_next/static/chunks/older.js`);
	assert.strictEqual(r.text, 'older v0', "an asset of a release that is not live, from its tree");
	r = await request(port, 'HEAD', `${BASE}/_next/static/css/a.css?dpl=dpl-v1`);
	assert.deepStrictEqual([r.status, r.text, r.headers['content-type']], [200, '', 'text/css; charset=utf-8']);
	for (const evil of ['..%2f..%2f..%2f..%2fsecret.txt', '%2e%2e/%2e%2e/%2e%2e/%2e%2e/secret.txt',
	                    'chunks/..%2F..%2Fserver%2Fserver-reference-manifest.json']) {
		r = await get(`${BASE}/_next/static/${evil}?dpl=dpl-v1`);
		assert.strictEqual(r.headers['x-who'], 'app', `${evil}: left to the app`);
	}
	r = await get('/_next/static/chunks/old.js');
	assert.strictEqual(r.headers['x-who'], 'app', 'outside basePath: the app');

	// Server Actions by header.
	const action = (id, extra = {}) => post(`${BASE}/page`, {'Next-Action': id, 'Content-Type': 'text/plain', ...extra}, '["x"]');
	r = await action(ids.v2);
	assert.strictEqual(r.json.who, 'app', 'own action');
	r = await action(ids.v1);
	assert.deepStrictEqual([r.json.who, r.json.body, r.json.route, r.json.fwd], ['peer-v1', '["x"]', 'v1', '127.0.0.1']);
	r = await action(ids.v1, {'x-forwarded-for': '203.0.113.9'});
	assert.strictEqual(r.json.fwd, '203.0.113.9', 'x-forwarded-for kept');
	r = await action(ids.v0);
	assert.deepStrictEqual([r.status, r.headers['x-action-redirect'], r.headers['content-type']],
	                       [200, `${BASE}/page;replace`, 'text/plain'], 'action of a release not live: reload');
	r = await action('40' + 'f'.repeat(40));
	assert.strictEqual(r.json.who, 'app', "an action nobody has: Next's answer");
	r = await action('40' + 'f'.repeat(40), {'x-deployment-id': 'dpl-pruned'});
	assert.deepStrictEqual([r.status, r.headers['x-action-redirect']], [200, `${BASE}/page;replace`],
	                       'an action of a deployment no longer installed: reload');
	r = await action(ids.v3);
	assert.deepStrictEqual([r.status, r.headers['x-action-redirect']], [200, `${BASE}/page;replace`],
	                       "v3's port answered by another release (misrouted): not run there, a reload");
	router.setPeers([{release: 'v1', port: dead}]);
	await new Promise((res) => setTimeout(res, 0));
	r = await action(ids.v1);
	assert.deepStrictEqual([r.status, r.headers['x-action-redirect']], [200, `${BASE}/page;replace`],
	                       'a peer that is gone: reload');
	r = await action('40' + 'e'.repeat(40), {'x-deployment-id': 'dpl-v1'});
	assert.deepStrictEqual([r.status, r.headers['x-action-redirect']], [200, `${BASE}/page;replace`],
	                       'an unknown id with the deployment id of a peer that is gone: reload');
	router.setPeers([{release: 'v1', port: p1}]);
	r = await action('40' + 'e'.repeat(40), {'x-deployment-id': 'dpl-v1'});
	assert.strictEqual(r.json.who, 'peer-v1', 'an unknown id with the deployment id of a live peer');

	// Forms: the action id in the body, the body intact wherever it goes.
	const form = (id, extra = '') => post(`${BASE}/page`, {'Content-Type': 'application/x-www-form-urlencoded'},
	                                      `%24ACTION_ID_${id}=&note=hello${extra}`);
	r = await form(ids.v2);
	assert.deepStrictEqual([r.json.who, r.json.body], ['app', `%24ACTION_ID_${ids.v2}=&note=hello`]);
	r = await form(ids.v1);
	assert.deepStrictEqual([r.json.who, r.json.body], ['peer-v1', `%24ACTION_ID_${ids.v1}=&note=hello`]);
	const big = 'z'.repeat(1 << 20);
	r = await form(ids.v2, big);
	assert.deepStrictEqual([r.json.who, r.json.len], ['app', `%24ACTION_ID_${ids.v2}=&note=hello`.length + (1 << 20)],
	                       'a 1 MiB form: every byte to the app');
	r = await form(ids.v1, big);
	assert.deepStrictEqual([r.json.who, r.json.len], ['peer-v1', `%24ACTION_ID_${ids.v1}=&note=hello`.length + (1 << 20)],
	                       'a 1 MiB form: every byte to the peer');
	r = await form(ids.v0);
	assert.deepStrictEqual([r.status, r.headers.location], [303, `${BASE}/page`], 'a form of a release not live');
	const boundary = 'XyZ';
	const multipart = `--${boundary}\r\nContent-Disposition: form-data; name="$ACTION_ID_${ids.v1}"\r\n\r\n\r\n` +
	                  `--${boundary}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhi\r\n--${boundary}--\r\n`;
	r = await post(`${BASE}/page`, {'Content-Type': `multipart/form-data; boundary=${boundary}`}, multipart);
	assert.deepStrictEqual([r.json.who, r.json.len], ['peer-v1', multipart.length], 'multipart form to its peer');
	r = await post(`${BASE}/page`, {'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': '0'});
	assert.strictEqual(r.json.who, 'app', 'an empty form');

	// Navigations and pages-router data.
	r = await get(`${BASE}/page?_rsc=1`, {RSC: '1', 'x-deployment-id': 'dpl-v1'});
	assert.strictEqual(r.json.who, 'peer-v1', 'navigation of a live peer');
	r = await get(`${BASE}/page?_rsc=1`, {RSC: '1', 'x-deployment-id': 'dpl-v2'});
	assert.strictEqual(r.json.who, 'app', 'own navigation');
	r = await get(`${BASE}/page?_rsc=1`, {RSC: '1', 'x-deployment-id': 'dpl-v0'});
	assert.deepStrictEqual([r.status, r.headers['content-type'], r.text], [200, 'text/plain; charset=utf-8', ''],
	                       'navigation of a release not live: not RSC');
	r = await get(`${BASE}/_next/data/build-v1/page.json`);
	assert.strictEqual(r.json.who, 'peer-v1', 'pages-router data of a live peer');
	r = await get(`${BASE}/_next/data/build-v2/page.json`);
	assert.strictEqual(r.json.who, 'app', 'own pages-router data');

	// A forged hop header from the public side is dropped; the gate refuses a hop for another.
	r = await get(`${BASE}/page`, {'x-slipway-route': 'v1'});
	assert.deepStrictEqual([r.json.who, r.json.route], ['app', '']);
	const gate = http.createServer((req, res) => router.checkGate(req, res) || answer('gate', req, res));
	const gp = await listen(gate);
	r = await request(gp, 'GET', '/x', {'x-slipway-route': 'v1'});
	assert.deepStrictEqual([r.status, r.headers['x-slipway-misrouted']], [421, '1']);
	r = await request(gp, 'GET', '/x', {'x-slipway-route': 'v2'});
	assert.deepStrictEqual([r.json.who, r.json.route], ['gate', '']);

	// Told once each.
	assert.strictEqual(logs.filter((l) => l.startsWith('a Server Action of release v0')).length, 1, logs.join('\n'));
	assert.strictEqual(logs.filter((l) => l.startsWith('a form of release v0')).length, 1, logs.join('\n'));
	console.log(`skew router: all checks passed (${logs.length} log lines)`);
	process.exit(0);
})().catch((e) => {
	console.error(e.stack || String(e));
	process.exit(1);
});
