import HealthCheck from './health-check';

// Rendered per request, so `running` shows the release the supervisor started us from.
export const dynamic = 'force-dynamic';

// The demo edits this line between v1 and v2 to show that the new release is served.
const GREETING = 'Welcome to MediAI';

export default function Home() {
	return (
		<main>
			<h1>{GREETING}</h1>
			<p>
				release: <span className="release" id="release">{process.env.APP_RELEASE}</span>
				{' '}(fixed when it was built)
			</p>
			<p>
				running: <span className="release" id="running">{process.env.SLIPWAY_VERSION || '-'}</span>
				{' '}(set by <code>slipway run</code>)
			</p>
			<p>Patients, doctors and the AI avatar meet here. This page is slipway&apos;s example app.</p>
			<HealthCheck />
		</main>
	);
}
