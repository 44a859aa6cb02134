// A slow streamed answer (like an AI chat reply over SSE): ?n=<events>&ms=<gap>, one event
// per gap, then `event: end`. A switch must let it finish on the server that started it.
export const dynamic = 'force-dynamic';

export async function GET(request) {
	const url = new URL(request.url);
	const n = Math.min(Number(url.searchParams.get('n')) || 10, 1000);
	const ms = Math.min(Number(url.searchParams.get('ms')) || 100, 10000);
	const enc = new TextEncoder();
	const stream = new ReadableStream({
		async start(controller) {
			for (let i = 1; i <= n; i++) {
				controller.enqueue(enc.encode(`data: ${i} ${process.env.APP_RELEASE}\n\n`));
				await new Promise((r) => setTimeout(r, ms));
			}
			controller.enqueue(enc.encode('event: end\ndata: done\n\n'));
			controller.close();
		},
	});
	return new Response(stream, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-store' } });
}
