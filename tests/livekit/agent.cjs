// The LiveKit Agents worker of `make check-livekit`: the README's minimal worker
// (`node agent.cjs start`) with slipway's one-line health port contract. Its job simulates
// a consultation: it holds a call with the stand-in server until the server ends it.
const { cli, defineAgent, ServerOptions } = require('@livekit/agents');
const http = require('node:http');

function consultation(ctx) {
  const url = new URL(process.env.LIVEKIT_URL.replace(/^ws/, 'http'));
  return new Promise((resolve, reject) => {
    http.get({ host: url.hostname, port: url.port,
      path: `/call?job=${encodeURIComponent(ctx.job.id)}&pid=${process.pid}` }, (res) => {
      res.resume();
      res.on('end', resolve);
    }).on('error', reject);
  });
}

module.exports = defineAgent({
  entry: async (ctx) => {
    await consultation(ctx);
    ctx.shutdown('call ended');
  },
});

if (require.main === module) {
  // The stand-in server tells workers apart by their deployment.
  process.env.LIVEKIT_AGENT_DEPLOYMENT = `pid:${process.pid}`;
  cli.runApp(new ServerOptions({
    agent: __filename,
    // The one line slipway asks for (CHECK_FIXED_PORT: a worker that ignores it).
    port: parseInt(process.env.CHECK_FIXED_PORT || process.env.SLIPWAY_HEALTH_PORT || '8081', 10),
    numIdleProcesses: 1,
    loadFunc: async () => 0, // never "full" from CPU load on a busy machine
  }));
}
