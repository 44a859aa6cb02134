// Readiness probe for `ready = http /api/health` in slipway.ini.
export const dynamic = 'force-dynamic';

export function GET() {
	return Response.json({ status: 'ok', release: process.env.APP_RELEASE });
}
