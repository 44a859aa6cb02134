// The release shown on the page is fixed at build time, so each packed
// archive carries its own. Source, first found wins:
//   $APP_RELEASE, then $SLIPWAY_VERSION (`slipway pack` sets it for the build: the
//   version being packed), then the first line of release.txt, then package.json's version.
const fs = require('fs');
const path = require('path');

function release() {
	if (process.env.APP_RELEASE) return process.env.APP_RELEASE;
	if (process.env.SLIPWAY_VERSION) return process.env.SLIPWAY_VERSION;
	try {
		const line = fs.readFileSync(path.join(__dirname, 'release.txt'), 'utf8').split('\n')[0].trim();
		if (line) return line;
	} catch (e) {
		if (e.code !== 'ENOENT') throw e;
	}
	return require('./package.json').version;
}

/** @type {import('next').NextConfig} */
module.exports = {
	output: 'standalone', // .next/standalone/server.js: what slipway packs and runs
	env: { APP_RELEASE: release() },
	poweredByHeader: false,
	eslint: { ignoreDuringBuilds: true }, // no linter in the example's dependencies
};
