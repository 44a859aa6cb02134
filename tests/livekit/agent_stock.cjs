// The README worker of @livekit/agents as users copy it: no port line, so in production
// (`start`) its health server binds the framework's 8081. Under slipway two generations side
// by side still never collide: the preload moves that bind to SLIPWAY_HEALTH_PORT
// (specs/runtime.md, "Health ports"). Besides the README: the consultation the stand-in
// server holds (as in agent.cjs) and what the stand-in needs to tell workers apart.
const { cli, defineAgent, ServerOptions } = require('@livekit/agents');
const http = require('node:http');

module.exports = defineAgent({
  entry: async (ctx) => {
    const url = new URL(process.env.LIVEKIT_URL.replace(/^ws/, 'http'));
    await new Promise((resolve, reject) => {
      http.get({ host: url.hostname, port: url.port,
        path: `/call?job=${encodeURIComponent(ctx.job.id)}&pid=${process.pid}` }, (res) => {
        res.resume();
        res.on('end', resolve);
      }).on('error', reject);
    });
    ctx.shutdown('call ended');
  },
});

if (require.main === module) {
  process.env.LIVEKIT_AGENT_DEPLOYMENT = `pid:${process.pid}`;
  cli.runApp(new ServerOptions({
    agent: __filename,
    numIdleProcesses: 1,
    loadFunc: async () => 0, // never "full" from CPU load on a busy machine
  }));
}
